package dev.baton.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.baton.NodeVerticle;
import dev.baton.audit.Verifier;
import dev.baton.config.ConfigLoader;
import dev.baton.config.NodeConfig;
import dev.baton.config.RedisUrl;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.RedisSupport;
import dev.baton.redis.Replies;
import dev.baton.state.Role;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code bench}: measures Baton on this machine with the production code paths. Throughput (the
 * default): 1 generator and H handlers as OS processes from this jar publish and commit N messages;
 * {@code --cadence}: the default 500 ms cadence at rest; {@code --scale}: many nodes in one JVM;
 * {@code --sweep}: throughput against pack size and handler count, plotted as SVG.
 */
@CommandLine.Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmark Baton on this machine (see docs/PERFORMANCE.md).")
public final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--messages",
      description = "messages per throughput run (default ${DEFAULT-VALUE})")
  long messages = 1_000_000;

  @Option(names = "--handlers", description = "handler processes (default ${DEFAULT-VALUE})")
  int handlers = 2;

  @Option(
      names = "--batch",
      description = "generator.batchSize: messages per publish call (default ${DEFAULT-VALUE})")
  int batch = 1000;

  @Option(
      names = "--pack",
      description = "generator.packSize: messages per stream entry (default: conf/node.json's)")
  Integer pack;

  @Option(
      names = "--handler-batch",
      description =
          "handler.batchSize: stream entries per read (default: as many "
              + "as hold one publish call's messages, --batch / --pack rounded up)")
  Integer handlerBatch;

  @Option(
      names = "--warmup",
      description =
          "messages committed before the measured ones, by the same processes "
              + "(default ${DEFAULT-VALUE}: measure from cold JVMs)")
  long warmup;

  @Option(names = "--in-flight", description = "generator.maxInFlight (default ${DEFAULT-VALUE})")
  int inFlight = 4;

  @Option(
      names = "--handler-in-flight",
      description = "handler.maxInFlight (default ${DEFAULT-VALUE})")
  int handlerInFlight = 2;

  @Option(
      names = "--ledger",
      description =
          "off, on or both: runs without and/or with the audit ledger "
              + "(default ${DEFAULT-VALUE}); with it, verify counts lost and duplicated messages")
  String ledger = "both";

  @Option(
      names = "--redis-url",
      description = "use this Redis instead of starting one (it is not flushed)")
  String redisUrl;

  @Option(names = "--untuned", description = "leave Redis' stream node sizes at their defaults")
  boolean untuned;

  @Option(names = "--heap", description = "-Xmx of each node process (default ${DEFAULT-VALUE})")
  String heap = "512m";

  @Option(
      names = "--jvm",
      split = " ",
      description =
          "extra JVM options for each node process, e.g. "
              + "\"-XX:+UseParallelGC\" ({id} becomes the node id, for per-node files)")
  List<String> jvmOptions = new ArrayList<>();

  @Option(names = "--cadence", description = "measure the default 500 ms cadence at rest instead")
  boolean cadence;

  @Option(
      names = "--cadence-seconds",
      description = "length of the cadence run (default ${DEFAULT-VALUE})")
  int cadenceSeconds = 60;

  @Option(
      names = "--failover",
      description =
          "kill -9 the generator this many times, then twice as many handlers holding delivered"
              + " messages (a watcher, then one that does not watch, in turn), then the generator"
              + " and a watcher together as many times, with 4 nodes at default settings: failover"
              + " and claim times, idle cost")
  int failover;

  @Option(
      names = "--scale",
      split = ",",
      description = "node counts to run in one JVM, e.g. 10,50,200")
  List<Integer> scale;

  @Option(
      names = "--scale-seconds",
      description = "observation window per size (default ${DEFAULT-VALUE})")
  int scaleSeconds = 20;

  @Option(
      names = "--sweep",
      description = "throughput against pack size for several handler counts, as a plot")
  boolean sweep;

  @Option(
      names = "--sweep-packs",
      split = ",",
      description = "pack sizes of the sweep (default ${DEFAULT-VALUE})")
  List<Integer> sweepPacks = List.of(1, 4, 16, 64, 256);

  @Option(
      names = "--sweep-handlers",
      split = ",",
      description = "handler counts of the sweep (default ${DEFAULT-VALUE})")
  List<Integer> sweepHandlers = List.of(1, 2, 4);

  @Option(
      names = "--sweep-messages",
      description = "messages per sweep point (default ${DEFAULT-VALUE})")
  long sweepMessages = 300_000;

  @Option(names = "--plot", description = "SVG written by --sweep (default ${DEFAULT-VALUE})")
  Path plot = Path.of("target/bench/throughput.svg");

  @Option(
      names = "--plugins",
      description =
          "Baton with each plug-in form against the same user work without Baton: the http"
              + " handler vs wrk, the command handler vs its process fed from a file, the java"
              + " plug-in vs the built-in judge")
  boolean plugins;

  @Option(
      names = "--plugin-concurrency",
      description = "handler.concurrency, and wrk's connections (default ${DEFAULT-VALUE})")
  int pluginConcurrency = 64;

  @Option(
      names = "--plugin-seconds",
      description = "length of each side's measurement (default ${DEFAULT-VALUE})")
  int pluginSeconds = 10;

  @Option(names = "--out", description = "JSON report (default target/bench/<mode>.json)")
  Path out;

  @Option(names = "--jar", description = "node jar to run (default: this jar)")
  Path jar;

  private Vertx vertx;

  @Override
  public Integer call() throws Exception {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
    if (jar == null) {
      jar = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
    vertx = Vertx.vertx();
    try {
      JsonObject report = new JsonObject().put("machine", machine());
      String mode;
      if (failover > 0) {
        mode = "failover";
        try (Target target = target()) {
          report.put("failover", new FailoverRun(target, jar, heap, jvmOptions, failover).run());
        }
      } else if (scale != null && !scale.isEmpty()) {
        mode = "scale";
        report.put("scale", scaleRuns());
      } else if (cadence) {
        mode = "cadence";
        report.put("cadence", cadenceRun());
      } else if (plugins) {
        mode = "plugins";
        try (Target target = target()) {
          PluginsRun.Trial run =
              (n, warm, env) -> trial(target, 1, batch, packSize(), n, warm, false, env);
          PluginsRun.Cadence atRest = env -> cadenceRun(target, env, cadenceSeconds);
          report.put(
              "plugins",
              new PluginsRun(vertx, run, atRest, pluginConcurrency, pluginSeconds, messages).run());
        }
      } else if (sweep) {
        mode = "sweep";
        report.put("sweep", sweepRuns());
      } else {
        mode = "throughput";
        report.put("throughput", throughputRuns());
      }
      Path file = out != null ? out : Path.of("target/bench/" + mode + ".json");
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      Files.writeString(file, report.encodePrettily());
      System.out.println("report: " + file.toAbsolutePath());
      return 0;
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- throughput

  private JsonObject throughputRuns() throws Exception {
    JsonObject result = new JsonObject();
    try (Target target = target()) {
      double raw = BenchRedis.rawXaddPerSecond(target.host, target.port, 1_000_000);
      target.cmd("DEL", "{bench}:raw-xadd");
      result.put("rawXaddPerSecond", raw).put("redis", target.describe());
      System.out.printf(
          Locale.ROOT, "redis-benchmark -P 16 XADD: %,.0f/s (load %s)%n", raw, load());
      List<Boolean> modes =
          switch (ledger) {
            case "on" -> List.of(true);
            case "off" -> List.of(false);
            default -> List.of(false, true);
          };
      JsonArray runs = new JsonArray();
      for (boolean withLedger : modes) {
        JsonObject run = trial(target, handlers, batch, packSize(), messages, withLedger);
        run.put("ratioToRawXadd", raw > 0 ? run.getDouble("messagesPerSecond") / raw : null);
        print(run);
        runs.add(run);
      }
      result.put("runs", runs);
    }
    return result;
  }

  private int packSize() {
    return pack != null
        ? pack
        : ConfigLoader.defaults().getJsonObject("generator").getInteger("packSize");
  }

  /** One throughput run: handlers first, then the generator, until N messages are committed. */
  private JsonObject trial(
      Target target, int handlerCount, int batchSize, int packSize, long n, boolean withLedger)
      throws Exception {
    return trial(target, handlerCount, batchSize, packSize, n, warmup, withLedger, Map.of());
  }

  /**
   * A throughput run of {@code n} messages after {@code warmup} ones, whose nodes also get {@code
   * extraEnv} (a plug-in's settings).
   */
  JsonObject trial(
      Target target,
      int handlerCount,
      int batchSize,
      int packSize,
      long n,
      long warmup,
      boolean withLedger,
      Map<String, String> extraEnv)
      throws Exception {
    int readBatch = handlerBatch != null ? handlerBatch : (batchSize + packSize - 1) / packSize;
    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 6);
    Keys keys = new Keys(prefix);
    Map<String, String> env = new HashMap<>();
    env.put("BATON_REDIS_URL", target.url);
    env.put("BATON_REDIS_KEY_PREFIX", prefix);
    env.put("BATON_REDIS_EMBEDDED", "off");
    env.put("BATON_AUDIT_ENABLED", Boolean.toString(withLedger));
    env.put("BATON_GENERATOR_INTERVAL_MS", "0");
    env.put("BATON_GENERATOR_BATCH_SIZE", Integer.toString(batchSize));
    env.put("BATON_GENERATOR_PACK_SIZE", Integer.toString(packSize));
    env.put("BATON_GENERATOR_MAX_IN_FLIGHT", Integer.toString(inFlight));
    env.put("BATON_GENERATOR_MAX_MESSAGES", Long.toString(warmup + n));
    env.put("BATON_HANDLER_BATCH_SIZE", Integer.toString(readBatch));
    env.put("BATON_HANDLER_MAX_IN_FLIGHT", Integer.toString(handlerInFlight));
    env.putAll(extraEnv);
    // the lease names the generator-to-be, so the handlers, started first, stay handlers
    target.cmd("SET", keys.leader(), "gen", "PX", "60000");
    List<NodeProcess> hs = new ArrayList<>();
    NodeProcess gen = null;
    try {
      for (int i = 1; i <= handlerCount; i++) {
        hs.add(NodeProcess.start(jar, "h" + i, env, heap, jvmOptions));
      }
      for (NodeProcess h : hs) {
        waitFor(() -> "handler".equals(h.role()), 60_000, h.id() + " ready");
      }
      gen = NodeProcess.start(jar, "gen", env, heap, jvmOptions);
      Map<String, Double> cpuAtStart = new LinkedHashMap<>();
      Map<String, Histogram> latencyAtStart = new HashMap<>();
      Map<String, double[]> commandsAtStart = Map.of();
      long t0 = 0;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
      long[] stats;
      while (true) {
        stats = stats(target, keys);
        long now = System.nanoTime();
        // from the publish of the first measured message to the commit of the last one: with a
        // warm-up, the backlog it leaves is committed inside the window too (conservative)
        if (t0 == 0 && stats[0] > warmup) {
          t0 = now;
          commandsAtStart = target.commandStats();
          cpuAtStart.put("redis", target.cpu());
          cpuAtStart.put("gen", Proc.cpuSeconds(gen.pid()));
          for (NodeProcess h : hs) {
            cpuAtStart.put(h.id(), Proc.cpuSeconds(h.pid()));
            latencyAtStart.put(h.id(), warmup == 0 ? new Histogram(3_600_000L, 3) : histogram(h));
          }
        }
        if (stats[1] + stats[2] >= warmup + n) {
          break;
        }
        if (now > deadline) {
          throw new IllegalStateException(
              "not all committed in 15 minutes: " + stats[1] + " of " + n);
        }
        Thread.sleep(5);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      Map<String, double[]> commandsAtEnd = target.commandStats();
      JsonObject cpu = new JsonObject();
      JsonObject rss = new JsonObject();
      cpu.put("redis", target.cpu() - cpuAtStart.get("redis"));
      rss.put("redis", target.peakRss());
      cpu.put("gen", Proc.cpuSeconds(gen.pid()) - cpuAtStart.get("gen"));
      rss.put("gen", Proc.peakRssMb(gen.pid()));
      Histogram latency = new Histogram(3_600_000L, 3);
      for (NodeProcess h : hs) {
        cpu.put(h.id(), Proc.cpuSeconds(h.pid()) - cpuAtStart.get(h.id()));
        rss.put(h.id(), Proc.peakRssMb(h.pid()));
        Histogram measured = histogram(h);
        measured.subtract(latencyAtStart.get(h.id()));
        latency.add(measured);
      }
      // Redis time per message by command (INFO commandstats: calls and usec, scripts' own commands
      // included)
      JsonObject commands = new JsonObject();
      Map<String, double[]> startStats = commandsAtStart;
      commandsAtEnd.forEach(
          (name, end) -> {
            double[] start = startStats.getOrDefault(name, new double[2]);
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
      double jvmCpu = 0;
      for (String k : cpu.fieldNames()) {
        jvmCpu += k.equals("redis") ? 0 : cpu.getDouble(k);
      }
      JsonObject run =
          new JsonObject()
              .put("messages", n)
              .put("warmup", warmup)
              .put("handlers", handlerCount)
              .put("batch", batchSize)
              .put("pack", packSize)
              .put("handlerBatch", readBatch)
              .put(
                  "usecPerMessage",
                  new JsonObject()
                      .put("redisCpu", cpu.getDouble("redis") * 1e6 / n)
                      .put("jvmCpu", jvmCpu * 1e6 / n))
              .put("commandStats", commands)
              .put("load", load())
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
      if (withLedger) {
        JsonObject v = new Verifier(target.ops, keys).verify().await(10, TimeUnit.MINUTES);
        run.put(
            "verify",
            new JsonObject()
                .put("published", v.getLong("published"))
                .put("committed", v.getLong("committed"))
                .put("lost", v.getLong("lost"))
                .put("duplicated", v.getLong("duplicated"))
                .put("ok", v.getBoolean("ok")));
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

  private static long[] stats(Target target, Keys keys) {
    Response r = target.cmd("HMGET", keys.stats(), "published", "processed", "deadLettered");
    long[] out = new long[3];
    for (int i = 0; i < 3; i++) {
      out[i] = r.get(i) == null ? 0 : r.get(i).toLong();
    }
    return out;
  }

  /** The node's plug-in figures from /status (null when it does not answer). */
  private static JsonObject pluginsOf(NodeProcess node) {
    JsonObject status = node.status();
    return status == null ? null : status.getJsonObject("plugins");
  }

  private static Histogram histogram(NodeProcess node) {
    JsonObject body = node.get("/latency");
    if (body == null) {
      return new Histogram(3_600_000L, 3);
    }
    try {
      byte[] bytes = Base64.getDecoder().decode(body.getString("histogram"));
      return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 3_600_000L);
    } catch (Exception e) {
      throw new IllegalStateException("bad histogram from " + node.id(), e);
    }
  }

  private static void print(JsonObject run) {
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
    System.out.println("  Redis µs per message by command (INFO commandstats):" + top);
    if (run.containsKey("verify")) {
      System.out.println("  verify " + run.getJsonObject("verify").encode());
    }
  }

  // ---------------------------------------------------------------- sweep

  private JsonObject sweepRuns() throws Exception {
    Map<String, List<double[]>> series = new LinkedHashMap<>();
    JsonArray points = new JsonArray();
    double raw;
    try (Target target = target()) {
      raw = BenchRedis.rawXaddPerSecond(target.host, target.port, 1_000_000);
      target.cmd("DEL", "{bench}:raw-xadd");
      for (int h : sweepHandlers) {
        List<double[]> line = new ArrayList<>();
        for (int p : sweepPacks) {
          JsonObject run = trial(target, h, batch, p, sweepMessages, false);
          run.put("ratioToRawXadd", raw > 0 ? run.getDouble("messagesPerSecond") / raw : null);
          print(run);
          points.add(run);
          line.add(new double[] {p, run.getDouble("messagesPerSecond")});
        }
        series.put(h + (h == 1 ? " handler" : " handlers"), line);
      }
    }
    String svg =
        SvgPlot.render(
            "Baton end-to-end throughput, 1 generator + N handlers",
            String.format(
                Locale.ROOT,
                "%,d messages per point%s, batch %d; %d cores, load %s; "
                    + "redis-benchmark -P 16 XADD %,.0f/s",
                sweepMessages,
                warmup > 0
                    ? String.format(Locale.ROOT, " after %,d warm-up", warmup)
                    : ", cold JVMs",
                batch,
                Runtime.getRuntime().availableProcessors(),
                load(),
                raw),
            "messages per stream entry (generator.packSize)",
            "messages per second",
            series);
    if (plot.getParent() != null) {
      Files.createDirectories(plot.getParent());
    }
    Files.writeString(plot, svg);
    System.out.println("plot: " + plot.toAbsolutePath());
    return new JsonObject()
        .put("rawXaddPerSecond", raw)
        .put("points", points)
        .put("plot", plot.toString());
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

  // ---------------------------------------------------------------- cadence

  private JsonObject cadenceRun() throws Exception {
    try (Target target = target()) {
      return cadenceRun(target, Map.of(), cadenceSeconds);
    }
  }

  /** The cadence at rest for {@code seconds}, the nodes also given {@code extraEnv}. */
  JsonObject cadenceRun(Target target, Map<String, String> extraEnv, int seconds) throws Exception {
    {
      String prefix = "cadence" + UUID.randomUUID().toString().substring(0, 6);
      Keys keys = new Keys(prefix);
      Map<String, String> env = new HashMap<>(extraEnv);
      env.put("BATON_REDIS_URL", target.url);
      env.put("BATON_REDIS_KEY_PREFIX", prefix);
      env.put("BATON_REDIS_EMBEDDED", "off");
      target.cmd(
          "SET",
          keys.leader(),
          "gen",
          "PX",
          "120000"); // handlers stay handlers even if JVMs start slowly
      List<NodeProcess> nodes = new ArrayList<>();
      try {
        for (int i = 1; i <= handlers; i++) {
          nodes.add(NodeProcess.start(jar, "h" + i, env, heap, jvmOptions));
        }
        NodeProcess gen = NodeProcess.start(jar, "gen", env, heap, jvmOptions);
        nodes.add(gen);
        for (NodeProcess node : nodes) {
          waitFor(
              () -> node.role() != null && !"starting".equals(node.role()),
              60_000,
              node.id() + " ready");
        }
        waitFor(() -> "generator".equals(gen.role()), 60_000, "gen generates");
        Thread.sleep(5_000); // warm-up (JIT, connections) outside the measured window
        Map<String, Double> cpu0 = new HashMap<>();
        Map<String, Histogram> lat0 = new HashMap<>();
        for (NodeProcess node : nodes) {
          cpu0.put(node.id(), Proc.cpuSeconds(node.pid()));
          lat0.put(node.id(), histogram(node));
        }
        double redisCpu0 = target.cpu();
        JsonObject counts;
        Map<String, Long> byNode;
        long start = System.nanoTime();
        try (Monitor monitor = new Monitor(target.host, target.port)) {
          Thread.sleep(seconds * 1000L); // the measurement window itself
          counts = new JsonObject(new LinkedHashMap<>(monitor.counts()));
          byNode = monitor.countsByFirstArg();
        }
        // the two presence watchers poll every presence.watchMs: their cost is reported apart
        List<String> watchers = new ArrayList<>();
        for (NodeProcess node : nodes) {
          JsonObject st = node.get("/status");
          if (st != null && st.getBoolean("watcher", false)) {
            watchers.add(node.id());
          }
        }
        long watcherAcquires = 0;
        for (String watcher : watchers) {
          watcherAcquires += byNode.getOrDefault("election.acquire@" + watcher, 0L);
        }
        int idleHandlers = Math.max(1, handlers - watchers.size());
        double elapsed = (System.nanoTime() - start) / 1e9;
        Histogram latency = new Histogram(3_600_000L, 3);
        JsonObject perNode = new JsonObject();
        for (NodeProcess node : nodes) {
          Histogram h = histogram(node);
          h.subtract(lat0.get(node.id()));
          latency.add(h);
          perNode.put(
              node.id(),
              new JsonObject()
                  .put("role", node.role())
                  .put(
                      "cpuPercentOfOneCore",
                      100 * (Proc.cpuSeconds(node.pid()) - cpu0.get(node.id())) / elapsed)
                  .put("rssMb", Proc.rssMb(node.pid()))
                  .put("plugins", pluginsOf(node)));
        }
        double perSecond = 1.0 / elapsed;
        long heartbeats = counts.getLong("heartbeat", 0L);
        long acquires = counts.getLong("election.acquire", 0L);
        long reclaims = counts.getLong("reclaim", 0L) + counts.getLong("reclaim.reap", 0L);
        double idleHandler =
            (heartbeats / (double) nodes.size()
                    + (acquires - watcherAcquires) / (double) idleHandlers
                    + reclaims / (double) handlers)
                * perSecond;
        double watching =
            watchers.isEmpty()
                ? 0
                : (heartbeats / (double) nodes.size()
                        + watcherAcquires / (double) watchers.size()
                        + reclaims / (double) handlers)
                    * perSecond;
        double leader =
            (heartbeats / (double) nodes.size() + counts.getLong("election.renew", 0L)) * perSecond;
        JsonObject result =
            new JsonObject()
                .put("seconds", elapsed)
                .put("load", load())
                .put("handlers", handlers)
                .put(
                    "latencyMs",
                    new JsonObject()
                        .put("count", latency.getTotalCount())
                        .put("p50", latency.getValueAtPercentile(50))
                        .put("p99", latency.getValueAtPercentile(99))
                        .put("max", latency.getMaxValue()))
                .put("nodes", perNode)
                .put("redisCpuPercent", 100 * (target.cpu() - redisCpu0) / elapsed)
                .put("commands", counts)
                .put(
                    "coordinationCommandsPerSecond",
                    new JsonObject()
                        .put("perIdleHandler", idleHandler)
                        .put("watcher", watching)
                        .put("generator", leader));
        System.out.println(result.encodePrettily());
        target.cleanUp(keys);
        return result;
      } finally {
        nodes.forEach(NodeProcess::stop);
      }
    }
  }

  // ---------------------------------------------------------------- scale

  private JsonArray scaleRuns() throws Exception {
    JsonArray out = new JsonArray();
    for (int size : scale) {
      out.add(scaleRun(size));
    }
    return out;
  }

  /**
   * {@code size} nodes in this JVM, each its own verticles and Redis connections, one shared
   * Vert.x.
   */
  private JsonObject scaleRun(int size) throws Exception {
    Vertx cluster = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(10_000));
    try (Target target = target()) {
      String prefix = "scale" + size + "x" + UUID.randomUUID().toString().substring(0, 4);
      Keys keys = new Keys(prefix);
      JsonObject settings =
          new JsonObject()
              .put(
                  "redis",
                  new JsonObject()
                      .put("url", target.url)
                      .put("keyPrefix", prefix)
                      .put("embedded", "off")
                      .put("poolSize", 2))
              .put("audit", new JsonObject().put("enabled", true))
              .put("http", new JsonObject().put("port", 0));
      List<NodeVerticle> nodes = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        NodeConfig config =
            NodeConfig.fromJson(
                ConfigLoader.merge(settings.copy().put("nodeId", "s" + i), Map.of()));
        NodeVerticle node = new NodeVerticle(config);
        ids.add(cluster.deployVerticle(node).await(60, TimeUnit.SECONDS));
        nodes.add(node);
      }
      waitFor(
          () ->
              nodes.stream().filter(n -> n.state().role().role() == Role.GENERATOR).count() == 1
                  && nodes.stream().noneMatch(n -> n.state().role().role() == Role.STARTING),
          120_000,
          "settled");
      Thread.sleep(3_000); // let heartbeats and followers reach their steady rhythm
      long maxGenerators = 0;
      JsonObject counts;
      long start = System.nanoTime();
      try (Monitor monitor = new Monitor(target.host, target.port)) {
        long end = start + scaleSeconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
          maxGenerators =
              Math.max(
                  maxGenerators,
                  nodes.stream().filter(n -> n.state().role().role() == Role.GENERATOR).count());
          Thread.sleep(20);
        }
        counts = new JsonObject(new LinkedHashMap<>(monitor.counts()));
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long coordination =
          counts.getLong("heartbeat", 0L)
              + counts.getLong("election.acquire", 0L)
              + counts.getLong("election.renew", 0L)
              + counts.getLong("reclaim", 0L)
              + counts.getLong("reclaim.reap", 0L);

      // failover: close the generator's node (it releases the lease) and time the next epoch's
      // first publish
      int g = -1;
      for (int i = 0; i < nodes.size(); i++) {
        if (nodes.get(i).state().role().role() == Role.GENERATOR) {
          g = i;
        }
      }
      long oldEpoch = nodes.get(g).state().role().epoch();
      long closedAt = serverMs(target);
      cluster.undeploy(ids.get(g)).await(30, TimeUnit.SECONDS);
      nodes.remove(g);
      waitFor(
          () ->
              nodes.stream()
                  .anyMatch(
                      n ->
                          n.state().role().role() == Role.GENERATOR
                              && n.state().role().epoch() > oldEpoch
                              && n.state().counters().published.get() > 0),
          60_000,
          "failover");
      long failoverMs = firstPublishAfter(target, keys, oldEpoch) - closedAt;
      JsonObject result =
          new JsonObject()
              .put("nodes", size)
              .put("seconds", seconds)
              .put("maxGeneratorsSeen", maxGenerators)
              .put("coordinationCommandsPerSecondPerNode", coordination / seconds / size)
              .put("commands", counts)
              .put("gracefulFailoverMs", failoverMs);
      System.out.println(result.encode());
      target.cleanUp(keys);
      return result;
    } finally {
      cluster.close().await(60, TimeUnit.SECONDS);
    }
  }

  private static long serverMs(Target target) {
    Response t = target.cmd("TIME");
    return t.get(0).toLong() * 1000 + t.get(1).toLong() / 1000;
  }

  private static long firstPublishAfter(Target target, Keys keys, long epoch) {
    String start = "-";
    while (true) {
      Response page = target.cmd("XRANGE", keys.auditPublished(), start, "+", "COUNT", "1000");
      if (page == null || page.size() == 0) {
        return -1;
      }
      for (Replies.Entry e : Replies.entries(page)) {
        if (Replies.parseLong(e.fields().get("epoch"), -1) > epoch) {
          return Long.parseLong(e.id().substring(0, e.id().indexOf('-')));
        }
        start = "(" + e.id();
      }
    }
  }

  // ---------------------------------------------------------------- plumbing

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

  private Target target() throws Exception {
    if (redisUrl != null) {
      return new Target(vertx, redisUrl, null);
    }
    BenchRedis redis = BenchRedis.start(!untuned);
    return new Target(vertx, redis.url(), redis);
  }

  private static JsonObject machine() {
    JsonObject m =
        new JsonObject()
            .put("cores", Runtime.getRuntime().availableProcessors())
            .put("loadAtStart", load())
            .put(
                "java",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"))
            .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
          break;
        }
      }
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal")) {
          m.put("memory", line.substring(line.indexOf(':') + 1).trim());
          break;
        }
      }
    } catch (Exception e) {
      // not Linux: fewer details
    }
    return m;
  }

  /**
   * The Redis a run uses: its own (cleared after each run) or the user's (only the run's keys are
   * removed).
   */
  static final class Target implements AutoCloseable {
    final String url;
    final String host;
    final int port;
    final BenchRedis own;
    final Redis client;
    final RedisOps ops;

    Target(Vertx vertx, String url, BenchRedis own) {
      this.url = url;
      URI uri = URI.create(url);
      this.host = uri.getHost();
      this.port = uri.getPort() < 0 ? 6379 : uri.getPort();
      this.own = own;
      this.client =
          RedisSupport.pool(
              vertx,
              NodeConfig.fromJson(
                      ConfigLoader.merge(
                          new JsonObject().put("redis", new JsonObject().put("url", url)),
                          Map.of()))
                  .redis(),
              4,
              5_000);
      this.ops = new RedisOps(client, 600_000);
    }

    Response cmd(String... args) {
      Request r = Request.cmd(Command.create(args[0]));
      for (int i = 1; i < args.length; i++) {
        r.arg(args[i]);
      }
      try {
        return client.send(r).await(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(args[0] + " failed: " + e.getMessage(), e);
      }
    }

    double cpu() {
      return own == null ? -1 : Proc.cpuSeconds(own.pid());
    }

    /** INFO commandstats: command → {calls, usec}. */
    Map<String, double[]> commandStats() {
      Map<String, double[]> out = new HashMap<>();
      for (String line : cmd("INFO", "commandstats").toString().split("\r?\n")) {
        if (!line.startsWith("cmdstat_")) {
          continue;
        }
        String name = line.substring(8, line.indexOf(':'));
        double calls = 0;
        double usec = 0;
        for (String kv : line.substring(line.indexOf(':') + 1).split(",")) {
          String[] p = kv.split("=");
          if (p[0].equals("calls")) {
            calls = Double.parseDouble(p[1]);
          } else if (p[0].equals("usec")) {
            usec = Double.parseDouble(p[1]);
          }
        }
        out.put(name, new double[] {calls, usec});
      }
      return out;
    }

    double peakRss() {
      return own == null ? -1 : Proc.peakRssMb(own.pid());
    }

    JsonObject describe() {
      return new JsonObject()
          .put("url", RedisUrl.redact(url))
          .put("own", own != null)
          .put("binary", own == null ? null : own.binary)
          .put("tuning", own == null || !own.tuned ? null : String.join(" ", BenchRedis.TUNING));
    }

    void cleanUp(Keys keys) {
      if (own != null) {
        cmd("FLUSHALL");
        return;
      }
      String cursor = "0";
      String pattern = keys.leader().substring(0, keys.leader().indexOf(':')) + ":*";
      do {
        Response page = cmd("SCAN", cursor, "MATCH", pattern, "COUNT", "1000");
        cursor = page.get(0).toString();
        for (Response key : page.get(1)) {
          cmd("DEL", key.toString());
        }
      } while (!"0".equals(cursor));
    }

    @Override
    public void close() {
      client.close();
      if (own != null) {
        own.close();
      }
    }
  }
}
