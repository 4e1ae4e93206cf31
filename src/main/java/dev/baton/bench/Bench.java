package dev.baton.bench;

import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;

/**
 * What the benchmark's modes share: polling for a condition, the machine and its load, and a node
 * process's latency histogram and plug-in figures.
 */
final class Bench {
  /** Highest latency a histogram records, in ms (an hour). */
  static final long MAX_LATENCY_MS = 3_600_000L;

  private Bench() {}

  /** A new empty latency histogram, in ms, 3 significant digits. */
  static Histogram histogram() {
    return new Histogram(MAX_LATENCY_MS, 3);
  }

  /** A fresh key prefix for one run: {@code <name><6 random characters>}. */
  static String prefix(String name) {
    return name + UUID.randomUUID().toString().substring(0, 6);
  }

  /** Polls every 20 ms until {@code condition} holds; fails after {@code timeoutMs}. */
  static void waitFor(BooleanSupplier condition, long timeoutMs, String what)
      throws InterruptedException {
    waitFor(condition, timeoutMs, what, 20);
  }

  /** Polls every {@code pollMs} until {@code condition} holds; fails after {@code timeoutMs}. */
  static void waitFor(BooleanSupplier condition, long timeoutMs, String what, long pollMs)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      Thread.sleep(pollMs);
    }
  }

  /** The 1, 5 and 15 minute load averages: the machine may be shared while it measures. */
  static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "unknown";
    }
  }

  /** Cores, load, Java, OS, and on Linux the CPU model and memory. */
  static JsonObject machine() {
    JsonObject m =
        new JsonObject()
            .put("cores", Runtime.getRuntime().availableProcessors())
            .put("loadAtStart", load())
            .put(
                "java",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"))
            .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    try {
      procLine(m, "cpu", "/proc/cpuinfo", "model name");
      procLine(m, "memory", "/proc/meminfo", "MemTotal");
    } catch (Exception e) {
      // not Linux: fewer details
    }
    return m;
  }

  /** Puts the value of the first line of {@code file} that starts with {@code prefix}. */
  private static void procLine(JsonObject m, String field, String file, String prefix)
      throws Exception {
    for (String line : Files.readAllLines(Path.of(file))) {
      if (line.startsWith(prefix)) {
        m.put(field, line.substring(line.indexOf(':') + 1).trim());
        break;
      }
    }
  }

  /** The node's latency histogram from /latency (empty when it does not answer). */
  static Histogram histogram(NodeProcess node) {
    JsonObject body = node.get("/latency");
    if (body == null) {
      return histogram();
    }
    try {
      byte[] bytes = Base64.getDecoder().decode(body.getString("histogram"));
      return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), MAX_LATENCY_MS);
    } catch (Exception e) {
      throw new IllegalStateException("bad histogram from " + node.id(), e);
    }
  }

  /** The node's plug-in figures from /status (null when it does not answer). */
  static JsonObject pluginsOf(NodeProcess node) {
    JsonObject status = node.status();
    return status == null ? null : status.getJsonObject("plugins");
  }
}
