package dev.baton.config;

import io.vertx.core.json.JsonObject;

/**
 * {@code maxInFlight}: commits a handler may have outstanding while it reads the next batch. {@code
 * plugin} judges each message ({@code handler.type}; the built-in random judge flips a coin with
 * {@code errorProbability}); {@code processes} child processes for the command form. Each attempt
 * ends after {@code timeoutMs}; at most {@code concurrency} are outstanding; a failed attempt is
 * retried after an exponential backoff from {@code retryBackoffMs} up to {@code retryBackoffMaxMs},
 * and the message is dead-lettered once attempt {@code maxDeliveries} failed. On stop, attempts
 * under way get {@code stopGraceMs} to finish.
 */
public record HandlerSettings(
    double errorProbability,
    long reclaimIdleMs,
    int maxDeliveries,
    long blockMs,
    int batchSize,
    int maxInFlight,
    PluginSettings plugin,
    int processes,
    long timeoutMs,
    int concurrency,
    long retryBackoffMs,
    long retryBackoffMaxMs,
    long stopGraceMs,
    long failingAfterMs) {
  static HandlerSettings parse(Section h) {
    double errorProbability = h.decimal("errorProbability");
    if (!(errorProbability >= 0.0 && errorProbability <= 1.0)) {
      throw h.refuse("errorProbability", "must be within [0, 1], got " + errorProbability);
    }
    long retryBackoffMs = h.range("retryBackoffMs", 1, 3_600_000);
    long retryBackoffMaxMs = h.range("retryBackoffMaxMs", 1, 86_400_000);
    if (retryBackoffMaxMs < retryBackoffMs) {
      throw h.refuse(
          "retryBackoffMaxMs",
          "must be at least handler.retryBackoffMs ("
              + retryBackoffMs
              + "), got "
              + retryBackoffMaxMs);
    }
    return new HandlerSettings(
        errorProbability,
        h.range("reclaimIdleMs", 1, 86_400_000),
        (int) h.range("maxDeliveries", 1, 1_000_000),
        h.range("blockMs", 1, 600_000),
        (int) h.range("batchSize", 1, 100_000),
        (int) h.range("maxInFlight", 1, 64),
        PluginSettings.parse(h, "type"),
        (int) h.range("processes", 1, 256),
        h.range("timeoutMs", 10, 86_400_000),
        (int) h.range("concurrency", 1, 10_000),
        retryBackoffMs,
        retryBackoffMaxMs,
        h.range("stopGraceMs", 0, 600_000),
        h.range("failingAfterMs", 100, 86_400_000));
  }

  JsonObject toJson() {
    return new JsonObject()
        .mergeIn(plugin.toJson("type"))
        .put("errorProbability", errorProbability)
        .put("processes", processes)
        .put("timeoutMs", timeoutMs)
        .put("concurrency", concurrency)
        .put("retryBackoffMs", retryBackoffMs)
        .put("retryBackoffMaxMs", retryBackoffMaxMs)
        .put("stopGraceMs", stopGraceMs)
        .put("failingAfterMs", failingAfterMs)
        .put("reclaimIdleMs", reclaimIdleMs)
        .put("maxDeliveries", maxDeliveries)
        .put("blockMs", blockMs)
        .put("batchSize", batchSize)
        .put("maxInFlight", maxInFlight);
  }
}
