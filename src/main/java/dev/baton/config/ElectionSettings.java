package dev.baton.config;

import io.vertx.core.json.JsonObject;

public record ElectionSettings(long leaseMs, long renewMs) {
  static ElectionSettings parse(Section e) {
    long leaseMs = e.range("leaseMs", 30, 3_600_000);
    long renewMs = e.range("renewMs", 1, 3_600_000);
    if (renewMs * 3 > leaseMs) {
      throw e.refuse(
          "renewMs", "must be at most election.leaseMs/3 (" + leaseMs / 3 + "), got " + renewMs);
    }
    return new ElectionSettings(leaseMs, renewMs);
  }

  JsonObject toJson() {
    return new JsonObject().put("leaseMs", leaseMs).put("renewMs", renewMs);
  }
}
