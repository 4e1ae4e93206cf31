package dev.baton.bench;

import dev.baton.audit.Verifier;
import dev.baton.audit.VerifyReport;
import dev.baton.redis.Keys;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * {@code bench} (the default mode): 1 generator and H handlers as OS processes publish and commit N
 * messages, without and/or with the audit ledger, against Redis's raw XADD rate. Its trials are
 * also the sweep's points and the plug-in runs' Baton side.
 */
final class ThroughputRun {
  /**
   * What every trial shares, from the command's options.
   *
   * @param handlerBatch handler.batchSize, or null for as many entries as hold one publish call
   * @param warmup messages committed before the measured ones, by the same processes
   */
  record Settings(Integer handlerBatch, int inFlight, int handlerInFlight, long warmup) {}

  /** The shape of one trial: handler processes, publish call size, pack size, messages. */
  record Shape(int handlers, int batch, int pack, long messages) {}

  /** What was read when the measured window opened: the clock and each figure's start. */
  private record Start(
      long t0,
      Map<String, Double> cpu,
      Map<String, Histogram> latency,
      Map<String, double[]> commands) {}

  private final Target target;
  private final NodeLauncher launcher;
  private final Settings settings;

  ThroughputRun(Target target, NodeLauncher launcher, Settings settings) {
    this.target = target;
    this.launcher = launcher;
    this.settings = settings;
  }

  /** A run per ledger mode ({@code on}, {@code off} or {@code both}), after the raw XADD rate. */
  JsonObject run(Shape shape, String ledger) throws Exception {
    JsonObject result = new JsonObject();
    double raw = rawXadd();
    result.put("rawXaddPerSecond", raw).put("redis", target.describe());
    System.out.printf(
        Locale.ROOT, "redis-benchmark -P 16 XADD: %,.0f/s (load %s)%n", raw, Bench.load());
    List<Boolean> modes =
        switch (ledger) {
          case "on" -> List.of(true);
          case "off" -> List.of(false);
          default -> List.of(false, true);
        };
    JsonArray runs = new JsonArray();
    for (boolean withLedger : modes) {
      runs.add(measuredTrial(shape, withLedger, raw));
    }
    return result.put("runs", runs);
  }

  /** redis-benchmark's XADD rate on the target (its key removed after). */
  double rawXadd() throws Exception {
    double raw = BenchRedis.rawXaddPerSecond(target.host, target.port, 1_000_000);
    target.cmd("DEL", "{bench}:raw-xadd");
    return raw;
  }

  /** Where a trial's measured window starts, once its warm-up is over. */
  enum Window {
    /**
     * When the first measured message is published: the backlog the warm-up leaves is committed
     * inside the window too (conservative; the generator and handlers measured end to end).
     */
    FROM_PUBLISHED,
    /**
     * When the warm-up's messages are all committed: the handlers' steady rate, as a service
     * measured alone (wrk, a process fed from a file) is measured. A slow plug-in leaves most of
     * the warm-up in the backlog when its publishing is done, so the first window would time twice
     * the messages it counts.
     */
    FROM_COMMITTED
  }

  /** A trial with the configured warm-up, compared with {@code raw} and printed. */
  JsonObject measuredTrial(Shape shape, boolean withLedger, double raw) throws Exception {
    JsonObject run = trial(shape, settings.warmup(), Window.FROM_PUBLISHED, withLedger, Map.of());
    run.put("ratioToRawXadd", raw > 0 ? run.getDouble("messagesPerSecond") / raw : null);
    print(run);
    return run;
  }

