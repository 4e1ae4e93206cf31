package dev.baton.support;

import dev.baton.redis.Replies;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A blocking Redis client for test setup and assertions (called from the test thread). */
public final class TestRedis implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final Redis redis;

  public TestRedis(String url) {
    this(new RedisOptions().setConnectionString(url));
  }

  /** With the client type, endpoints and credentials of {@code options} (cluster, sentinel...). */
  public TestRedis(RedisOptions options) {
    this.redis =
        Redis.createClient(
            vertx, new RedisOptions(options).setMaxPoolSize(4).setMaxPoolWaiting(10_000));
  }

  public Vertx vertx() {
    return vertx;
  }

  public Redis client() {
    return redis;
  }

  public Response cmd(Object... args) {
    Request r = Request.cmd(Command.create(args[0].toString()));
    for (int i = 1; i < args.length; i++) {
      r.arg(args[i].toString());
    }
    try {
      return redis.send(r).await(20, TimeUnit.SECONDS);
    } catch (Throwable e) {
      // the client rethrows Redis errors (a Throwable) unchecked: surface them as one type
      throw new IllegalStateException(args[0] + ": " + e.getMessage(), e);
    }
  }

  /** Sends many commands pipelined in chunks (bulk setup). */
  public List<Response> pipeline(List<Request> requests) {
    try {
      List<Response> out = new ArrayList<>(requests.size());
      for (int i = 0; i < requests.size(); i += 1000) {
        out.addAll(
            redis
                .batch(requests.subList(i, Math.min(requests.size(), i + 1000)))
                .await(60, TimeUnit.SECONDS));
      }
      return out;
    } catch (TimeoutException e) {
      throw new IllegalStateException("redis batch timed out", e);
    }
  }

  public long num(Object... args) {
    Response r = cmd(args);
    return r == null ? 0 : r.toLong();
  }

  public String str(Object... args) {
    Response r = cmd(args);
    return r == null ? null : r.toString();
  }

  /** All entries of a stream as [id, field→value]. */
  public List<Replies.Entry> range(String key) {
    return Replies.entries(cmd("XRANGE", key, "-", "+"));
  }

  public List<String> strings(Object... args) {
    List<String> out = new ArrayList<>();
    Response r = cmd(args);
    if (r != null) {
      r.forEach(x -> out.add(x == null ? null : x.toString()));
    }
    return out;
  }

  @Override
  public void close() {
    try {
      vertx.close().await(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort
    }
  }
}
