package dev.baton.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One section of the merged configuration (its values already of the schema's types, see {@link
 * ConfigLoader}), read by the section's record: every refusal names the setting in full.
 */
final class Section {
  private final String name;
  private final JsonObject json;

  private Section(String name, JsonObject json) {
    this.name = name;
    this.json = json;
  }

  static Section of(JsonObject root, String name) {
    return new Section(name, root.getJsonObject(name));
  }

  String name() {
    return name;
  }

  /** A subsection, e.g. {@code redis.tls}. */
  Section section(String key) {
    return new Section(name + "." + key, json.getJsonObject(key));
  }

  /** The refusal of {@code key}'s value, to throw: {@code <section>.<key>: <why>}. */
  ConfigException refuse(String key, String why) {
    return new ConfigException(name + "." + key + ": " + why);
  }

  String string(String key) {
    return json.getString(key);
  }

  boolean bool(String key) {
    return json.getBoolean(key);
  }

  double decimal(String key) {
    return json.getDouble(key);
  }

  JsonArray list(String key) {
    return json.getJsonArray(key);
  }

  long range(String key, long min, long max) {
    long v = json.getLong(key);
    if (v < min || v > max) {
      throw refuse(key, "must be within [" + min + ", " + max + "], got " + v);
    }
    return v;
  }

  <E extends Enum<E>> E choice(String key, Class<E> type) {
    String raw = json.getString(key);
    try {
      return Enum.valueOf(type, raw.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        names.add("'" + c.name().toLowerCase(Locale.ROOT) + "'");
      }
      throw refuse(key, "must be one of " + String.join(", ", names) + ", got '" + raw + "'");
    }
  }

  /** A file named by {@code key} that must be readable, or "" when none is named. */
  String readableFile(String key) {
    String file = json.getString(key);
    if (!file.isEmpty() && !Files.isReadable(Path.of(file))) {
      throw refuse(key, "cannot read '" + file + "'");
    }
    return file;
  }

  /**
   * A secret given inline ({@code key}) or in a file ({@code fileKey}, trailing line break
   * dropped); null when neither is set. The error messages never contain the secret.
   */
  String secret(String key, String fileKey) {
    String inline = json.getString(key);
    String file = json.getString(fileKey);
    if (!inline.isEmpty() && !file.isEmpty()) {
      throw new ConfigException(
          name + "." + key + " and " + name + "." + fileKey + ": set one of them, not both");
    }
    String value = inline;
    if (!file.isEmpty()) {
      try {
        value = Files.readString(Path.of(file), StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        throw refuse(fileKey, "cannot read '" + file + "' (" + e.getClass().getSimpleName() + ")");
      }
      value =
          value.endsWith("\r\n")
              ? value.substring(0, value.length() - 2)
              : value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
      if (value.isEmpty()) {
        throw refuse(fileKey, "'" + file + "' is empty");
      }
    }
    if (value.isEmpty()) {
      return null;
    }
    Secrets.remember(value);
    return value;
  }
}