  /**
   * One throughput run of {@code shape.messages()} after {@code warmup} ones, whose nodes also get
   * {@code extraEnv} (a plug-in's settings): handlers first, then the generator, until all are
   * committed; the measured window starts as {@code window} says.
   */
  JsonObject trial(
      Shape shape, long warmup, Window window, boolean withLedger, Map<String, String> extraEnv)
      throws Exception {
    int readBatch =
        settings.handlerBatch() != null
            ? settings.handlerBatch()
            : (shape.batch() + shape.pack() - 1) / shape.pack();
    String prefix = Bench.prefix("bench");
    Keys keys = new Keys(prefix);
    Map<String, String> env =
        NodeEnv.on(target, prefix)
            .set("audit.enabled", withLedger)
            .set("generator.intervalMs", 0)
            .set("generator.batchSize", shape.batch())
            .set("generator.packSize", shape.pack())
            .set("generator.maxInFlight", settings.inFlight())
            .set("generator.maxMessages", warmup + shape.messages())
            .set("handler.batchSize", readBatch)
            .set("handler.maxInFlight", settings.handlerInFlight())
            .putAll(extraEnv)
            .toMap();
    // the lease names the generator-to-be, so the handlers, started first, stay handlers
    target.cmd("SET", keys.leader(), "gen", "PX", "60000");
    List<NodeProcess> hs = new ArrayList<>();
    NodeProcess gen = null;
    try {
      for (int i = 1; i <= shape.handlers(); i++) {
        hs.add(launcher.start("h" + i, env));
      }
      for (NodeProcess h : hs) {
        Bench.waitFor(() -> "handler".equals(h.role()), 60_000, h.id() + " ready");
      }
      gen = launcher.start("gen", env);
      Start start = awaitCommitted(keys, gen, hs, shape.messages(), warmup, window);
      double seconds = (System.nanoTime() - start.t0()) / 1e9;
      JsonObject run = result(shape, warmup, readBatch, withLedger, seconds, start, gen, hs);
      if (withLedger) {
        run.put("verify", verify(keys));
      }
      return run;
    } finally {
      if (gen != null) {
        gen.close();
      }
      hs.forEach(NodeProcess::stop);
      target.cleanUp(keys);
    }
  }

  /**
   * Polls the counters until {@code warmup + n} messages have their outcome; returns what was read
   * when the window started (see {@link Window}).
   */
  private Start awaitCommitted(
      Keys keys, NodeProcess gen, List<NodeProcess> hs, long n, long warmup, Window window)
      throws Exception {
    Start start = null;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
    while (true) {
      BenchCounters stats = BenchCounters.read(target, keys);
      long now = System.nanoTime();
      boolean begun =
          window == Window.FROM_PUBLISHED ? stats.published() > warmup : stats.done() >= warmup;
      if (start == null && begun) {
        start = start(now, gen, hs, warmup);
      }
      if (stats.done() >= warmup + n) {
        return start;
      }
      if (now > deadline) {
        throw new IllegalStateException(
            "not all committed in 15 minutes: " + stats.processed() + " of " + n);
      }
      Thread.sleep(5);
    }
  }

  private Start start(long now, NodeProcess gen, List<NodeProcess> hs, long warmup) {
    Map<String, double[]> commands = target.commandStats();
    Map<String, Double> cpu = new LinkedHashMap<>();
    Map<String, Histogram> latency = new HashMap<>();
    cpu.put("redis", target.cpu());
    cpu.put("gen", Proc.cpuSeconds(gen.pid()));
    for (NodeProcess h : hs) {
      cpu.put(h.id(), Proc.cpuSeconds(h.pid()));
      latency.put(h.id(), warmup == 0 ? Bench.histogram() : Bench.histogram(h));
    }
    return new Start(now, cpu, latency, commands);
  }

  /** The run's report: its shape, CPU and memory of each process, latency, Redis per command. */
  private JsonObject result(
      Shape shape,
      long warmup,
      int readBatch,
      boolean withLedger,
      double seconds,
      Start start,
      NodeProcess gen,
      List<NodeProcess> hs) {
    long n = shape.messages();
    Map<String, double[]> commandsAtEnd = target.commandStats();
    JsonObject cpu = new JsonObject();
    JsonObject rss = new JsonObject();
    cpu.put("redis", target.cpu() - start.cpu().get("redis"));
    rss.put("redis", target.peakRss());
    cpu.put("gen", Proc.cpuSeconds(gen.pid()) - start.cpu().get("gen"));
    rss.put("gen", Proc.peakRssMb(gen.pid()));
    Histogram latency = Bench.histogram();
    for (NodeProcess h : hs) {
      cpu.put(h.id(), Proc.cpuSeconds(h.pid()) - start.cpu().get(h.id()));
      rss.put(h.id(), Proc.peakRssMb(h.pid()));
      Histogram measured = Bench.histogram(h);
      measured.subtract(start.latency().get(h.id()));
      latency.add(measured);
    }
    double jvmCpu = 0;
    for (String k : cpu.fieldNames()) {
      jvmCpu += k.equals("redis") ? 0 : cpu.getDouble(k);
    }
    return new JsonObject()
        .put("messages", n)
        .put("warmup", warmup)
        .put("handlers", shape.handlers())
        .put("batch", shape.batch())
        .put("pack", shape.pack())
        .put("handlerBatch", readBatch)
        .put(
            "usecPerMessage",
            new JsonObject()
                .put("redisCpu", cpu.getDouble("redis") * 1e6 / n)
                .put("jvmCpu", jvmCpu * 1e6 / n))
        .put("commandStats", commandStats(start.commands(), commandsAtEnd, n))
        .put("load", Bench.load())
        .put("ledger", withLedger)
        .put("seconds", seconds)
        .put("messagesPerSecond", n / seconds)
        .put(
            "latencyMs",
            new JsonObject()
                .put("p50", latency.getValueAtPercentile(50))
                .put("p99", latency.getValueAtPercentile(99))
                .put("max", latency.getMaxValue())
                .put("count", latency.getTotalCount()))
        .put("cpuSeconds", cpu)
        .put("peakRssMb", rss);
  }

