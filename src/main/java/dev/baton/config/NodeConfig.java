package dev.baton.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    LogSettings log,
    AuditSettings audit,
    PresenceSettings presence) {

  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern KEY_PREFIX = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final Pattern ADVERTISED_NAME =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  /** Whether a node may start a Redis server itself when none answers on a loopback URL. */
  public enum Embedded {
    AUTO,
    OFF
  }

  /** How the Redis deployment is reached (vertx-redis-client's client types). */
  public enum RedisType {
    STANDALONE,
    SENTINEL,
    CLUSTER
  }

  /**
   * Where Redis is and how to log in. {@code endpoints} carry no credentials (they are in {@code
   * user}/{@code password}, whatever way they were given), so a client's error message quoting an
   * endpoint cannot print them. {@code url} is the setting as given: print it only through {@link
   * RedisUrl#redact}.
   */
  public record RedisSettings(
      RedisType type,
      String url,
      List<String> endpoints,
      String masterName,
      String user,
      String password,
      TlsSettings tls,
      String keyPrefix,
      Embedded embedded,
      String embeddedDir,
      int poolSize,
      long commandTimeoutMs) {

    /** Whether the connections use TLS ({@code rediss://}). */
    public boolean usesTls() {
      return endpoints.get(0).startsWith("rediss://");
    }

    /** Where Redis is, safe to print. */
    public String describe() {
      return (type == RedisType.STANDALONE ? "" : type.name().toLowerCase(Locale.ROOT) + " ") + String.join(",", endpoints)
          + (type == RedisType.SENTINEL ? " (master '" + masterName + "')" : "")
          + (password == null ? "" : ", with a password") + (user == null ? "" : " as user '" + user + "'");
    }

    @Override
    public String toString() {
      return "RedisSettings[" + describe() + ", keyPrefix=" + keyPrefix + "]";
    }
  }

  /** TLS for {@code rediss://}: the CA to trust (empty: the JVM's), an optional client certificate. */
  public record TlsSettings(String caFile, String certFile, String keyFile, boolean verifyHost) {}

  public record ElectionSettings(long leaseMs, long renewMs) {}

  /**
   * {@code intervalMs} 0 is throughput mode: batches of {@code batchSize} messages per fenced call,
   * packed {@code packSize} to a stream entry, at most {@code maxInFlight} calls at once. At a
   * cadence an entry holds one message. {@code maxMessages} stops publishing after that many (0: never).
   */
  public record GeneratorSettings(long intervalMs, long maxBacklog, int batchSize, int packSize, int maxInFlight,
      long maxMessages) {}

  /** {@code maxInFlight}: commits a handler may have outstanding while it reads the next batch. */
  public record HandlerSettings(
      double errorProbability, long reclaimIdleMs, int maxDeliveries, long blockMs, int batchSize, int maxInFlight) {}

  public record HeartbeatSettings(long intervalMs, long timeoutMs) {}

  /**
   * {@code host} is the bind address; {@code advertise} the host others reach the node by (in
   * /status and the page), never empty: the setting, else {@code host}, else (bound to a wildcard)
   * this machine's hostname. {@code token}: null when state-changing requests need no bearer token.
   * The rest bounds what clients can make the node hold: open connections, how long a connection may
   * sit idle or take to deliver a request, requests in progress, and stored errors read for answers
   * per second.
   */
  public record HttpSettings(String host, int port, String token, String advertise, int maxConnections,
      long idleTimeoutMs, long requestTimeoutMs, int maxRequests, long readBudget) {
    public HttpSettings(String host, int port) {
      this(host, port, null);
    }

    public HttpSettings(String host, int port, String token) {
      this(host, port, token, advertised("", host), 512, 30_000, 10_000, 64, 10_000);
    }

    /** The node's address as others should use it, with the port actually bound. */
    public String address(int boundPort) {
      return "http://" + (advertise.contains(":") ? "[" + advertise + "]" : advertise) + ":" + boundPort;
    }

    @Override
    public String toString() {
      return "HttpSettings[host=" + host + ", port=" + port + ", advertise=" + advertise + ", token="
          + (token == null ? "none" : Secrets.MASK) + ", maxConnections=" + maxConnections + ", idleTimeoutMs="
          + idleTimeoutMs + ", requestTimeoutMs=" + requestTimeoutMs + ", maxRequests=" + maxRequests
          + ", readBudget=" + readBudget + "]";
    }
  }

  /** Log line format. */
  public enum LogFormat {
    TEXT,
    JSON
  }

  public record LogSettings(LogFormat format) {}

  /** When enabled, the publish, commit and drain scripts record every message id in a ledger. */
  public record AuditSettings(boolean enabled) {}

  /**
   * Presence ("last will"): with {@code enabled}, the node holds a subscription that Redis drops
   * the moment its process dies, and the watcher polls every {@code watchMs} for a vanished
   * generator or work left on a vanished handler. Disabled: the lease and the idle reclaim alone.
   */
  public record PresenceSettings(boolean enabled, long watchMs) {}

  /** Validates a merged configuration (see {@link ConfigLoader#merge}). */
  public static NodeConfig fromJson(JsonObject json) {
    String nodeId = json.getString("nodeId");
    if (nodeId == null || nodeId.isEmpty()) {
      nodeId = randomNodeId();
    } else if (!NODE_ID.matcher(nodeId).matches()) {
      throw new ConfigException("nodeId: must be 1-64 characters of A-Z a-z 0-9 . _ -, got '" + nodeId + "'");
    }

    JsonObject r = json.getJsonObject("redis");
    RedisSettings redisPartial = redis(r);
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
    RedisSettings redis = new RedisSettings(redisPartial.type(), redisPartial.url(), redisPartial.endpoints(),
        redisPartial.masterName(), redisPartial.user(), redisPartial.password(), redisPartial.tls(), keyPrefix,
        embedded, embeddedDir,
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
        (int) range(g, "generator", "batchSize", 1, 100_000),
        (int) range(g, "generator", "packSize", 1, 1_000),
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
    if (!RedisUrl.validHost(host)) {
      throw new ConfigException("http.host: must be a host name or an IP address to listen on, got '" + host + "'");
    }
    String token = secret(ht, "http", "token", "tokenFile");
    HttpSettings http = new HttpSettings(host, (int) range(ht, "http", "port", 0, 65_535), token,
        advertised(ht.getString("advertise"), host),
        (int) range(ht, "http", "maxConnections", 1, 1_000_000),
        range(ht, "http", "idleTimeoutMs", 100, 86_400_000),
        range(ht, "http", "requestTimeoutMs", 100, 3_600_000),
        (int) range(ht, "http", "maxRequests", 1, 1_000_000),
        range(ht, "http", "readBudget", 1, 100_000_000));

    LogSettings log = new LogSettings(choice(json.getJsonObject("log"), "log", "format", LogFormat.class));
    AuditSettings audit = new AuditSettings(json.getJsonObject("audit").getBoolean("enabled"));

    JsonObject p = json.getJsonObject("presence");
    long watchMs = range(p, "presence", "watchMs", 10, 60_000);
    if (watchMs >= leaseMs) {
      throw new ConfigException("presence.watchMs: must be below election.leaseMs (" + leaseMs + "), got " + watchMs);
    }
    PresenceSettings presence = new PresenceSettings(p.getBoolean("enabled"), watchMs);

    return new NodeConfig(nodeId, redis, election, generator, handler, heartbeat, http, log, audit, presence);
  }

  /**
   * The configuration as JSON, in the shape of conf/node.json, with secrets masked: passwords and
   * the token read from files are shown in {@code password}/{@code token}, as {@value Secrets#MASK}.
   */
  public JsonObject toJson() {
    JsonObject tls = new JsonObject()
        .put("caFile", redis.tls.caFile)
        .put("certFile", redis.tls.certFile)
        .put("keyFile", redis.tls.keyFile)
        .put("verifyHost", redis.tls.verifyHost);
    return new JsonObject()
        .put("nodeId", nodeId)
        .put("redis", new JsonObject()
            .put("type", redis.type.name().toLowerCase(Locale.ROOT))
            .put("url", RedisUrl.redact(redis.url))
            .put("endpoints", redis.type == RedisType.STANDALONE ? new JsonArray() : new JsonArray(redis.endpoints))
            .put("masterName", redis.masterName)
            .put("user", redis.user == null ? "" : redis.user)
            .put("password", redis.password == null ? "" : Secrets.MASK)
            .put("passwordFile", "")
            .put("tls", tls)
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
            .put("packSize", generator.packSize)
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
        .put("http", new JsonObject().put("host", http.host).put("port", http.port)
            // the default as "", as in conf/node.json (the same configuration either way)
            .put("advertise", http.advertise.equals(advertised("", http.host)) ? "" : http.advertise)
            .put("token", http.token == null ? "" : Secrets.MASK).put("tokenFile", "")
            .put("maxConnections", http.maxConnections).put("idleTimeoutMs", http.idleTimeoutMs)
            .put("requestTimeoutMs", http.requestTimeoutMs).put("maxRequests", http.maxRequests)
            .put("readBudget", http.readBudget))
        .put("log", new JsonObject().put("format", log.format.name().toLowerCase(Locale.ROOT)))
        .put("audit", new JsonObject().put("enabled", audit.enabled))
        .put("presence", new JsonObject().put("enabled", presence.enabled).put("watchMs", presence.watchMs));
  }

  public NodeConfig withNodeId(String id) {
    return new NodeConfig(id, redis, election, generator, handler, heartbeat, http, log, audit, presence);
  }

  public static String randomNodeId() {
    return "node-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * The advertised host: {@code given} once checked, else {@code host} unless that is a wildcard
   * (0.0.0.0, ::), which nobody can connect to: then this machine's hostname (in a container, the
   * name the other containers of its network resolve).
   */
  static String advertised(String given, String host) {
    String h = given.strip();
    if (h.isEmpty()) {
      if (!isWildcard(host)) {
        return host;
      }
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        throw new ConfigException("http.advertise: http.host is " + host + " and this machine's hostname does not "
            + "resolve; set http.advertise to the name or address other machines reach this node by");
      }
    }
    String bare = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    boolean valid;
    if (bare.contains(":")) {
      valid = bare.matches("[0-9A-Fa-f:.]+") && isIpLiteral(bare);
    } else {
      valid = h.length() <= 253 && ADVERTISED_NAME.matcher(h).matches();
    }
    if (!valid) {
      throw new ConfigException("http.advertise: must be a host name or an IP address (no scheme, no port), got '"
          + given + "'");
    }
    if (isWildcard(bare)) {
      throw new ConfigException("http.advertise: must be an address others can connect to, not the wildcard '"
          + given + "'");
    }
    return bare;
  }

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("0:0:0:0:0:0:0:0");
  }

  /** Parsing an address that contains ':' is a literal's parse only: no name lookup. */
  private static boolean isIpLiteral(String s) {
    try {
      return InetAddress.getByName(s) instanceof java.net.Inet6Address;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static long range(JsonObject o, String section, String key, long min, long max) {
    long v = o.getLong(key);
    if (v < min || v > max) {
      throw new ConfigException(section + "." + key + ": must be within [" + min + ", " + max + "], got " + v);
    }
    return v;
  }

  /** Type, endpoints and credentials; the rest of the record is filled in by the caller. */
  private static RedisSettings redis(JsonObject r) {
    RedisType type = choice(r, "redis", "type", RedisType.class);
    String url = r.getString("url");
    RedisUrl main = RedisUrl.parse("redis.url", url);
    List<RedisUrl> endpoints = new ArrayList<>();
    JsonArray listed = r.getJsonArray("endpoints");
    if (type == RedisType.STANDALONE) {
      if (!listed.isEmpty()) {
        throw new ConfigException("redis.endpoints: only for redis.type sentinel or cluster; a standalone Redis is "
            + "given by redis.url");
      }
      endpoints.add(main);
    } else if (listed.isEmpty()) {
      endpoints.add(main);
    } else {
      for (int i = 0; i < listed.size(); i++) {
        if (!(listed.getValue(i) instanceof String s) || s.isBlank()) {
          throw new ConfigException("redis.endpoints: every entry must be a redis:// or rediss:// URL, entry "
              + (i + 1) + " is not");
        }
        endpoints.add(RedisUrl.parse("redis.endpoints entry " + (i + 1), s.trim()));
      }
    }
    for (RedisUrl e : endpoints) {
      if (type == RedisType.CLUSTER && e.db() > 0) {
        throw new ConfigException((listed.isEmpty() ? "redis.url" : "redis.endpoints") + ": Redis Cluster has only "
            + "database 0, got " + e.db());
      }
      if (type != RedisType.STANDALONE && e.scheme().equals("unix")) {
        throw new ConfigException("redis.endpoints: " + type.name().toLowerCase(Locale.ROOT)
            + " needs redis:// or rediss:// endpoints, got '" + e.bare() + "'");
      }
      if (!e.scheme().equals(endpoints.get(0).scheme())) {
        throw new ConfigException("redis.endpoints: mixes " + endpoints.get(0).scheme() + ":// and " + e.scheme()
            + ":// (TLS is for all connections or none)");
      }
    }

    // credentials: from redis.user/password/passwordFile or inside the URLs, never both ways
    String user = r.getString("user").isEmpty() ? null : r.getString("user");
    String password = secret(r, "redis", "password", "passwordFile");
    String urlUser = endpoints.get(0).user();
    String urlPassword = endpoints.get(0).password();
    for (RedisUrl e : endpoints) {
      if (!java.util.Objects.equals(e.user(), urlUser) || !java.util.Objects.equals(e.password(), urlPassword)) {
        throw new ConfigException("redis.endpoints: the entries carry different credentials; give them once, in "
            + "redis.user and redis.password");
      }
    }
    if (urlPassword != null && password != null) {
      throw new ConfigException("redis.password: also given inside the Redis URL; set it one way only");
    }
    if (urlUser != null && user != null) {
      throw new ConfigException("redis.user: also given inside the Redis URL; set it one way only");
    }
    user = user != null ? user : urlUser;
    password = password != null ? password : urlPassword;
    if (user != null && password == null) {
      throw new ConfigException("redis.user: '" + user + "' needs a password (redis.password or redis.passwordFile)");
    }
    Secrets.remember(password);

    JsonObject t = r.getJsonObject("tls");
    TlsSettings tls = new TlsSettings(readableFile(t, "redis.tls", "caFile"), readableFile(t, "redis.tls", "certFile"),
        readableFile(t, "redis.tls", "keyFile"), t.getBoolean("verifyHost"));
    if (tls.certFile().isEmpty() != tls.keyFile().isEmpty()) {
      throw new ConfigException("redis.tls: certFile and keyFile go together (a client certificate and its key)");
    }
    List<String> bare = endpoints.stream().map(RedisUrl::bare).toList();
    String masterName = r.getString("masterName");
    if (type == RedisType.SENTINEL && masterName.isBlank()) {
      throw new ConfigException("redis.masterName: must name the master the sentinels watch");
    }
    return new RedisSettings(type, url, bare, masterName, user, password, tls, null, null, null, 0, 0);
  }

  /**
   * A secret given inline ({@code key}) or in a file ({@code fileKey}, trailing line break
   * dropped); null when neither is set. The error messages never contain the secret.
   */
  private static String secret(JsonObject o, String section, String key, String fileKey) {
    String inline = o.getString(key);
    String file = o.getString(fileKey);
    if (!inline.isEmpty() && !file.isEmpty()) {
      throw new ConfigException(section + "." + key + " and " + section + "." + fileKey + ": set one of them, not both");
    }
    String value = inline;
    if (!file.isEmpty()) {
      try {
        value = Files.readString(Path.of(file), StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        throw new ConfigException(section + "." + fileKey + ": cannot read '" + file + "' (" + e.getClass().getSimpleName()
            + ")");
      }
      value = value.endsWith("\r\n") ? value.substring(0, value.length() - 2)
          : value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
      if (value.isEmpty()) {
        throw new ConfigException(section + "." + fileKey + ": '" + file + "' is empty");
      }
    }
    if (value.isEmpty()) {
      return null;
    }
    Secrets.remember(value);
    return value;
  }

  private static String readableFile(JsonObject o, String section, String key) {
    String file = o.getString(key);
    if (!file.isEmpty() && !Files.isReadable(Path.of(file))) {
      throw new ConfigException(section + "." + key + ": cannot read '" + file + "'");
    }
    return file;
  }

  private static <E extends Enum<E>> E choice(JsonObject o, String section, String key, Class<E> type) {
    String raw = o.getString(key);
    try {
      return Enum.valueOf(type, raw.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        names.add("'" + c.name().toLowerCase(Locale.ROOT) + "'");
      }
      throw new ConfigException(section + "." + key + ": must be one of " + String.join(", ", names) + ", got '"
          + raw + "'");
    }
  }
}
