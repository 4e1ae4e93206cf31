package dev.baton.config;

import io.vertx.core.json.JsonObject;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * {@code host} is the bind address; {@code advertise} the host others reach the node by (in /status
 * and the page), never empty: the setting, else {@code host}, else (bound to a wildcard) this
 * machine's hostname. {@code token}: null when state-changing requests need no bearer token. The
 * rest bounds what clients can make the node hold: open connections, how long a connection may sit
 * idle or take to deliver a request, requests in progress, and stored errors read for answers per
 * second.
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
  private static final Pattern ADVERTISED_NAME =
      Pattern.compile(
          "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

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

  /** The settings with the token masked. */
  @Override
  public String toString() {
    return Secrets.maskedString(this, "token");
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
