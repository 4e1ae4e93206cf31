package dev.baton.audit;

import ch.qos.logback.classic.Level;
import dev.baton.Main;
import dev.baton.config.NodeConfig;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.RedisSupport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code verify}: checks the audit ledger (see {@link Verifier}) and exits 0 only when it holds. */
@CommandLine.Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Check the audit ledger: lost, duplicated, unexpected and split-brain messages.")
public final class VerifyCommand implements Callable<Integer> {
  /** Exit code when a guarantee does not hold. */
  public static final int EXIT_FAILED = 1;
  /** Exit code when Redis cannot be reached. */
  public static final int EXIT_REDIS = 4;
  private static final long TIMEOUT_MS = 3_000;

  @Option(names = {"-conf", "--conf"}, paramLabel = "FILE", description = "JSON configuration (see conf/node.json)")
  Path conf;

  @Option(names = "--json", description = "the report as one JSON document")
  boolean json;

  private final PrintStream out;
  private final PrintStream err;

  public VerifyCommand() {
    this(System.out, System.err);
  }

  public VerifyCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
    NodeConfig config = Main.loadConfig(conf, err);
    if (config == null) {
      return Main.EXIT_CONFIG;
    }
    Vertx vertx = Vertx.vertx();
    try {
      Redis redis = RedisSupport.pool(vertx, config.redis().url(), 2, TIMEOUT_MS);
      RedisOps ops = new RedisOps(redis, 60_000);
      try {
        redis.send(Request.cmd(io.vertx.redis.client.Command.PING)).await(TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        err.println("verify: cannot reach Redis at " + RedisSupport.redact(config.redis().url()) + ": " + e.getMessage());
        return EXIT_REDIS;
      }
      JsonObject report = new Verifier(ops, new Keys(config.redis().keyPrefix())).verify().await(10, TimeUnit.MINUTES);
      if (report.getLong("published") == 0 && report.getLong("committed") == 0) {
        err.println("verify: the audit ledger is empty (is audit.enabled true on the nodes?)");
      }
      out.print(json ? report.encodePrettily() + "\n" : Verifier.text(report));
      out.flush();
      return Verifier.passed(report) ? 0 : EXIT_FAILED;
    } finally {
      vertx.close().await(5, TimeUnit.SECONDS);
    }
  }
}
