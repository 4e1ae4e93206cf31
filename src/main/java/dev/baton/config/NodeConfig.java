package dev.baton.config;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The validated, immutable settings of one node. {@link #fromJson} checks every value and names
 * the setting it refuses; nothing else in the node reads raw JSON or the environment.
 */
public record NodeConfig(
    String nodeId,
    RedisSettings redis,
    ElectionSettings election,
    GeneratorSettings generator,
    HandlerSettings handler,
    HeartbeatSettings heartbeat,
    HttpSettings http,
    AuditSettings audit) {

  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern KEY_PREFIX = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  /** Whether a node may start a Redis server itself when none answers on a loopback URL. */
  public enum Embedded {
    AUTO,
    OFF
  }

  public record RedisSettings(
      String url,
      String keyPrefix,
      Embedded embedded,
      String embeddedDir,
      int poolSize,
      long commandTimeoutMs) {}

  public record ElectionSettings(long leaseMs, long renewMs) {}

  /**
   * {@code intervalMs} 0 is throughput mode: batches of {@code batchSize} per fenced call, at most
   * {@code maxInFlight} calls at once. {@code maxMessages} stops publishing after that many (0: never).
   */
  public record GeneratorSettings(long intervalMs, long maxBacklog, int batchSize, int maxInFlight, long maxMessages) {}

  /** {@code maxInFlight}: commits a handler may have outstanding while it reads the next batch. */
  public record HandlerSettings(
      double errorProbability, long reclaimIdleMs, int maxDeliveries, long blockMs, int batchSize, int maxInFlight) {}

  public record HeartbeatSettings(long intervalMs, long timeoutMs) {}

  public record HttpSettings(String host, int port) {}

  /** When enabled, the publish, commit and drain scripts record every message id in a ledger. */
  public record AuditSettings(boolean enabled) {}

  /** Validates a merged configuration (see {@link ConfigLoader#merge}). */
  public static NodeConfig fromJson(JsonObject json) {
    String nodeId = json.getString("nodeId");
    if (nodeId == null || nodeId.isEmpty()) {
      nodeId = randomNodeId();
    } else if (!NODE_ID.matcher(nodeId).matches()) {
      throw new ConfigException("nodeId: must be 1-64 characters of A-Z a-z 0-9 . _ -, got '" + nodeId + "'");
    }

    JsonObject r = json.getJsonObject("redis");
    String url = r.getString("url");
    checkRedisUrl(url);
    String keyPrefix = r.getString("keyPrefix");
    if (!KEY_PREFIX.matcher(keyPrefix).matches()) {
      throw new ConfigException("redis.keyPrefix: must be 1-64 characters of A-Z a-z 0-9 . _ : - (no braces), got '"
          + keyPrefix + "'");
    }
    Embedded embedded;
    try {
      embedded = Embedded.valueOf(r.getString("embedded").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("redis.embedded: must be 'auto' or 'off', got '" + r.getString("embedded") + "'");
    }
    String embeddedDir = r.getString("embeddedDir");
    if (embeddedDir.isBlank()) {
      throw new ConfigException("redis.embeddedDir: must not be empty");
    }
    RedisSettings redis = new RedisSettings(url, keyPrefix, embedded, embeddedDir,
        (int) range(r, "redis", "poolSize", 1, 1024),
        range(r, "redis", "commandTimeoutMs", 10, 600_000));

    JsonObject e = json.getJsonObject("election");
    long leaseMs = range(e, "election", "leaseMs", 30, 3_600_000);
    long renewMs = range(e, "election", "renewMs", 1, 3_600_000);
    if (renewMs * 3 > leaseMs) {
      throw new ConfigException("election.renewMs: must be at most election.leaseMs/3 (" + leaseMs / 3
          + "), got " + renewMs);
    }
    ElectionSettings election = new ElectionSettings(leaseMs, renewMs);

    JsonObject g = json.getJsonObject("generator");
    GeneratorSettings generator = new GeneratorSettings(
        range(g, "generator", "intervalMs", 0, 86_400_000),
        range(g, "generator", "maxBacklog", 1, 1_000_000_000),
        (int) range(g, "generator", "batchSize", 1, 10_000),
        (int) range(g, "generator", "maxInFlight", 1, 64),
        range(g, "generator", "maxMessages", 0, Long.MAX_VALUE));

    JsonObject h = json.getJsonObject("handler");
    double errorProbability = h.getDouble("errorProbability");
    if (!(errorProbability >= 0.0 && errorProbability <= 1.0)) {
      throw new ConfigException("handler.errorProbability: must be within [0, 1], got " + errorProbability);
    }
    HandlerSettings handler = new HandlerSettings(errorProbability,
        range(h, "handler", "reclaimIdleMs", 1, 86_400_000),
        (int) range(h, "handler", "maxDeliveries", 1, 1_000_000),
        range(h, "handler", "blockMs", 1, 600_000),
        (int) range(h, "handler", "batchSize", 1, 100_000),
        (int) range(h, "handler", "maxInFlight", 1, 64));

    JsonObject hb = json.getJsonObject("heartbeat");
    long hbInterval = range(hb, "heartbeat", "intervalMs", 10, 3_600_000);
    long hbTimeout = range(hb, "heartbeat", "timeoutMs", 1, 86_400_000);
    if (hbTimeout < 2 * hbInterval) {
      throw new ConfigException("heartbeat.timeoutMs: must be at least 2 × heartbeat.intervalMs ("
          + 2 * hbInterval + "), got " + hbTimeout);
    }
    HeartbeatSettings heartbeat = new HeartbeatSettings(hbInterval, hbTimeout);

    JsonObject ht = json.getJsonObject("http");
    String host = ht.getString("host");
    if (host.isBlank()) {
      throw new ConfigException("http.host: must not be empty");
    }
    HttpSettings http = new HttpSettings(host, (int) range(ht, "http", "port", 0, 65_535));

    AuditSettings audit = new AuditSettings(json.getJsonObject("audit").getBoolean("enabled"));

    return new NodeConfig(nodeId, redis, election, generator, handler, heartbeat, http, audit);
  }

  /** The configuration as JSON, in the shape of conf/node.json. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("nodeId", nodeId)
        .put("redis", new JsonObject()
            .put("url", redis.url)
            .put("keyPrefix", redis.keyPrefix)
            .put("embedded", redis.embedded.name().toLowerCase(Locale.ROOT))
            .put("embeddedDir", redis.embeddedDir)
            .put("poolSize", redis.poolSize)
            .put("commandTimeoutMs", redis.commandTimeoutMs))
        .put("election", new JsonObject().put("leaseMs", election.leaseMs).put("renewMs", election.renewMs))
        .put("generator", new JsonObject()
            .put("intervalMs", generator.intervalMs)
            .put("maxBacklog", generator.maxBacklog)
            .put("batchSize", generator.batchSize)
            .put("maxInFlight", generator.maxInFlight)
            .put("maxMessages", generator.maxMessages))
        .put("handler", new JsonObject()
            .put("errorProbability", handler.errorProbability)
            .put("reclaimIdleMs", handler.reclaimIdleMs)
            .put("maxDeliveries", handler.maxDeliveries)
            .put("blockMs", handler.blockMs)
            .put("batchSize", handler.batchSize)
            .put("maxInFlight", handler.maxInFlight))
        .put("heartbeat", new JsonObject()
            .put("intervalMs", heartbeat.intervalMs)
            .put("timeoutMs", heartbeat.timeoutMs))
        .put("http", new JsonObject().put("host", http.host).put("port", http.port))
        .put("audit", new JsonObject().put("enabled", audit.enabled));
  }

  public NodeConfig withNodeId(String id) {
    return new NodeConfig(id, redis, election, generator, handler, heartbeat, http, audit);
  }

  public static String randomNodeId() {
    return "node-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static long range(JsonObject o, String section, String key, long min, long max) {
    long v = o.getLong(key);
    if (v < min || v > max) {
      throw new ConfigException(section + "." + key + ": must be within [" + min + ", " + max + "], got " + v);
    }
    return v;
  }

  private static void checkRedisUrl(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new ConfigException("redis.url: not a URL: '" + url + "'");
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equals("redis") || scheme.equals("rediss") || scheme.equals("unix"))) {
      throw new ConfigException("redis.url: must start with redis://, rediss:// or unix://, got '" + url + "'");
    }
    if (!scheme.equals("unix") && (uri.getHost() == null || uri.getHost().isEmpty())) {
      throw new ConfigException("redis.url: has no host: '" + url + "'");
    }
  }
}
