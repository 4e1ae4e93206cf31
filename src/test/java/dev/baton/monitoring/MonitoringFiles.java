package dev.baton.monitoring;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * The files under monitoring/ as the tests read them: the alert rules, the Grafana dashboard and
 * its panels' queries, the metric names a PromQL expression uses, and the metric names Baton
 * exports (the README's Metrics table) plus those still to come from other branches.
 */
final class MonitoringFiles {
  static final Path ROOT = Path.of("").toAbsolutePath();
  static final Path RULES = ROOT.resolve("monitoring/prometheus/baton-alerts.yml");
  static final Path RULE_TESTS = ROOT.resolve("monitoring/prometheus/baton-alerts.test.yml");
  static final Path DASHBOARD = ROOT.resolve("monitoring/grafana/baton.json");
  static final Path PROVISIONING = ROOT.resolve("monitoring/grafana/provisioning");
  static final Path README = ROOT.resolve("README.md");

  private static final List<String> HISTOGRAM_SUFFIXES = List.of("_bucket", "_sum", "_count");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Set<String> KEYWORDS =
      Set.of("and", "or", "unless", "bool", "offset", "inf", "nan", "Inf", "NaN");

  private MonitoringFiles() {}

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static <T> T yaml(Path file) {
    return (T) new Yaml().load(read(file));
  }

  /** Every alerting rule of baton-alerts.yml, in file order, as parsed YAML maps. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> rules() {
    Map<String, Object> file = yaml(RULES);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
      out.addAll((List<Map<String, Object>>) group.get("rules"));
    }
    return out;
  }

  /** Alert name → expression. */
  static Map<String, String> alertExpressions() {
    Map<String, String> out = new LinkedHashMap<>();
    rules().forEach(r -> out.put((String) r.get("alert"), ((String) r.get("expr")).strip()));
    return out;
  }

  static JsonObject dashboard() {
    return new JsonObject(read(DASHBOARD));
  }

  /** Every panel, rows' nested panels included. */
  static List<JsonObject> panels(JsonObject dashboard) {
    List<JsonObject> out = new ArrayList<>();
    for (Object o : dashboard.getJsonArray("panels", new JsonArray())) {
      JsonObject p = (JsonObject) o;
      out.add(p);
      for (Object nested : p.getJsonArray("panels", new JsonArray())) {
        out.add((JsonObject) nested);
      }
    }
    return out;
  }

  /** "panel title / refId" → the target's PromQL, for every panel target with an expression. */
  static Map<String, String> panelExpressions(JsonObject dashboard) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonObject panel : panels(dashboard)) {
      for (Object t : panel.getJsonArray("targets", new JsonArray())) {
        JsonObject target = (JsonObject) t;
        if (target.getString("expr") != null) {
          out.put(
              panel.getString("title") + " / " + target.getString("refId"),
              target.getString("expr"));
        }
      }
    }
    return out;
  }

  /**
   * The metric names a PromQL expression selects: what is left of it once strings, label matchers,
   * ranges, grouping clauses, function calls and keywords are taken out.
   */
  static Set<String> metricNames(String expr) {
    String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
    s = s.replaceAll("\\{[^}]*\\}", " ");
    s = s.replaceAll("\\[[^\\]]*\\]", " ");
    s = GROUPING.matcher(s).replaceAll(" ");
    Set<String> names = new LinkedHashSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      if (m.start() > 0 && Character.isLetterOrDigit(s.charAt(m.start() - 1))) {
        continue; // inside a number such as 1e3 or a duration
      }
      String rest = s.substring(m.end()).stripLeading();
      if (rest.startsWith("(") || KEYWORDS.contains(m.group())) {
        continue; // a function or an aggregation, or an operator
      }
      names.add(m.group());
    }
    return names;
  }

  /**
   * Names in the first column of the README's Metrics table: exact names, and prefixes for the rows
   * that end in {@code *} (vertx_pool_*, jvm_*...).
   */
  static Set<String> readmeMetrics() {
    String readme = read(README);
    int start = readme.indexOf("\n## Metrics");
    int end = readme.indexOf("\n## ", start + 1);
    Set<String> names = new LinkedHashSet<>();
    for (String line : readme.substring(start, end).split("\n")) {
      if (!line.startsWith("| `")) {
        continue;
      }
      String first = line.substring(1, line.indexOf('|', 1));
      Matcher m = Pattern.compile("`([a-z_]+\\*?)(?:\\{[^`]*\\})?`").matcher(first);
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /** Whether {@code name} is exported: the README's Metrics table names it. */
  static boolean known(String name, Set<String> exported) {
    return matches(name, exported);
  }

  private static boolean matches(String name, Set<String> names) {
    for (String n : names) {
      if (n.endsWith("*") ? name.startsWith(n.substring(0, n.length() - 1)) : name.equals(n)) {
        return true;
      }
      for (String suffix : HISTOGRAM_SUFFIXES) {
        if (name.equals(n + suffix)) {
          return true;
        }
      }
    }
    return false;
  }
}
