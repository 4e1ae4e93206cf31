package dev.baton.config;

import io.vertx.core.json.JsonObject;

/**
 * Presence ("last will"): with {@code enabled}, the node holds a subscription that Redis drops the
 * moment its process dies, and the watcher polls every {@code watchMs} for a vanished generator or
 * work left on a vanished handler. Disabled: the lease and the idle reclaim alone.
 */
public record PresenceSettings(boolean enabled, long watchMs) {
  static PresenceSettings parse(Section p, ElectionSettings election) {
    long watchMs = p.range("watchMs", 10, 60_000);
    if (watchMs >= election.leaseMs()) {
      throw p.refuse(
          "watchMs", "must be below election.leaseMs (" + election.leaseMs() + "), got " + watchMs);
    }
    return new PresenceSettings(p.bool("enabled"), watchMs);
  }

  JsonObject toJson() {
    return new JsonObject().put("enabled", enabled).put("watchMs", watchMs);
  }
}
