package dev.baton.config;

import io.vertx.core.json.JsonObject;

public record HeartbeatSettings(long intervalMs, long timeoutMs) {
  static HeartbeatSettings parse(Section hb) {
    long interval = hb.range("intervalMs", 10, 3_600_000);
    long timeout = hb.range("timeoutMs", 1, 86_400_000);
    if (timeout < 2 * interval) {
      throw hb.refuse(
          "timeoutMs",
          "must be at least 2 × heartbeat.intervalMs (" + 2 * interval + "), got " + timeout);
    }
    return new HeartbeatSettings(interval, timeout);
  }

  JsonObject toJson() {
    return new JsonObject().put("intervalMs", intervalMs).put("timeoutMs", timeoutMs);
  }
}
