package dev.baton.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where Redis is and how to log in. {@code endpoints} carry no credentials (they are in {@code
 * user}/{@code password}, whatever way they were given), so a client's error message quoting an
 * endpoint cannot print them. {@code url} is the setting as given: print it only through {@link
 * RedisUrl#redact}. {@code acceptEvictionDataLoss} lets a node start under a maxmemory-policy that
 * can evict Baton's keys; {@code dataLostHoldMs} is how long /health stays degraded after Redis
 * lost Baton's data or evicted keys.
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

  private static final Pattern KEY_PREFIX = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  static RedisSettings parse(Section r) {
    RedisType type = r.choice("type", RedisType.class);
    String url = r.string("url");
    RedisUrl main = RedisUrl.parse("redis.url", url);
    List<RedisUrl> endpoints = endpoints(r, type, main);
    Credentials login = credentials(r, endpoints);
    String user = login.user();
    String password = login.password();
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

  /** Who logs in to Redis. */
  private record Credentials(String user, String password) {}

  /**
   * From redis.user/password/passwordFile or inside the URLs, never both ways; the same in every
   * endpoint.
   */
  private static Credentials credentials(Section r, List<RedisUrl> endpoints) {
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
    return new Credentials(user, password);
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
        .put("endpoints", type == RedisType.STANDALONE ? new JsonArray() : new JsonArray(endpoints))
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