  /**
   * Redis time per message by command (INFO commandstats: calls and usec, scripts' own commands
   * included).
   */
  private static JsonObject commandStats(
      Map<String, double[]> atStart, Map<String, double[]> atEnd, long n) {
    JsonObject commands = new JsonObject();
    atEnd.forEach(
        (name, end) -> {
          double[] start = atStart.getOrDefault(name, new double[2]);
          double calls = end[0] - start[0];
          if (calls > 0) {
            commands.put(
                name,
                new JsonObject()
                    .put("calls", (long) calls)
                    .put("usecPerMessage", (end[1] - start[1]) / n)
                    .put("usecPerCall", (end[1] - start[1]) / calls));
          }
        });
    return commands;
  }

  private JsonObject verify(Keys keys) throws Exception {
    VerifyReport v = new Verifier(target.ops, keys).verify().await(10, TimeUnit.MINUTES);
    return new JsonObject()
        .put("published", v.published())
        .put("committed", v.committed())
        .put("lost", (long) v.lost().size())
        .put("duplicated", (long) v.duplicated().size())
        .put("ok", v.passed());
  }

  static void print(JsonObject run) {
    JsonObject l = run.getJsonObject("latencyMs");
    System.out.printf(
        Locale.ROOT,
        "%,d messages%s, 1 generator + %d handlers, batch %d, pack %d, ledger %s: %.2f s,"
            + " %,.0f msg/s (%.2f of raw XADD); latency p50 %d ms p99 %d ms max %d ms%n",
        run.getLong("messages"),
        run.getLong("warmup") > 0 ? " after " + run.getLong("warmup") + " warm-up" : "",
        run.getInteger("handlers"),
        run.getInteger("batch"),
        run.getInteger("pack"),
        run.getBoolean("ledger") ? "on" : "off",
        run.getDouble("seconds"),
        run.getDouble("messagesPerSecond"),
        run.getDouble("ratioToRawXadd", 0.0),
        l.getLong("p50"),
        l.getLong("p99"),
        l.getLong("max"));
    System.out.println(
        "  CPU seconds "
            + run.getJsonObject("cpuSeconds").encode()
            + "; peak RSS MB "
            + run.getJsonObject("peakRssMb").encode());
    JsonObject us = run.getJsonObject("usecPerMessage");
    System.out.printf(
        Locale.ROOT,
        "  CPU per message: Redis %.3f µs, JVMs %.3f µs; load %s%n",
        us.getDouble("redisCpu"),
        us.getDouble("jvmCpu"),
        run.getString("load"));
    System.out.println("  Redis µs per message by command (INFO commandstats):" + topCommands(run));
    if (run.containsKey("verify")) {
      System.out.println("  verify " + run.getJsonObject("verify").encode());
    }
  }

  /** The 8 commands that cost Redis most per message, as " name µs" each. */
  private static String topCommands(JsonObject run) {
    StringBuilder top = new StringBuilder();
    run.getJsonObject("commandStats").stream()
        .sorted(
            (a, b) ->
                Double.compare(
                    ((JsonObject) b.getValue()).getDouble("usecPerMessage"),
                    ((JsonObject) a.getValue()).getDouble("usecPerMessage")))
        .limit(8)
        .forEach(
            e ->
                top.append(
                    String.format(
                        Locale.ROOT,
                        " %s %.3f",
                        e.getKey(),
                        ((JsonObject) e.getValue()).getDouble("usecPerMessage"))));
    return top.toString();
  }
}
