package dev.baton.redis;

import dev.baton.config.RedisSettings;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.RedisRole;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds Redis clients from the node's settings — standalone, Sentinel or Cluster, with credentials
 * and TLS. Credentials go to the client as options, never inside a connection string, so no client
 * message that quotes an endpoint can contain them.
 */
public final class RedisSupport {
  /** Pool names in the Vert.x pool metrics ({@code vertx_pool_*{pool_type="redis"}}). */
  public static final String SHARED_POOL = "baton-shared";

  public static final String DEDICATED_POOL = "baton-dedicated";

  /** The election's own client: lease renewals never wait behind another caller's commands. */
  public static final String ELECTION_POOL = "baton-election";

  /** The HTTP verticle's own client (pages, drains, /status, /metrics, /health). */
  public static final String HTTP_POOL = "baton-http";

  private RedisSupport() {}

  /** Options for the shared pool. */
  public static RedisOptions poolOptions(
      RedisSettings settings, int poolSize, long connectTimeoutMs) {
    return poolOptions(settings, poolSize, connectTimeoutMs, SHARED_POOL);
  }

  /** Options for a pool of its own, named {@code poolName} in the pool metrics. */
  public static RedisOptions poolOptions(
      RedisSettings settings, int poolSize, long connectTimeoutMs, String poolName) {
    NetClientOptions net =
        new NetClientOptions()
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeoutMs))
            .setTcpNoDelay(true)
            .setTcpKeepAlive(true);
    if (settings.usesTls()) {
      net.setSsl(true).setHostnameVerificationAlgorithm(settings.tls().verifyHost() ? "HTTPS" : "");
      if (!settings.tls().caFile().isEmpty()) {
        net.setTrustOptions(new PemTrustOptions().addCertPath(settings.tls().caFile()));
      }
      if (!settings.tls().certFile().isEmpty()) {
        net.setKeyCertOptions(
            new PemKeyCertOptions()
                .setCertPath(settings.tls().certFile())
                .setKeyPath(settings.tls().keyFile()));
      }
    }
    RedisOptions options =
        new RedisOptions()
            .setEndpoints(new ArrayList<>(settings.endpoints()))
            .setUser(settings.user())
            .setPassword(settings.password())
            .setPreferredProtocolVersion(ProtocolVersion.RESP2)
            .setMaxPoolSize(poolSize)
            .setMaxPoolWaiting(Math.max(64, poolSize * 32))
            .setMaxWaitingHandlers(100_000)
            .setPoolName(poolName)
            .setNetClientOptions(net);
    switch (settings.type()) {
      case SENTINEL ->
          options
              .setType(RedisClientType.SENTINEL)
              .setMasterName(settings.masterName())
              .setRole(RedisRole.MASTER);
      case CLUSTER -> options.setType(RedisClientType.CLUSTER).setUseReplicas(RedisReplicas.NEVER);
      case STANDALONE -> options.setType(RedisClientType.STANDALONE);
    }
    return options;
  }

  /**
   * Options for a client that owns one connection (one per master with Cluster) for blocking reads
   * and subscriptions. A cluster client also borrows a connection from the same pool whenever it
   * refreshes its slot map (every second, and after a MOVED): with a pool of one, held by the
   * blocked connection, that refresh — and every later command — would wait forever.
   */
  public static RedisOptions dedicatedOptions(RedisSettings settings, long connectTimeoutMs) {
    int size = settings.type() == RedisSettings.RedisType.CLUSTER ? 2 : 1;
    // one name for every dedicated client: they come and go with reconnects, a metric each would
    // pile up
    return poolOptions(settings, size, connectTimeoutMs)
        .setMaxPoolWaiting(16)
        .setPoolName(DEDICATED_POOL);
  }

  /**
   * Options for a connection of its own to one node of a Redis Cluster ({@code host:port}), with
   * the credentials and TLS of every other connection: the presence subscription must sit on the
   * master of the keys' slot, and a cluster client would route a subscribe as it likes.
   */
  public static RedisOptions nodeOptions(
      RedisSettings settings, String hostPort, long connectTimeoutMs) {
    String scheme = settings.usesTls() ? "rediss://" : "redis://";
    return dedicatedOptions(settings, connectTimeoutMs)
        .setType(RedisClientType.STANDALONE)
        .setMaxPoolSize(1)
        .setEndpoints(new ArrayList<>(List.of(scheme + hostPort)));
  }

  public static Redis pool(
      Vertx vertx, RedisSettings settings, int poolSize, long connectTimeoutMs) {
    return Redis.createClient(vertx, poolOptions(settings, poolSize, connectTimeoutMs));
  }
}
