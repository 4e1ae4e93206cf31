package dev.baton.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Builds the effective configuration: the defaults shipped in the jar (conf/node.json), then the
 * conf file, then {@code BATON_*} environment variables. The defaults define the schema: a key they
 * lack or a value of another type is refused with a message naming the setting.
 */
public final class ConfigLoader {
  public static final String ENV_PREFIX = "BATON_";
  private static final String DEFAULTS_RESOURCE = "/baton/node.json";

  /** A whole number in an environment variable: optional minus, digits, nothing else. */
  private static final Pattern ENV_WHOLE = Pattern.compile("-?[0-9]+");

  /** A decimal number in an environment variable (no hex, no suffix, no NaN or Infinity). */
  private static final Pattern ENV_DECIMAL =
      Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]{1,4})?");

  private static final JsonFactory STRICT_JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private ConfigLoader() {}

  /** The defaults, exactly as conf/node.json lists them. */
  public static JsonObject defaults() {
    return DEFAULTS.copy();
  }

  private static final JsonObject DEFAULTS = readDefaults();

  private static JsonObject readDefaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing " + DEFAULTS_RESOURCE + " in the jar");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + DEFAULTS_RESOURCE, e);
    }
  }

  /** Loads the configuration or prints why not to {@code err}; null when it is invalid. */
  public static NodeConfig loadOrReport(Path conf, PrintStream err) {
    try {
      return load(conf, System.getenv());
    } catch (ConfigException e) {
      err.println("configuration error: " + e.getMessage());
      return null;
    }
  }

  /** Reads and validates; {@code confFile} may be null (defaults and environment only). */
  public static NodeConfig load(Path confFile, Map<String, String> env) {
    JsonObject file = confFile == null ? new JsonObject() : readFile(confFile);
    return NodeConfig.fromJson(merge(file, env));
  }

  /** Defaults overlaid with {@code overrides} (checked against the schema) and the environment. */
  public static JsonObject merge(JsonObject overrides, Map<String, String> env) {
    JsonObject merged = defaults();
    overlay(merged, overrides, "");
    applyEnv(merged, env);
    return merged;
  }

  static JsonObject readFile(Path confFile) {
    String text;
    try {
      text = Files.readString(confFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException("conf file " + confFile + ": cannot be read (" + e + ")", e);
    }
    checkStrictly(confFile, text);
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException(
          "conf file " + confFile + ": not a JSON object (" + firstLine(e) + ")", e);
    }
  }

  /**
   * What a JSON object silently accepts and this refuses, naming the setting: a key given twice
   * (the last would win unseen) and a number that does not survive as a double (a fraction so small
   * it becomes 0, one so large it becomes infinite).
   */
  static void checkStrictly(Path confFile, String text) {
    List<String> path = new ArrayList<>();
    String name = null;
    try (JsonParser p = STRICT_JSON.createParser(text)) {
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        switch (t) {
          case FIELD_NAME -> name = p.getText();
          case START_OBJECT, START_ARRAY -> {
            path.add(name == null ? "" : name);
            name = null;
          }
          case END_OBJECT, END_ARRAY -> path.remove(path.size() - 1);
          case VALUE_NUMBER_FLOAT, VALUE_NUMBER_INT -> checkNumber(settingPath(path, name), p);
          default -> {}
        }
      }
    } catch (JsonProcessingException e) {
      String m = firstLine(e);
      if (m.startsWith("Duplicate field")) {
        int q = m.indexOf('\'');
        String dup = q < 0 ? "?" : m.substring(q + 1, Math.max(q + 1, m.indexOf('\'', q + 1)));
        throw new ConfigException(
            settingPath(path, dup) + ": given twice in conf file " + confFile);
      }
      throw new ConfigException("conf file " + confFile + ": not a JSON object (" + m + ")", e);
    } catch (IOException e) {
      throw new ConfigException("conf file " + confFile + ": cannot be read (" + e + ")", e);
    }
  }

  private static void checkNumber(String setting, JsonParser p) throws IOException {
    BigDecimal exact = p.getDecimalValue();
    double d = exact.doubleValue();
    if (Double.isInfinite(d)) {
      throw new ConfigException(setting + ": number too large, got " + p.getText());
    }
    if (d == 0.0 && exact.signum() != 0) {
      throw new ConfigException(
          setting + ": number too small to represent (it would become 0), got " + p.getText());
    }
  }

  private static String settingPath(List<String> path, String name) {
    StringBuilder sb = new StringBuilder();
    for (String part : path) {
      if (!part.isEmpty()) {
        sb.append(part).append('.');
      }
    }
    return sb.append(name == null ? "" : name).toString();
  }

  /** The environment variable that overrides a JSON path: {@code http.port} → BATON_HTTP_PORT. */
  public static String envName(String path) {
    StringBuilder sb = new StringBuilder(ENV_PREFIX);
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '.') {
        sb.append('_');
      } else if (Character.isUpperCase(c)) {
        sb.append('_').append(c);
      } else {
        sb.append(Character.toUpperCase(c));
      }
    }
    return sb.toString();
  }

  /** Every leaf path of the schema, e.g. {@code redis.url}. */
  public static List<String> leafPaths() {
    List<String> out = new ArrayList<>();
    collectLeaves(defaults(), "", out);
    return out;
  }

  private static void collectLeaves(JsonObject node, String prefix, List<String> out) {
    for (String key : node.fieldNames()) {
      Object v = node.getValue(key);
      if (v instanceof JsonObject child) {
        collectLeaves(child, prefix + key + ".", out);
      } else {
        out.add(prefix + key);
      }
    }
  }

  private static void overlay(JsonObject target, JsonObject source, String prefix) {
    for (String key : new TreeSet<>(source.fieldNames())) {
      String path = prefix + key;
      if (!target.containsKey(key)) {
        throw new ConfigException(path + ": unknown setting");
      }
      Object schema = target.getValue(key);
      Object value = source.getValue(key);
      if (schema instanceof JsonObject schemaObject) {
        if (!(value instanceof JsonObject valueObject)) {
          throw new ConfigException(path + ": must be an object, got " + describe(value));
        }
        overlay(schemaObject, valueObject, path + ".");
      } else {
        target.put(key, checkType(path, schema, value));
      }
    }
  }

  private static Object checkType(String path, Object schema, Object value) {
    if (value == null) {
      if (schema == null) {
        return null;
      }
      throw new ConfigException(path + ": must not be null");
    }
    return Kind.of(path, schema).fromJson(path, value);
  }

  private static void applyEnv(JsonObject merged, Map<String, String> env) {
    Map<String, String> known = new HashMap<>();
    for (String path : leafPaths()) {
      known.put(envName(path), path);
    }
    for (String name : new TreeSet<>(env.keySet())) {
      if (!name.startsWith(ENV_PREFIX)) {
        continue;
      }
      String path = known.get(name);
      if (path == null) {
        throw new ConfigException(
            name
                + ": unknown setting (environment variables starting with "
                + ENV_PREFIX
                + " must name a setting, e.g. BATON_HTTP_PORT)");
      }
      setPath(merged, path, parseEnv(name, path, schemaAt(defaults(), path), env.get(name)));
    }
  }

  private static boolean isIntegral(Number n) {
    if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) {
      return true;
    }
    double d = n.doubleValue();
    return Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 9.0e15;
  }

  private static Object parseEnv(String name, String path, Object schema, String raw) {
    return Kind.of(path, schema).fromText(name + " (" + path + ")", raw);
  }

  /**
   * The type of a setting, as its default in conf/node.json shows it, and the one place a value is
   * coerced to it: from the conf file's JSON or from an environment variable's text.
   */
  private enum Kind {
    STRING("must be a string", v -> v instanceof String ? v : null, (where, raw) -> raw),
    BOOLEAN("must be true or false", v -> v instanceof Boolean ? v : null, ConfigLoader::boolText),
    WHOLE(
        "must be a whole number",
        v -> v instanceof Number n && isIntegral(n) ? n.longValue() : null,
        ConfigLoader::wholeText),
    DECIMAL(
        "must be a number",
        v -> v instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : null,
        ConfigLoader::decimalText),
    LIST("must be a list", v -> v instanceof JsonArray ? v : null, ConfigLoader::listText);

    /** What the refusal of a conf file's value says it must be. */
    private final String expected;

    /** The conf file's value converted, or null when it is not of this kind. */
    private final UnaryOperator<Object> json;

    /** An environment variable's text parsed: (where it came from, the text) → the value. */
    private final BiFunction<String, String, Object> text;

    Kind(String expected, UnaryOperator<Object> json, BiFunction<String, String, Object> text) {
      this.expected = expected;
      this.json = json;
      this.text = text;
    }

    /** The conf file's value, checked and converted. */
    Object fromJson(String path, Object value) {
      Object converted = json.apply(value);
      if (converted == null) {
        throw new ConfigException(path + ": " + expected + ", got " + describe(value));
      }
      return converted;
    }

    /** An environment variable's text, parsed and checked. */
    Object fromText(String where, String raw) {
      return text.apply(where, raw);
    }

    static Kind of(String path, Object schema) {
      if (schema == null || schema instanceof String) {
        return STRING;
      }
      if (schema instanceof Boolean) {
        return BOOLEAN;
      }
      if (schema instanceof Integer || schema instanceof Long) {
        return WHOLE;
      }
      if (schema instanceof Number) {
        return DECIMAL;
      }
      if (schema instanceof JsonArray) {
        return LIST;
      }
      throw new IllegalStateException("unsupported schema type at " + path);
    }
  }

  private static Object boolText(String where, String raw) {
    String text = raw.trim();
    if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(text);
    }
    throw new ConfigException(where + ": must be true or false, got '" + raw + "'");
  }

  private static Object wholeText(String where, String raw) {
    String text = raw.trim();
    if (!ENV_WHOLE.matcher(text).matches()) {
      throw new ConfigException(
          where + ": must be a whole number (digits, optionally a leading -), got '" + raw + "'");
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new ConfigException(where + ": whole number out of range, got '" + raw + "'");
    }
  }

  private static Object decimalText(String where, String raw) {
    String text = raw.trim();
    if (!ENV_DECIMAL.matcher(text).matches()) {
      throw new ConfigException(where + ": must be a decimal number, got '" + raw + "'");
    }
    BigDecimal exact = new BigDecimal(text);
    double d = exact.doubleValue();
    if (Double.isInfinite(d)) {
      throw new ConfigException(where + ": number too large, got '" + raw + "'");
    }
    if (d == 0.0 && exact.signum() != 0) {
      throw new ConfigException(
          where + ": number too small to represent (it would become 0), got '" + raw + "'");
    }
    return d;
  }

  /**
   * Comma-separated; blank as a whole is the empty list, an empty entry ("a,,b", "a,") is a typo.
   * Text starting with '[' is a JSON list of strings instead, for entries that hold commas or
   * spaces (a command's arguments).
   */
  private static Object listText(String where, String raw) {
    String text = raw.trim();
    if (text.startsWith("[")) {
      return jsonListText(where, text);
    }
    JsonArray list = new JsonArray();
    if (text.isEmpty()) {
      return list;
    }
    String[] parts = text.split(",", -1);
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].isBlank()) {
        throw new ConfigException(
            where + ": entry " + (i + 1) + " of the comma-separated list is empty");
      }
      list.add(parts[i].trim());
    }
    return list;
  }

  private static JsonArray jsonListText(String where, String text) {
    JsonArray list;
    try {
      list = new JsonArray(text);
    } catch (DecodeException e) {
      throw new ConfigException(where + ": not a JSON list (" + firstLine(e) + ")");
    }
    for (int i = 0; i < list.size(); i++) {
      if (!(list.getValue(i) instanceof String)) {
        throw new ConfigException(
            where + ": entry " + (i + 1) + " of the JSON list must be a string");
      }
    }
    return list;
  }

  private static Object schemaAt(JsonObject root, String path) {
    String[] parts = path.split("\\.");
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.getJsonObject(parts[i]);
    }
    return node.getValue(parts[parts.length - 1]);
  }

  private static void setPath(JsonObject root, String path, Object value) {
    String[] parts = path.split("\\.");
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.getJsonObject(parts[i]);
    }
    node.put(parts[parts.length - 1], value);
  }

  private static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String s) {
      return "'" + s + "'";
    }
    if (value instanceof JsonObject) {
      return "an object";
    }
    if (value instanceof JsonArray) {
      return "a list";
    }
    return String.valueOf(value);
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
