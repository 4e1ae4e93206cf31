package dev.baton.errors;

import ch.qos.logback.classic.Level;
import dev.baton.Main;
import dev.baton.config.NodeConfig;
import dev.baton.config.Secrets;
import dev.baton.logging.Logging;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.RedisSupport;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code getErrors}: prints every error stored when it starts (one per line, or JSON Lines with
 * {@code --json}), deletes exactly what it printed, reports the count on stderr and exits 0.
 */
@CommandLine.Command(name = "getErrors", mixinStandardHelpOptions = true,
    description = "Print every stored error, delete what was printed, and exit.")
public final class GetErrorsCommand implements Callable<Integer> {
  /** Exit code when Redis cannot be reached or fails during the run. */
  public static final int EXIT_REDIS = 1;
  /** Exit code when standard output was closed before everything was printed. */
  public static final int EXIT_OUTPUT = 3;
  private static final long CONNECT_TIMEOUT_MS = 3_000;

  @Option(names = {"-conf", "--conf"}, paramLabel = "FILE", description = "JSON configuration (see conf/node.json)")
  Path conf;

  @Option(names = "--json", description = "JSON Lines with every field of each error")
  boolean json;

  private final PrintStream out;
  private final PrintStream err;

  public GetErrorsCommand() {
    this(new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false,
        StandardCharsets.UTF_8), System.err);
  }

  /** With the streams errors and messages go to (tests capture them). */
  public GetErrorsCommand(PrintStream out, PrintStream err) {
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
    Logging.apply(config.log().format(), config.nodeId());
    String where = config.redis().describe();
    Vertx vertx = Vertx.vertx();
    Redis redis = RedisSupport.pool(vertx, config.redis(), 2, CONNECT_TIMEOUT_MS);
    RedisOps ops = new RedisOps(redis, Math.max(CONNECT_TIMEOUT_MS, config.redis().commandTimeoutMs()));
    try {
      try {
        redis.send(Request.cmd(io.vertx.redis.client.Command.PING)).await(CONNECT_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
      } catch (Throwable e) {
        // a refusal (WRONGPASS, NOAUTH...) arrives as the client's ErrorType, a Throwable that is no Exception
        rethrowIfFatal(e);
        err.println("getErrors: cannot reach Redis at " + where + ": " + reason(e));
        return EXIT_REDIS;
      }
      Drainer.Result result;
      try {
        result = new Drainer(vertx, ops, new Keys(config.redis().keyPrefix()))
            .drain(batch -> vertx.executeBlocking(() -> {
              for (ErrorEntry e : batch) {
                out.println(json ? e.toJson().encode() : e.toLine());
              }
              out.flush();
              if (out.checkError()) {
                throw new java.io.IOException("standard output is closed");
              }
              return null;
            }, true))
            .await();
      } catch (Throwable e) {
        rethrowIfFatal(e);
        boolean output = e.getMessage() != null && e.getMessage().contains("standard output");
        err.println("getErrors: stopped: " + reason(e) + "; errors not printed stay stored for the next run");
        return output ? EXIT_OUTPUT : EXIT_REDIS;
      }
      err.println(result.delivered() + (result.delivered() == 1 ? " error printed" : " errors printed") + (result.delivered() == result.deleted() ? ""
          : " (" + (result.delivered() - result.deleted()) + " of them were also claimed by another run)")
          + (result.heldByOthers() > 0 ? "; " + result.heldByOthers() + " more are being printed by another run" : ""));
      return 0;
    } finally {
      out.flush();
      vertx.close().await(5, TimeUnit.SECONDS);
    }
  }

  private static void rethrowIfFatal(Throwable e) {
    if (e instanceof Error fatal) {
      throw fatal;
    }
  }

  private static String reason(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : Secrets.mask(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

}
