package dev.baton.tool;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.baton.config.ConfigLoader;
import dev.baton.config.NodeConfig;
import dev.baton.config.Secrets;
import dev.baton.logging.Logging;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.RedisSupport;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * What a one-shot command (getErrors, verify) needs: the validated configuration, a Vert.x and a
 * Redis client that answered a PING within a few seconds. Opening prints a one-line reason and
 * throws {@link Refused} with the exit code when the configuration is bad or Redis is unreachable.
 */
public final class ToolSession implements AutoCloseable {
  public static final long CONNECT_TIMEOUT_MS = 3_000;

  public final NodeConfig config;
  public final Vertx vertx;
  public final RedisOps redis;
  public final Keys keys;

  /** The command cannot run; {@link #exitCode} says why (the reason was printed). */
  public static final class Refused extends Exception {
    public final int exitCode;

    Refused(int exitCode) {
      super(null, null, false, false);
      this.exitCode = exitCode;
    }
  }

  private ToolSession(NodeConfig config, Vertx vertx, RedisOps redis) {
    this.config = config;
    this.vertx = vertx;
    this.redis = redis;
    this.keys = new Keys(config.redis().keyPrefix());
  }

  /**
   * Standard output for a tool that prints many lines: buffered (64 KiB), UTF-8, flushed by the
   * tool when it is done.
   */
  public static PrintStream bufferedStdout() {
    return new PrintStream(
        new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
        false,
        StandardCharsets.UTF_8);
  }

  /**
   * @param tool the command's name, for messages
   * @param unreachableExit the exit code when Redis does not answer
   * @param commandTimeoutMs deadline of each Redis call during the run
   */
  public static ToolSession open(
      String tool, Path conf, PrintStream err, int unreachableExit, long commandTimeoutMs)
      throws Refused {
    // stdout is the tool's output and stderr its one-line messages: keep library chatter out
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
    NodeConfig config = ConfigLoader.loadOrReport(conf, err);
    if (config == null) {
      throw new Refused(ExitCodes.CONFIG);
    }
    Logging.apply(config.log().format(), config.nodeId());
    Vertx vertx = Vertx.vertx();
    Redis client = RedisSupport.pool(vertx, config.redis(), 2, CONNECT_TIMEOUT_MS);
    try {
      client
          .send(Request.cmd(Command.PING))
          .await(CONNECT_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
    } catch (Throwable e) {
      rethrowIfFatal(e);
      err.println(tool + ": cannot reach Redis at " + config.redis().describe() + ": " + reason(e));
      close(vertx);
      throw new Refused(unreachableExit);
    }
    return new ToolSession(
        config, vertx, new RedisOps(client, Math.max(commandTimeoutMs, CONNECT_TIMEOUT_MS)));
  }

  /**
   * Redis refusals (WRONGPASS, NOAUTH, OOM...) arrive as the client's ErrorType, a Throwable but no
   * Exception, so tools catch Throwable: this lets real JVM errors through.
   */
  public static void rethrowIfFatal(Throwable e) {
    if (e instanceof Error fatal) {
      throw fatal;
    }
  }

  /** The first line of an exception's message. */
  public static String reason(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : Secrets.mask(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  @Override
  public void close() {
    close(vertx);
  }

  private static void close(Vertx vertx) {
    try {
      vertx.close().await(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // exiting anyway
    }
  }
}
