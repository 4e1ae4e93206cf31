package dev.baton;

import dev.baton.audit.VerifyCommand;
import dev.baton.bench.BenchCommand;
import dev.baton.config.ConfigException;
import dev.baton.config.ConfigLoader;
import dev.baton.config.NodeConfig;
import dev.baton.config.Secrets;
import dev.baton.errors.GetErrorsCommand;
import dev.baton.logging.Logging;
import dev.baton.metrics.NodeMetrics;
import dev.baton.redis.EmbeddedRedis;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line. Without a subcommand it runs a node until SIGTERM/SIGINT, which closes Vert.x
 * (every verticle's {@code stop()} runs: the generator releases its lease) and exits.
 */
@Command(name = "node-fat.jar", mixinStandardHelpOptions = true, version = "Baton 1.0",
    description = "Runs a Baton node (default), or a tool given as a subcommand.",
    subcommands = {GetErrorsCommand.class, VerifyCommand.class, BenchCommand.class})
public final class Main implements Callable<Integer> {
  /** Exit code for a configuration error, also one found at start (HTTP port in use, http.host not local). */
  public static final int EXIT_CONFIG = 2;
  /** Exit code when the node cannot start for another reason (the embedded Redis cannot start...). */
  public static final int EXIT_START = 15;
  private static final long STOP_TIMEOUT_MS = 10_000;

  @Option(names = {"-conf", "--conf"}, paramLabel = "FILE", description = "JSON configuration (see conf/node.json)")
  Path conf;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  /** Loads the configuration or prints why not; null when it is invalid. */
  public static NodeConfig loadConfig(Path conf, java.io.PrintStream err) {
    try {
      return ConfigLoader.load(conf, System.getenv());
    } catch (ConfigException e) {
      err.println("configuration error: " + e.getMessage());
      return null;
    }
  }

  @Override
  public Integer call() throws Exception {
    NodeConfig config = loadConfig(conf, System.err);
    if (config == null) {
      return EXIT_CONFIG;
    }
    Logging.apply(config.log().format(), config.nodeId());
    Logger log = LoggerFactory.getLogger(Main.class);
    try {
      EmbeddedRedis.ensure(config, System.getenv());
    } catch (Exception e) {
      log.atError().addKeyValue("node", config.nodeId()).log("cannot start the embedded Redis: {}", Secrets.mask(e.getMessage()));
      return EXIT_START;
    }
    NodeMetrics metrics = new NodeMetrics(config.nodeId());
    Vertx vertx = metrics.newVertx();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().await(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        System.err.println("stop did not finish in time: " + e);
      } finally {
        stopped.countDown();
      }
    }, "baton-stop"));
    try {
      vertx.deployVerticle(new NodeVerticle(config, metrics)).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof ConfigException bad) {
          System.err.println("configuration error: " + Secrets.mask(bad.getMessage()));
          vertx.close();
          return EXIT_CONFIG;
        }
      }
      log.atError().addKeyValue("node", config.nodeId()).log("node failed to start: {}", Secrets.mask(e.getMessage()));
      return EXIT_START;
    }
    stopped.await();
    return 0;
  }
}
