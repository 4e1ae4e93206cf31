package dev.baton.config;

import io.vertx.core.json.JsonObject;

/**
 * {@code intervalMs} 0 is throughput mode: batches of {@code batchSize} messages per fenced call,
 * packed {@code packSize} to a stream entry, at most {@code maxInFlight} calls at once. At a
 * cadence an entry holds one message. {@code maxMessages} stops publishing after that many (0:
 * never). {@code source} says where the texts come from: the built-in random words, or a plug-in
 * called once per tick, each call within {@code timeoutMs}, its texts at most {@code
 * maxMessageBytes} each.
 */
public record GeneratorSettings(
    long intervalMs,
    long maxBacklog,
    int batchSize,
    int packSize,
    int maxInFlight,
    long maxMessages,
    PluginSettings source,
    long timeoutMs,
    int maxMessageBytes,
    long failingAfterMs) {
  /** Largest {@code maxMessageBytes}: a message is one Redis argument and one stream field. */
  public static final int MESSAGE_BYTES_LIMIT = 16 * 1024 * 1024;

  static GeneratorSettings parse(Section g) {
    return new GeneratorSettings(
        g.range("intervalMs", 0, 86_400_000),
        g.range("maxBacklog", 1, 1_000_000_000),
        (int) g.range("batchSize", 1, 100_000),
        (int) g.range("packSize", 1, 1_000),
        (int) g.range("maxInFlight", 1, 64),
        g.range("maxMessages", 0, Long.MAX_VALUE),
        PluginSettings.parse(g, "source"),
        g.range("timeoutMs", 10, 3_600_000),
        (int) g.range("maxMessageBytes", 1, MESSAGE_BYTES_LIMIT),
        g.range("failingAfterMs", 100, 86_400_000));
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("intervalMs", intervalMs)
        .put("maxBacklog", maxBacklog)
        .put("batchSize", batchSize)
        .put("packSize", packSize)
        .put("maxInFlight", maxInFlight)
        .put("maxMessages", maxMessages)
        .mergeIn(source.toJson("source"))
        .put("timeoutMs", timeoutMs)
        .put("maxMessageBytes", maxMessageBytes)
        .put("failingAfterMs", failingAfterMs);
  }
}
