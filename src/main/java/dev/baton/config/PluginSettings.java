package dev.baton.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Which plug-in does a role's work, and each form's settings: the handler's ({@code handler.type})
 * and the generator's source ({@code generator.source}) are configured alike. Only the settings of
 * the chosen form are checked; every refusal names the setting.
 *
 * @param type the form
 * @param http {@code http}: where to call, and the Standard Webhooks secret (null: unsigned)
 * @param command {@code command}: the child process's argv, its executable resolved and checked
 * @param java {@code java}: the class to load (empty: the one {@code ServiceLoader} finds) and a
 *     directory of jars to load it from (empty: the class path only)
 */
public record PluginSettings(
    PluginType type, HttpPlugin http, List<String> command, JavaPlugin java) {

  /** The forms a plug-in takes. */
  public enum PluginType {
    RANDOM,
    HTTP,
    COMMAND,
    JAVA;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * {@code url}: an http:// or https:// URL; {@code secret}: the webhook secret's key bytes (from
   * {@code whsec_<base64>} or plain base64), null when requests are not signed.
   */
  public record HttpPlugin(String url, byte[] secret) {}

  /** {@code className} empty: found by ServiceLoader; {@code path} empty: no plug-in directory. */
  public record JavaPlugin(String className, String path) {}

  /** The form {@code s.typeKey} names and its settings, checked. */
  static PluginSettings parse(Section s, String typeKey) {
    PluginType type = s.choice(typeKey, PluginType.class);
    String what = s.name() + "." + typeKey + " is '" + type.label() + "'";
    Section h = s.section("http");
    HttpPlugin http = new HttpPlugin("", null);
    if (type == PluginType.HTTP) {
      http = new HttpPlugin(url(h, what), secret(h));
    }
    List<String> command = List.of();
    if (type == PluginType.COMMAND) {
      command = command(s, what);
    }
    Section j = s.section("java");
    JavaPlugin java = new JavaPlugin(j.string("class").strip(), j.string("path").strip());
    if (type == PluginType.JAVA
        && !java.path().isEmpty()
        && !Files.isDirectory(Path.of(java.path()))) {
      throw j.refuse("path", "'" + java.path() + "' is not a directory of plug-in jars");
    }
    return new PluginSettings(type, http, command, java);
  }

  private static String url(Section h, String what) {
    String url = h.string("url").strip();
    if (url.isEmpty()) {
      throw h.refuse("url", "required when " + what + " (the URL to call)");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw h.refuse("url", "not a URL: '" + url + "' (" + e.getReason() + ")");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw h.refuse(
          "url",
          "must be an http:// or https:// URL, got '"
              + url
              + "'"
              + (scheme.isEmpty() ? " (no scheme)" : " (scheme " + scheme + ")"));
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw h.refuse("url", "names no host: '" + url + "'");
    }
    if (uri.getUserInfo() != null) {
      throw h.refuse("url", "must not carry credentials; sign requests with the secret instead");
    }
    return url;
  }

  /**
   * The Standard Webhooks secret: {@code whsec_} followed by base64 (the prefix is optional, as in
   * the spec's libraries), 24 to 64 bytes once decoded, as the spec asks.
   */
  private static byte[] secret(Section h) {
    String raw = h.string("secret").strip();
    if (raw.isEmpty()) {
      return null;
    }
    Secrets.remember(raw);
    String b64 = raw.startsWith("whsec_") ? raw.substring("whsec_".length()) : raw;
    byte[] key;
    try {
      key = Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw h.refuse(
          "secret",
          "must be whsec_ followed by base64 (a Standard Webhooks secret; make one with: echo"
              + " whsec_$(openssl rand -base64 32))");
    }
    if (key.length < 24 || key.length > 64) {
      throw h.refuse(
          "secret",
          "is "
              + key.length
              + " bytes once decoded; Standard Webhooks secrets are 24 to 64 bytes (32 is usual)");
    }
    return key;
  }

  /** The argv, with its executable checked: a path to an executable file, or a name on PATH. */
  private static List<String> command(Section s, String what) {
    JsonArray argv = s.list("command");
    if (argv.isEmpty()) {
      throw s.refuse(
          "command", "required when " + what + " (the program and its arguments, a list)");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < argv.size(); i++) {
      if (!(argv.getValue(i) instanceof String arg) || (i == 0 && arg.isBlank())) {
        throw s.refuse("command", "entry " + (i + 1) + " must be a non-empty string");
      }
      out.add(arg);
    }
    String program = out.get(0);
    if (resolve(program) == null) {
      throw s.refuse(
          "command",
          "'"
              + program
              + "' "
              + (program.contains(File.separator)
                  ? "is not an executable file"
                  : "is not found on PATH as an executable file"));
    }
    return List.copyOf(out);
  }

  /** The executable {@code program} names (a path, or a name looked up on PATH), or null. */
  static Path resolve(String program) {
    if (program.contains(File.separator)) {
      Path p = Path.of(program);
      return Files.isRegularFile(p) && Files.isExecutable(p) ? p : null;
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, program);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** As conf/node.json lays it out, the secret masked ({@code typeKey}: type or source). */
  JsonObject toJson(String typeKey) {
    return new JsonObject()
        .put(typeKey, type.label())
        .put(
            "http",
            new JsonObject()
                .put("url", http.url())
                .put("secret", http.secret() == null ? "" : Secrets.MASK))
        .put("command", new JsonArray(new ArrayList<>(command)))
        .put("java", new JsonObject().put("class", java.className()).put("path", java.path()));
  }
}
