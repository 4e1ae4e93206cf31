package dev.baton.redis;

import dev.baton.common.Backoff;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.concurrent.TimeUnit;

/**
 * One Redis connection nobody else shares, for commands that hold it (XREADGROUP BLOCK, SUBSCRIBE).
 * It lives in a client of its own (see {@link RedisSupport#dedicatedOptions}): closing that client
 * is the only way to be sure a blocked socket is never handed to another caller. With Sentinel the
 * connection goes to the current master; with Cluster it is one connection per master and each
 * command goes to the master of its key's slot. When the connection ends, fails or stops answering,
 * {@link #reset} discards the client; the next {@link #connection} makes a new one. Callers own the
 * retry pacing (see {@link Backoff}). Not thread-safe: use from one verticle's context.
 */
public final class DedicatedConnection {
  private final Vertx vertx;
  private final RedisOptions options;
  private final Handler<RedisConnection> onConnect;
  private final Handler<Void> onEnd;
  private Redis client;
  private Future<RedisConnection> current;
  private boolean closed;

  /** Makes dedicated connections; the node hands one to each verticle that needs it. */
  @FunctionalInterface
  public interface Factory {
    /**
     * @param onConnect runs on each new connection before it is handed out (set a message handler
     *     there), may be null
     * @param onEnd runs when a connection ends (Redis closed it or went away), may be null
     */
    DedicatedConnection create(Handler<RedisConnection> onConnect, Handler<Void> onEnd);
  }

  public DedicatedConnection(
      Vertx vertx, RedisOptions options, Handler<RedisConnection> onConnect, Handler<Void> onEnd) {
    this.vertx = vertx;
    this.options = new RedisOptions(options);
    this.onConnect = onConnect;
    this.onEnd = onEnd;
  }

  public Future<RedisConnection> connection() {
    if (closed) {
      return Future.failedFuture("connection closed");
    }
    if (current == null) {
      client = Redis.createClient(vertx, options);
      Redis mine = client;
      current =
          client
              .connect()
              .timeout(
                  options.getNetClientOptions().getConnectTimeout() + 1000L, TimeUnit.MILLISECONDS)
              .map(
                  conn -> {
                    conn.endHandler(
                        v -> {
                          if (dropIfCurrent(mine) && onEnd != null && !closed) {
                            onEnd.handle(null);
                          }
                        });
                    conn.exceptionHandler(e -> dropIfCurrent(mine));
                    if (onConnect != null) {
                      onConnect.handle(conn);
                    }
                    return conn;
                  })
              .onFailure(e -> dropIfCurrent(mine));
    }
    return current;
  }

  /**
   * Sends on the dedicated connection, giving up after {@code timeoutMs} and resetting on failure.
   */
  public Future<Response> send(Request request, long timeoutMs) {
    return connection()
        .compose(conn -> conn.send(request))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .onFailure(
            e -> {
              if (!RedisOps.isErrorReply(e)) {
                reset();
              }
            });
  }

  /** Discards the connection (and its client); the next call connects anew. */
  public void reset() {
    if (client != null) {
      client.close();
    }
    client = null;
    current = null;
  }

  public Future<Void> close() {
    closed = true;
    Redis c = client;
    client = null;
    current = null;
    return c == null ? Future.succeededFuture() : c.close();
  }

  private boolean dropIfCurrent(Redis which) {
    if (client == which) {
      reset();
      return true;
    }
    return false;
  }
}
