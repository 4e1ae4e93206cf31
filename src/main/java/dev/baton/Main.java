package dev.baton;

import dev.baton.audit.VerifyCommand;
import dev.baton.bench.BenchCommand;
import dev.baton.config.ConfigException;
import dev.baton.config.ConfigLoader;
import dev.baton.config.NodeConfig;
import dev.baton.config.Secrets;
import dev.baton.deadletter.DeadLettersCommand;
import dev.baton.errors.GetErrorsCommand;
import dev.baton.logging.Logging;
import dev.baton.metrics.NodeMetrics;
import dev.baton.redis.EmbeddedRedis;
import dev.baton.redis.RedisUnsuitable;
import dev.baton.tool.ConfOption;
import dev.baton.tool.ExitCodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The command line. Without a subcommand it runs a node until SIGTERM/SIGINT, which closes Vert.x
 * (every verticle's {@code stop()} runs: the generator releases its lease) and exits: 0 when the
 * stop was clean, {@link ExitCodes#REDIS} when a verticle's stop failed or did not finish in time.
 */
@Command(
    name = "node-fat.jar",
    mixinStandardHelpOptions = true,
    version = "Baton 1.0",
    description = "Runs a Baton node (default), or a tool given as a subcommand.",
    subcommands = {
      GetErrorsCommand.class,
      DeadLettersCommand.class,
      VerifyCommand.class,
      BenchCommand.class
    })
public final class Main implements Callable<Integer> {
  /** What a stop may take beyond the handler's grace for running attempts. */
  private static final long STOP_TIMEOUT_MS = 10_000;

  @Mixin ConfOption conf;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public Integer call() throws Exception {
    NodeConfig config = ConfigLoader.loadOrReport(conf.file(), System.err);
    if (config == null) {
      return ExitCodes.CONFIG;
    }
    Logging.apply(config.log().format(), config.nodeId());
    Logger log = LoggerFactory.getLogger(Main.class);
    try {
      EmbeddedRedis.ensure(config, System.getenv());
    } catch (Exception e) {
      log.atError()
          .addKeyValue("node", config.nodeId())
          .log("cannot start the embedded Redis: {}", Secrets.mask(e.getMessage()));
      return ExitCodes.START_FAILED;
    }
    NodeMetrics metrics = new NodeMetrics(config.nodeId());
    Vertx vertx = metrics.newVertx();
    Stop stop =
        new Stop(vertx, log, config.nodeId(), STOP_TIMEOUT_MS + config.handler().stopGraceMs());
    // SIGTERM and SIGINT ask the main thread to stop the node, so that the exit code says how the
    // stop went: the JVM's own handling runs the shutdown hooks and always exits 143 (or 130).
    // The hook stays for any other way the JVM goes down.
    for (String signal : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> stop.requested.countDown());
      } catch (IllegalArgumentException e) {
        // the JVM keeps this signal (-Xrs): it still stops the node through the hook, with its exit
        // code
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(stop::run, "baton-stop"));
    try {
      stop.deployment =
          vertx.deployVerticle(new NodeVerticle(config, metrics)).await(60, TimeUnit.SECONDS);
    } catch (Throwable e) { // Redis refusals arrive as a Throwable that is no Exception
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof ConfigException bad) {
          System.err.println("configuration error: " + Secrets.mask(bad.getMessage()));
          vertx.close();
          return ExitCodes.CONFIG;
        }
        if (c instanceof RedisUnsuitable unsuitable) {
          log.atError()
              .addKeyValue("node", config.nodeId())
              .log("refusing to start: {}", Secrets.mask(unsuitable.getMessage()));
          stop.run();
          return ExitCodes.REDIS_UNSUITABLE;
        }
      }
      log.atError()
          .addKeyValue("node", config.nodeId())
          .log("node failed to start: {}", Secrets.mask(e.getMessage()));
      stop.run();
      return ExitCodes.START_FAILED;
    }
    stop.requested.await();
    return stop.run() ? 0 : ExitCodes.REDIS;
  }

  /**
   * Stops the node once, from the main thread or the shutdown hook: undeploys it (every verticle's
   * stop; unlike {@code Vertx.close()}, which only logs them, this reports their failures), then
   * closes Vert.x, both within {@link #STOP_TIMEOUT_MS} together. Whatever fails or hangs (a lease
   * release refused, Redis frozen or gone), it returns by the deadline and logs one line that says
   * why; it never throws (Redis refusals arrive as a Throwable that is no Exception).
   */
  private static final class Stop {
    final CountDownLatch requested = new CountDownLatch(1);
    private final Vertx vertx;
    private final Logger log;
    private final String nodeId;
    private final long timeoutMs;
    volatile String deployment;
    private Boolean clean;

    Stop(Vertx vertx, Logger log, String nodeId, long timeoutMs) {
      this.vertx = vertx;
      this.log = log;
      this.nodeId = nodeId;
      this.timeoutMs = timeoutMs;
    }

    synchronized boolean run() {
      if (clean == null) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        List<String> failures = new ArrayList<>();
        step(
            "undeploy",
            deployment == null ? null : () -> vertx.undeploy(deployment),
            deadline,
            failures);
        // closed from this thread, not from a callback: Vert.x's event loops end as it closes
        step("close", vertx::close, deadline, failures);
        clean = failures.isEmpty();
        if (!clean) {
          log.atError()
              .addKeyValue("node", nodeId)
              .log("stop failed: {}", String.join("; ", failures));
        }
      }
      return clean;
    }

    private void step(
        String what, Supplier<Future<Void>> action, long deadlineNs, List<String> failures) {
      if (action == null) {
        return;
      }
      long left = deadlineNs - System.nanoTime();
      if (left <= 0) {
        return; // the deadline passed in an earlier step, which said so
      }
      try {
        action.get().await(left, TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        failures.add(what + " did not finish within " + timeoutMs + " ms");
      } catch (Throwable e) {
        failures.add(Secrets.mask(String.valueOf(e.getMessage())));
      }
    }
  }
}
