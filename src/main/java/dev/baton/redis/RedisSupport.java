package dev.baton.redis;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.net.URI;
import java.net.URISyntaxException;

/** Builds Redis clients from the node's settings, and renders URLs without their secrets. */
public final class RedisSupport {
  private RedisSupport() {}

  /** Options for the shared pool. */
  public static RedisOptions poolOptions(String url, int poolSize, long connectTimeoutMs) {
    return new RedisOptions()
        .setConnectionString(url)
        .setPreferredProtocolVersion(ProtocolVersion.RESP2)
        .setMaxPoolSize(poolSize)
        .setMaxPoolWaiting(Math.max(64, poolSize * 32))
        .setMaxWaitingHandlers(100_000)
        .setNetClientOptions(new NetClientOptions()
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeoutMs))
            .setTcpNoDelay(true)
            .setTcpKeepAlive(true));
  }

  /** Options for a client that owns exactly one connection (blocking reads, subscriptions). */
  public static RedisOptions dedicatedOptions(String url, long connectTimeoutMs) {
    return poolOptions(url, 1, connectTimeoutMs).setMaxPoolWaiting(16);
  }

  public static Redis pool(Vertx vertx, String url, int poolSize, long connectTimeoutMs) {
    return Redis.createClient(vertx, poolOptions(url, poolSize, connectTimeoutMs));
  }

  /** The URL with any user name or password replaced by {@code ***}. */
  public static String redact(String url) {
    if (url == null) {
      return null;
    }
    try {
      URI uri = new URI(url);
      if (uri.getRawUserInfo() == null) {
        return url;
      }
      return new URI(uri.getScheme(), "***", uri.getHost(), uri.getPort(), uri.getPath(), uri.getQuery(),
          uri.getFragment()).toString();
    } catch (URISyntaxException e) {
      return "<unparseable redis url>";
    }
  }
}
