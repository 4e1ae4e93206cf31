package dev.baton.bench;

import dev.baton.config.ConfigLoader;
import dev.baton.config.NodeConfig;
import dev.baton.config.RedisUrl;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.RedisSupport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Redis a run uses: its own (cleared after each run) or the user's (only the run's keys are
 * removed). Every mode measures against one.
 */
final class Target implements AutoCloseable {
  /** Opens the Redis a run measures against (the command's choice: its own, or the user's). */
  interface Opener {
    Target open() throws Exception;
  }

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
                        new JsonObject().put("redis", new JsonObject().put("url", url)), Map.of()))
                .redis(),
            4,
            5_000);
    this.ops = new RedisOps(client, 600_000);
  }

  /** The user's Redis at {@code redisUrl}, or, when it is null, one of the benchmark's own. */
  static Target open(Vertx vertx, String redisUrl, boolean tuned) throws Exception {
    if (redisUrl != null) {
      return new Target(vertx, redisUrl, null);
    }
    BenchRedis redis = BenchRedis.start(tuned);
    return new Target(vertx, redis.url(), redis);
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

  /** The Redis clock in ms ({@code TIME}). */
  long serverMs() {
    Response t = cmd("TIME");
    return t.get(0).toLong() * 1000 + t.get(1).toLong() / 1000;
  }

  /** Redis's CPU seconds so far, or -1 for the user's Redis. */
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
