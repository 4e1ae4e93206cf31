package dev.baton.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The validated, immutable settings of one node. {@link #fromJson} checks every value and names the
 * setting it refuses; nothing else in the node reads raw JSON or the environment.
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
      Pattern.compile(
          "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

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
   * RedisUrl#redact}. {@code acceptEvictionDataLoss} lets a node start under a maxmemory-policy
   * that can evict Baton's keys; {@code dataLostHoldMs} is how long /health stays degraded after
   * Redis lost Baton's data or evicted keys.
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
      long commandTimeoutMs,
      boolean acceptEvictionDataLoss,
      long dataLostHoldMs) {

    static RedisSettings parse(Section r) {
      RedisType type = r.choice("type", RedisType.class);
      String url = r.string("url");
      RedisUrl main = RedisUrl.parse("redis.url", url);
      List<RedisUrl> endpoints = endpoints(r, type, main);
      // credentials: from redis.user/password/passwordFile or inside the URLs, never both ways
      String user = r.string("user").isEmpty() ? null : r.string("user");
      String password = r.secret("password", "passwordFile");
      String urlUser = endpoints.get(0).user();
      String urlPassword = endpoints.get(0).password();
      for (RedisUrl e : endpoints) {
        if (!Objects.equals(e.user(), urlUser) || !Objects.equals(e.password(), urlPassword)) {
          throw r.refuse(
              "endpoints",
              "the entries carry different credentials; give them once, in redis.user and "
                  + "redis.password");
        }
      }
      if (urlPassword != null && password != null) {
        throw r.refuse("password", "also given inside the Redis URL; set it one way only");
      }
      if (urlUser != null && user != null) {
        throw r.refuse("user", "also given inside the Redis URL; set it one way only");
      }
      user = user != null ? user : urlUser;
      password = password != null ? password : urlPassword;
      if (user != null && password == null) {
        throw r.refuse(
            "user", "'" + user + "' needs a password (redis.password or redis.passwordFile)");
      }
      Secrets.remember(password);
      String masterName = r.string("masterName");
      if (type == RedisType.SENTINEL && masterName.isBlank()) {
        throw r.refuse("masterName", "must name the master the sentinels watch");
      }
      String keyPrefix = r.string("keyPrefix");
      if (!KEY_PREFIX.matcher(keyPrefix).matches()) {
        throw r.refuse(
            "keyPrefix",
            "must be 1-64 characters of A-Z a-z 0-9 . _ : - (no braces), got '" + keyPrefix + "'");
      }
      Embedded embedded;
      try {
        embedded = Embedded.valueOf(r.string("embedded").toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw r.refuse("embedded", "must be 'auto' or 'off', got '" + r.string("embedded") + "'");
      }
      String embeddedDir = r.string("embeddedDir");
      if (embeddedDir.isBlank()) {
        throw r.refuse("embeddedDir", "must not be empty");
      }
      return new RedisSettings(
          type,
          url,
          endpoints.stream().map(RedisUrl::bare).toList(),
          masterName,
          user,
          password,
          TlsSettings.parse(r.section("tls")),
          keyPrefix,
          embedded,
          embeddedDir,
          (int) r.range("poolSize", 1, 1024),
          r.range("commandTimeoutMs", 10, 600_000),
          r.bool("acceptEvictionDataLoss"),
          r.range("dataLostHoldMs", 0, 86_400_000));
    }

    private static List<RedisUrl> endpoints(Section r, RedisType type, RedisUrl main) {
      List<RedisUrl> endpoints = new ArrayList<>();
      JsonArray listed = r.list("endpoints");
      if (type == RedisType.STANDALONE) {
        if (!listed.isEmpty()) {
          throw r.refuse(
              "endpoints",
              "only for redis.type sentinel or cluster; a standalone Redis is given by redis.url");
        }
        endpoints.add(main);
      } else if (listed.isEmpty()) {
        endpoints.add(main);
      } else {
        for (int i = 0; i < listed.size(); i++) {
          if (!(listed.getValue(i) instanceof String s) || s.isBlank()) {
            throw r.refuse(
                "endpoints",
                "every entry must be a redis:// or rediss:// URL, entry " + (i + 1) + " is not");
          }
          endpoints.add(RedisUrl.parse("redis.endpoints entry " + (i + 1), s.trim()));
        }
      }
      for (RedisUrl e : endpoints) {
        if (type == RedisType.CLUSTER && e.db() > 0) {
          throw new ConfigException(
              (listed.isEmpty() ? "redis.url" : "redis.endpoints")
                  + ": Redis Cluster has only "
                  + "database 0, got "
                  + e.db());
        }
        if (type != RedisType.STANDALONE && e.scheme().equals("unix")) {
          throw r.refuse(
              "endpoints",
              type.name().toLowerCase(Locale.ROOT)
                  + " needs redis:// or rediss:// endpoints, "
                  + "got '"
                  + e.bare()
                  + "'");
        }
        if (!e.scheme().equals(endpoints.get(0).scheme())) {
          throw r.refuse(
              "endpoints",
              "mixes "
                  + endpoints.get(0).scheme()
                  + ":// and "
                  + e.scheme()
                  + ":// (TLS is for all connections or none)");
        }
      }
      return endpoints;
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("type", type.name().toLowerCase(Locale.ROOT))
          .put("url", RedisUrl.redact(url))
          .put(
              "endpoints",
              type == RedisType.STANDALONE ? new JsonArray() : new JsonArray(endpoints))
          .put("masterName", masterName)
          .put("user", user == null ? "" : user)
          .put("password", password == null ? "" : Secrets.MASK)
          .put("passwordFile", "")
          .put("tls", tls.toJson())
          .put("keyPrefix", keyPrefix)
          .put("embedded", embedded.name().toLowerCase(Locale.ROOT))
          .put("embeddedDir", embeddedDir)
          .put("poolSize", poolSize)
          .put("commandTimeoutMs", commandTimeoutMs)
          .put("acceptEvictionDataLoss", acceptEvictionDataLoss)
          .put("dataLostHoldMs", dataLostHoldMs);
    }

    /** Whether the connections use TLS ({@code rediss://}). */
    public boolean usesTls() {
      return endpoints.get(0).startsWith("rediss://");
    }

    /** Where Redis is, safe to print. */
    public String describe() {
      return (type == RedisType.STANDALONE ? "" : type.name().toLowerCase(Locale.ROOT) + " ")
          + String.join(",", endpoints)
          + (type == RedisType.SENTINEL ? " (master '" + masterName + "')" : "")
          + (password == null ? "" : ", with a password")
          + (user == null ? "" : " as user '" + user + "'");
    }

    @Override
    public String toString() {
      return "RedisSettings[" + describe() + ", keyPrefix=" + keyPrefix + "]";
    }
  }

  /**
   * TLS for {@code rediss://}: the CA to trust (empty: the JVM's), an optional client certificate.
   */
  public record TlsSettings(String caFile, String certFile, String keyFile, boolean verifyHost) {
    static TlsSettings parse(Section t) {
      TlsSettings tls =
          new TlsSettings(
              t.readableFile("caFile"),
              t.readableFile("certFile"),
              t.readableFile("keyFile"),
              t.bool("verifyHost"));
      if (tls.certFile().isEmpty() != tls.keyFile().isEmpty()) {
        throw new ConfigException(
            t.name() + ": certFile and keyFile go together (a client certificate and its key)");
      }
      return tls;
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("caFile", caFile)
          .put("certFile", certFile)
          .put("keyFile", keyFile)
          .put("verifyHost", verifyHost);
    }
  }

  public record ElectionSettings(long leaseMs, long renewMs) {
    static ElectionSettings parse(Section e) {
      long leaseMs = e.range("leaseMs", 30, 3_600_000);
      long renewMs = e.range("renewMs", 1, 3_600_000);
      if (renewMs * 3 > leaseMs) {
        throw e.refuse(
            "renewMs", "must be at most election.leaseMs/3 (" + leaseMs / 3 + "), got " + renewMs);
      }
      return new ElectionSettings(leaseMs, renewMs);
    }

    JsonObject toJson() {
      return new JsonObject().put("leaseMs", leaseMs).put("renewMs", renewMs);
    }
  }

  /**
   * {@code intervalMs} 0 is throughput mode: batches of {@code batchSize} messages per fenced call,
   * packed {@code packSize} to a stream entry, at most {@code maxInFlight} calls at once. At a
   * cadence an entry holds one message. {@code maxMessages} stops publishing after that many (0:
   * never). {@code source} says where the texts come from: the built-in random words, or a plug-in
   * called once per tick, each call within {@code timeoutMs}, its texts at most {@code
   * maxMessageBytes} each.
   */
  public record GeneratorSettings(
      long intervalMs,
      long maxBacklog,
      int batchSize,
      int packSize,
      int maxInFlight,
      long maxMessages,
      PluginSettings source,
      long timeoutMs,
      int maxMessageBytes,
      long failingAfterMs) {
    /** Largest {@code maxMessageBytes}: a message is one Redis argument and one stream field. */
    public static final int MESSAGE_BYTES_LIMIT = 16 * 1024 * 1024;

    static GeneratorSettings parse(Section g) {
      return new GeneratorSettings(
          g.range("intervalMs", 0, 86_400_000),
          g.range("maxBacklog", 1, 1_000_000_000),
          (int) g.range("batchSize", 1, 100_000),
          (int) g.range("packSize", 1, 1_000),
          (int) g.range("maxInFlight", 1, 64),
          g.range("maxMessages", 0, Long.MAX_VALUE),
          PluginSettings.parse(g, "source"),
          g.range("timeoutMs", 10, 3_600_000),
          (int) g.range("maxMessageBytes", 1, MESSAGE_BYTES_LIMIT),
          g.range("failingAfterMs", 100, 86_400_000));
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("intervalMs", intervalMs)
          .put("maxBacklog", maxBacklog)
          .put("batchSize", batchSize)
          .put("packSize", packSize)
          .put("maxInFlight", maxInFlight)
          .put("maxMessages", maxMessages)
          .mergeIn(source.toJson("source"))
          .put("timeoutMs", timeoutMs)
          .put("maxMessageBytes", maxMessageBytes)
          .put("failingAfterMs", failingAfterMs);
    }
  }

  /**
   * {@code maxInFlight}: commits a handler may have outstanding while it reads the next batch.
   * {@code plugin} judges each message ({@code handler.type}; the built-in random judge flips a
   * coin with {@code errorProbability}); {@code processes} child processes for the command form.
   * Each attempt ends after {@code timeoutMs}; at most {@code concurrency} are outstanding; a
   * failed attempt is retried after an exponential backoff from {@code retryBackoffMs} up to {@code
   * retryBackoffMaxMs}, and the message is dead-lettered once attempt {@code maxDeliveries} failed.
   * On stop, attempts under way get {@code stopGraceMs} to finish.
   */
  public record HandlerSettings(
      double errorProbability,
      long reclaimIdleMs,
      int maxDeliveries,
      long blockMs,
      int batchSize,
      int maxInFlight,
      PluginSettings plugin,
      int processes,
      long timeoutMs,
      int concurrency,
      long retryBackoffMs,
      long retryBackoffMaxMs,
      long stopGraceMs,
      long failingAfterMs) {
    static HandlerSettings parse(Section h) {
      double errorProbability = h.decimal("errorProbability");
      if (!(errorProbability >= 0.0 && errorProbability <= 1.0)) {
        throw h.refuse("errorProbability", "must be within [0, 1], got " + errorProbability);
      }
      long retryBackoffMs = h.range("retryBackoffMs", 1, 3_600_000);
      long retryBackoffMaxMs = h.range("retryBackoffMaxMs", 1, 86_400_000);
      if (retryBackoffMaxMs < retryBackoffMs) {
        throw h.refuse(
            "retryBackoffMaxMs",
            "must be at least handler.retryBackoffMs ("
                + retryBackoffMs
                + "), got "
                + retryBackoffMaxMs);
      }
      return new HandlerSettings(
          errorProbability,
          h.range("reclaimIdleMs", 1, 86_400_000),
          (int) h.range("maxDeliveries", 1, 1_000_000),
          h.range("blockMs", 1, 600_000),
          (int) h.range("batchSize", 1, 100_000),
          (int) h.range("maxInFlight", 1, 64),
          PluginSettings.parse(h, "type"),
          (int) h.range("processes", 1, 256),
          h.range("timeoutMs", 10, 86_400_000),
          (int) h.range("concurrency", 1, 10_000),
          retryBackoffMs,
          retryBackoffMaxMs,
          h.range("stopGraceMs", 0, 600_000),
          h.range("failingAfterMs", 100, 86_400_000));
    }

    JsonObject toJson() {
      return new JsonObject()
          .mergeIn(plugin.toJson("type"))
          .put("errorProbability", errorProbability)
          .put("processes", processes)
          .put("timeoutMs", timeoutMs)
          .put("concurrency", concurrency)
          .put("retryBackoffMs", retryBackoffMs)
          .put("retryBackoffMaxMs", retryBackoffMaxMs)
          .put("stopGraceMs", stopGraceMs)
          .put("failingAfterMs", failingAfterMs)
          .put("reclaimIdleMs", reclaimIdleMs)
          .put("maxDeliveries", maxDeliveries)
          .put("blockMs", blockMs)
          .put("batchSize", batchSize)
          .put("maxInFlight", maxInFlight);
    }
  }

  public record HeartbeatSettings(long intervalMs, long timeoutMs) {
    static HeartbeatSettings parse(Section hb) {
      long interval = hb.range("intervalMs", 10, 3_600_000);
      long timeout = hb.range("timeoutMs", 1, 86_400_000);
      if (timeout < 2 * interval) {
        throw hb.refuse(
            "timeoutMs",
            "must be at least 2 × heartbeat.intervalMs (" + 2 * interval + "), got " + timeout);
      }
      return new HeartbeatSettings(interval, timeout);
    }

    JsonObject toJson() {
      return new JsonObject().put("intervalMs", intervalMs).put("timeoutMs", timeoutMs);
    }
  }

  /**
   * {@code host} is the bind address; {@code advertise} the host others reach the node by (in
   * /status and the page), never empty: the setting, else {@code host}, else (bound to a wildcard)
   * this machine's hostname. {@code token}: null when state-changing requests need no bearer token.
   * The rest bounds what clients can make the node hold: open connections, how long a connection
   * may sit idle or take to deliver a request, requests in progress, and stored errors read for
   * answers per second.
   */
  public record HttpSettings(
      String host,
      int port,
      String token,
      String advertise,
      int maxConnections,
      long idleTimeoutMs,
      long requestTimeoutMs,
      int maxRequests,
      long readBudget) {
    static HttpSettings parse(Section ht) {
      String host = ht.string("host");
      if (host.isBlank()) {
        throw ht.refuse("host", "must not be empty");
      }
      if (!RedisUrl.validHost(host)) {
        throw ht.refuse(
            "host", "must be a host name or an IP address to listen on, got '" + host + "'");
      }
      return new HttpSettings(
          host,
          (int) ht.range("port", 0, 65_535),
          ht.secret("token", "tokenFile"),
          advertised(ht.string("advertise"), host),
          (int) ht.range("maxConnections", 1, 1_000_000),
          ht.range("idleTimeoutMs", 100, 86_400_000),
          ht.range("requestTimeoutMs", 100, 3_600_000),
          (int) ht.range("maxRequests", 1, 1_000_000),
          ht.range("readBudget", 1, 100_000_000));
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("host", host)
          .put("port", port)
          // the default as "", as in conf/node.json (the same configuration either way)
          .put("advertise", advertise.equals(advertised("", host)) ? "" : advertise)
          .put("token", token == null ? "" : Secrets.MASK)
          .put("tokenFile", "")
          .put("maxConnections", maxConnections)
          .put("idleTimeoutMs", idleTimeoutMs)
          .put("requestTimeoutMs", requestTimeoutMs)
          .put("maxRequests", maxRequests)
          .put("readBudget", readBudget);
    }

    /** The node's address as others should use it, with the port actually bound. */
    public String address(int boundPort) {
      return "http://"
          + (advertise.contains(":") ? "[" + advertise + "]" : advertise)
          + ":"
          + boundPort;
    }

    @Override
    public String toString() {
      return "HttpSettings[host="
          + host
          + ", port="
          + port
          + ", advertise="
          + advertise
          + ", token="
          + (token == null ? "none" : Secrets.MASK)
          + ", maxConnections="
          + maxConnections
          + ", idleTimeoutMs="
          + idleTimeoutMs
          + ", requestTimeoutMs="
          + requestTimeoutMs
          + ", maxRequests="
          + maxRequests
          + ", readBudget="
          + readBudget
          + "]";
    }
  }

  /** Log line format. */
  public enum LogFormat {
    TEXT,
    JSON
  }

  public record LogSettings(LogFormat format) {
    static LogSettings parse(Section l) {
      return new LogSettings(l.choice("format", LogFormat.class));
    }

    JsonObject toJson() {
      return new JsonObject().put("format", format.name().toLowerCase(Locale.ROOT));
    }
  }

  /** When enabled, the publish, commit and drain scripts record every message id in a ledger. */
  public record AuditSettings(boolean enabled) {
    static AuditSettings parse(Section a) {
      return new AuditSettings(a.bool("enabled"));
    }

    JsonObject toJson() {
      return new JsonObject().put("enabled", enabled);
    }
  }

  /**
   * Presence ("last will"): with {@code enabled}, the node holds a subscription that Redis drops
   * the moment its process dies, and the watcher polls every {@code watchMs} for a vanished
   * generator or work left on a vanished handler. Disabled: the lease and the idle reclaim alone.
   */
  public record PresenceSettings(boolean enabled, long watchMs) {
    static PresenceSettings parse(Section p, ElectionSettings election) {
      long watchMs = p.range("watchMs", 10, 60_000);
      if (watchMs >= election.leaseMs()) {
        throw p.refuse(
            "watchMs",
            "must be below election.leaseMs (" + election.leaseMs() + "), got " + watchMs);
      }
      return new PresenceSettings(p.bool("enabled"), watchMs);
    }

    JsonObject toJson() {
      return new JsonObject().put("enabled", enabled).put("watchMs", watchMs);
    }
  }

  /**
   * Validates a merged configuration (see {@link ConfigLoader#merge}): each section parses itself.
   */
  public static NodeConfig fromJson(JsonObject json) {
    String nodeId = json.getString("nodeId");
    if (nodeId == null || nodeId.isEmpty()) {
      nodeId = randomNodeId();
    } else if (!NODE_ID.matcher(nodeId).matches()) {
      throw new ConfigException(
          "nodeId: must be 1-64 characters of A-Z a-z 0-9 . _ -, got '" + nodeId + "'");
    }
    RedisSettings redis = RedisSettings.parse(Section.of(json, "redis"));
    ElectionSettings election = ElectionSettings.parse(Section.of(json, "election"));
    return new NodeConfig(
        nodeId,
        redis,
        election,
        GeneratorSettings.parse(Section.of(json, "generator")),
        HandlerSettings.parse(Section.of(json, "handler")),
        HeartbeatSettings.parse(Section.of(json, "heartbeat")),
        HttpSettings.parse(Section.of(json, "http")),
        LogSettings.parse(Section.of(json, "log")),
        AuditSettings.parse(Section.of(json, "audit")),
        PresenceSettings.parse(Section.of(json, "presence"), election));
  }

  /**
   * The configuration as JSON, in the shape of conf/node.json, with secrets masked: passwords and
   * the token read from files are shown in {@code password}/{@code token}, as {@value
   * Secrets#MASK}.
   */
  public JsonObject toJson() {
    return new JsonObject()
        .put("nodeId", nodeId)
        .put("redis", redis.toJson())
        .put("election", election.toJson())
        .put("generator", generator.toJson())
        .put("handler", handler.toJson())
        .put("heartbeat", heartbeat.toJson())
        .put("http", http.toJson())
        .put("log", log.toJson())
        .put("audit", audit.toJson())
        .put("presence", presence.toJson());
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
        throw new ConfigException(
            "http.advertise: http.host is "
                + host
                + " and this machine's hostname does not "
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
      throw new ConfigException(
          "http.advertise: must be a host name or an IP address (no scheme, no port), got '"
              + given
              + "'");
    }
    if (isWildcard(bare)) {
      throw new ConfigException(
          "http.advertise: must be an address others can connect to, not the wildcard '"
              + given
              + "'");
    }
    return bare;
  }

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0")
        || host.equals("::")
        || host.equals("[::]")
        || host.equals("0:0:0:0:0:0:0:0");
  }

  /** Parsing an address that contains ':' is a literal's parse only: no name lookup. */
  private static boolean isIpLiteral(String s) {
    try {
      return InetAddress.getByName(s) instanceof Inet6Address;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
