package dev.baton.redis;

import dev.baton.common.Clock;
import dev.baton.common.VertxInternals;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Commands and scripts over the shared connection pool, each with a deadline (the client has no
 * per-command timeout, and a frozen Redis would otherwise hold a caller forever). Scripts go by
 * EVALSHA and fall back to EVAL once when Redis lost its script cache (restart, SCRIPT FLUSH).
 */
public final class RedisOps {
  /**
   * Makes a client of a verticle's own, called from that verticle's {@code start()}: its
   * connections then live on the verticle's event loop, so replies need no hop to another thread (a
   * hop costs a few hundred microseconds per call on an idle machine).
   */
  @FunctionalInterface
  public interface Factory {
    RedisOps create(int poolSize);
  }

  private final long timeoutMs;
  private final Supplier<Redis> rebuild;
  private volatile Redis redis;
  private volatile long failingSinceMs = -1;

  public RedisOps(Redis redis, long timeoutMs) {
    this(redis, timeoutMs, null);
  }

  /**
   * @param rebuild makes a fresh client, to replace this one once every call has failed for want of
   *     Redis for two deadlines in a row; null to keep the client for good. A Sentinel client needs
   *     it: after a failover, vertx-redis-client 5.0.7's cached topology can keep naming the dead
   *     master for as long as calls keep coming (seen in RedisSentinelTest); a new client asks the
   *     sentinels afresh.
   */
  public RedisOps(Redis redis, long timeoutMs, Supplier<Redis> rebuild) {
    this.redis = redis;
    this.timeoutMs = timeoutMs;
    this.rebuild = rebuild;
  }

  public long timeoutMs() {
    return timeoutMs;
  }

  public Future<Response> send(Request request) {
    Redis used = redis;
    Future<Response> reply = used.send(request).timeout(timeoutMs, TimeUnit.MILLISECONDS);
    return rebuild == null
        ? reply
        : reply.andThen(ar -> observe(used, ar)); // no listener on the hot path otherwise
  }

  /** Closes the current client. */
  public Future<Void> close() {
    return redis.close();
  }

  private void observe(Redis used, AsyncResult<Response> ar) {
    if (ar.succeeded() || isErrorReply(ar.cause())) {
      failingSinceMs = -1;
      return;
    }
    long now = Clock.monotonicMs();
    long since = failingSinceMs;
    if (since < 0) {
      failingSinceMs = now;
    } else if (now - since >= 2 * timeoutMs) {
      replace(used, now);
    }
  }

  private synchronized void replace(Redis stale, long now) {
    if (redis != stale) {
      return; // another caller replaced it already
    }
    redis = rebuild.get();
    failingSinceMs = now;
    stale.close();
  }

  /** {@code args} are strings, or byte arrays sent as they are (no encoding step). */
  public Future<Response> eval(Script script, List<String> keys, List<?> args) {
    return send(scriptRequest(Command.EVALSHA, script.sha1(), keys, args))
        .recover(
            e ->
                isNoScript(e)
                    ? send(scriptRequest(Command.EVAL, script.source(), keys, args))
                    : Future.failedFuture(e));
  }

  static Request scriptRequest(Command command, String body, List<String> keys, List<?> args) {
    Request r = Request.cmd(command).arg(body).arg(keys.size());
    for (String k : keys) {
      r.arg(k);
    }
    for (Object a : args) {
      if (a instanceof byte[] bytes) {
        r.arg(bytes);
      } else {
        r.arg(a.toString());
      }
    }
    return r;
  }

  /**
   * True when Redis answered with an error reply to the command itself (WRONGTYPE, OOM,
   * NOGROUP...). False for failures that mean Redis is unavailable: the client's own
   * CONNECTION_CLOSED, timeouts, refused connections, and the replies of a server that cannot serve
   * yet (LOADING, MASTERDOWN...).
   */
  public static boolean isErrorReply(Throwable e) {
    if (!VertxInternals.isRedisErrorReply(e)) {
      return false;
    }
    String m = e.getMessage() == null ? "" : e.getMessage();
    for (String unavailable : UNAVAILABLE) {
      if (m.startsWith(unavailable)) {
        return false;
      }
    }
    return true;
  }

  private static final List<String> UNAVAILABLE =
      List.of(
          "CONNECTION_CLOSED", "ILLEGAL_STATE", "LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN");

  /**
   * True when the call gave up waiting ({@code redis.timeoutMs}): the reply may still come. A
   * timeout says the call waited too long, behind other calls on the same connection or for Redis.
   */
  public static boolean isTimeout(Throwable e) {
    return e instanceof TimeoutException;
  }

  public static boolean isNoScript(Throwable e) {
    String m = e.getMessage();
    return m != null && m.startsWith("NOSCRIPT");
  }

  /** True when Redis answered with a NOGROUP error: the stream or its group is gone. */
  public static boolean isNoGroup(Throwable e) {
    String m = e.getMessage();
    return m != null && m.startsWith("NOGROUP");
  }
}
