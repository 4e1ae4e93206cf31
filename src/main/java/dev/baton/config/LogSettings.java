package dev.baton.config;

import io.vertx.core.json.JsonObject;
import java.util.Locale;

public record LogSettings(LogFormat format) {
  /** Log line format. */
  public enum LogFormat {
    TEXT,
    JSON
  }

  static LogSettings parse(Section l) {
    return new LogSettings(l.choice("format", LogFormat.class));
  }

  JsonObject toJson() {
    return new JsonObject().put("format", format.name().toLowerCase(Locale.ROOT));
  }
}
