package dev.baton.config;

import io.vertx.core.json.JsonObject;

/** When enabled, the publish, commit and drain scripts record every message id in a ledger. */
public record AuditSettings(boolean enabled) {
  static AuditSettings parse(Section a) {
    return new AuditSettings(a.bool("enabled"));
  }

  JsonObject toJson() {
    return new JsonObject().put("enabled", enabled);
  }
}
