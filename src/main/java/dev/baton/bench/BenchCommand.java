package dev.baton.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.baton.config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code bench}: measures Baton on this machine with the production code paths. Throughput (the
 * default): 1 generator and H handlers as OS processes from this jar publish and commit N messages;
 * {@code --cadence}: the default 500 ms cadence at rest; {@code --scale}: many nodes in one JVM;
 * {@code --sweep}: throughput against pack size and handler count, plotted as SVG; {@code
 * --failover} and {@code --plugins}. This class holds the options and picks the mode; each mode is
 * a class of its own ({@link ThroughputRun}, {@link CadenceRun}, {@link ScaleRun}, {@link
 * SweepRun}, {@link FailoverRun}, {@link PluginsRun}) against a shared {@link Target}.
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

  @Option(
      names = "--plugin-forms",
      split = ",",
      description =
          "which comparisons --plugins runs, a list of http, command, java, cadence (default:"
              + " all)")
  Set<PluginsRun.Form> pluginForms = EnumSet.allOf(PluginsRun.Form.class);

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
      JsonObject report = new JsonObject().put("machine", Bench.machine());
      String mode = mode();
      report.put(mode, run(mode));
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

  /** The mode the options ask for, by precedence; also the report's field and file name. */
  private String mode() {
    if (failover > 0) {
      return "failover";
    } else if (scale != null && !scale.isEmpty()) {
      return "scale";
    } else if (cadence) {
      return "cadence";
    } else if (plugins) {
      return "plugins";
    } else if (sweep) {
      return "sweep";
    }
    return "throughput";
  }

  private Object run(String mode) throws Exception {
    NodeLauncher launcher = new NodeLauncher(jar, heap, jvmOptions);
    switch (mode) {
      case "scale":
        JsonArray sizes = new JsonArray();
        for (int size : scale) {
          sizes.add(new ScaleRun(this::target, size, scaleSeconds).run());
        }
        return sizes;
      case "sweep":
        return new SweepRun(
                this::target,
                target -> throughput(target, launcher),
                sweepPacks,
                sweepHandlers,
                batch,
                sweepMessages,
                warmup)
            .run(plot);
      default:
        try (Target target = target()) {
          return run(mode, target, launcher);
        }
    }
  }

  /** A mode that runs against one {@link Target} throughout. */
  private JsonObject run(String mode, Target target, NodeLauncher launcher) throws Exception {
    switch (mode) {
      case "failover":
        return new FailoverRun(target, launcher, failover).run();
      case "cadence":
        return new CadenceRun(target, launcher, handlers).run(Map.of(), cadenceSeconds);
      case "plugins":
        ThroughputRun throughput = throughput(target, launcher);
        CadenceRun atRest = new CadenceRun(target, launcher, handlers);
        PluginsRun.Trial run =
            (n, warm, env) ->
                throughput.trial(
                    new ThroughputRun.Shape(1, batch, packSize(), n),
                    warm,
                    ThroughputRun.Window.FROM_COMMITTED,
                    false,
                    env);
        PluginsRun.Cadence cadenceRun = env -> atRest.run(env, cadenceSeconds);
        return new PluginsRun(vertx, run, cadenceRun, pluginConcurrency, pluginSeconds, messages)
            .run(pluginForms);
      default:
        return throughput(target, launcher)
            .run(new ThroughputRun.Shape(handlers, batch, packSize(), messages), ledger);
    }
  }

  private ThroughputRun throughput(Target target, NodeLauncher launcher) {
    return new ThroughputRun(
        target,
        launcher,
        new ThroughputRun.Settings(handlerBatch, inFlight, handlerInFlight, warmup));
  }

  private int packSize() {
    return pack != null
        ? pack
        : ConfigLoader.defaults().getJsonObject("generator").getInteger("packSize");
  }

  private Target target() throws Exception {
    return Target.open(vertx, redisUrl, !untuned);
  }
}
