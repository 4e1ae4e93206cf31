package dev.baton.config;

import io.netty.util.NetUtil;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A Redis URL split into the address the client may see and the credentials it must not: user and
 * password from {@code redis://user:pass@host} or from {@code ?user=&password=}. The bare URL keeps
 * the scheme, host, port and database. Every part is checked here, in the terms vertx-redis-client
 * reads it ({@code redis[s]://[user[:password]@]host[:port][/db][?db=&user=&password=]}, {@code
 * unix:///path[?db=...]}), so nothing the client would reject or misread at connect time passes.
 * {@code db} is -1 when the URL names none.
 */
public record RedisUrl(String bare, String scheme, String user, String password, int db) {
  private static final Pattern DIGITS = Pattern.compile("0|[1-9][0-9]{0,9}");
  private static final Pattern HOST_NAME =
      Pattern.compile(
          "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
  private static final List<String> PARAMETERS = List.of("db", "user", "password");

  /** What the query string gave: its user, password and database, and the part the URL keeps. */
  private record Query(String user, String password, String db, List<String> kept) {}

  /** Parses {@code url}; errors name {@code setting} and never repeat the credentials. */
  public static RedisUrl parse(String setting, String url) {
    URI uri = uri(setting, url);
    String scheme = uri.getScheme();
    // the same precedence as vertx-redis-client: user info first, then ?user= and ?password=
    Query query = query(setting, url, uri.getRawQuery());
    int db = db(setting, url, uri, query.db());
    String user = query.user();
    String password = query.password();
    String info = uri.getUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      if (colon < 0) {
        user = info.isEmpty() ? query.user() : info;
      } else {
        user = colon == 0 ? query.user() : info.substring(0, colon);
        password = info.substring(colon + 1);
      }
    }
    return new RedisUrl(
        bare(uri, query.kept()), scheme, emptyToNull(user), emptyToNull(password), db);
  }

  /** The URL as a URI whose scheme, address or socket path the client accepts. */
  private static URI uri(String setting, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new ConfigException(setting + ": not a URL: '" + redact(url) + "'");
    }
    String scheme = uri.getScheme();
    if (scheme == null
        || !(scheme.equals("redis") || scheme.equals("rediss") || scheme.equals("unix"))) {
      throw new ConfigException(
          setting + ": must start with redis://, rediss:// or unix://, got '" + redact(url) + "'");
    }
    if (uri.getRawFragment() != null) {
      throw new ConfigException(setting + ": must not have a #fragment: '" + redact(url) + "'");
    }
    if (!scheme.equals("unix")) {
      checkAddress(setting, url, uri);
    } else if (uri.getRawAuthority() != null
        || uri.getPath() == null
        || !uri.getPath().startsWith("/")
        || uri.getPath().length() < 2) {
      throw new ConfigException(
          setting
              + ": a unix:// URL is unix:///absolute/path/to/socket, got '"
              + redact(url)
              + "'");
    }
    return uri;
  }

  /** The parameters db, user and password, each at most once and with a value; no others. */
  private static Query query(String setting, String url, String query) {
    String queryUser = null;
    String queryPassword = null;
    String queryDb = null;
    List<String> kept = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    if (query == null) {
      return new Query(null, null, null, kept);
    }
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      checkParameter(setting, url, name, eq >= 0, seen);
      seen.add(name);
      String value;
      try {
        value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            setting + ": parameter '" + name + "' is not percent-encoded properly");
      }
      if (name.equals("password")) {
        queryPassword = value;
      } else if (name.equals("user")) {
        queryUser = value;
      } else {
        queryDb = value;
        kept.add(pair);
      }
    }
    return new Query(queryUser, queryPassword, queryDb, kept);
  }

  private static void checkParameter(
      String setting, String url, String name, boolean hasValue, List<String> seen) {
    if (!PARAMETERS.contains(name)) {
      throw new ConfigException(
          setting
              + ": unknown parameter '"
              + name
              + "' (the client reads db, user and "
              + "password): '"
              + redact(url)
              + "'");
    }
    if (!hasValue) {
      throw new ConfigException(
          setting + ": parameter '" + name + "' has no value: '" + redact(url) + "'");
    }
    if (seen.contains(name)) {
      throw new ConfigException(
          setting + ": parameter '" + name + "' given twice: '" + redact(url) + "'");
    }
  }

  /** The database from the path or {@code ?db=} (not both), or -1 when the URL names none. */
  private static int db(String setting, String url, URI uri, String queryDb) {
    String pathDb =
        uri.getScheme().equals("unix") || uri.getPath() == null || uri.getPath().length() <= 1
            ? null
            : uri.getPath().substring(1);
    if (pathDb != null && queryDb != null) {
      throw new ConfigException(
          setting + ": names the database twice (path and ?db=): '" + redact(url) + "'");
    }
    String dbText = pathDb != null ? pathDb : queryDb;
    if (dbText == null) {
      return -1;
    }
    if (!DIGITS.matcher(dbText).matches() || Long.parseLong(dbText) > Integer.MAX_VALUE) {
      throw new ConfigException(
          setting
              + ": the database must be a number from 0 to "
              + Integer.MAX_VALUE
              + ", got '"
              + dbText
              + "'");
    }
    return Integer.parseInt(dbText);
  }

  /** The URL without credentials: scheme, address or socket path, database. */
  private static String bare(URI uri, List<String> kept) {
    String scheme = uri.getScheme();
    StringBuilder bare = new StringBuilder(scheme).append("://");
    if (scheme.equals("unix")) {
      bare.append(uri.getRawPath() == null ? "" : uri.getRawPath());
    } else {
      bare.append(uri.getRawAuthority().substring(uri.getRawAuthority().indexOf('@') + 1));
      if (uri.getRawPath() != null) {
        bare.append(uri.getRawPath());
      }
    }
    if (!kept.isEmpty()) {
      bare.append('?').append(String.join("&", kept));
    }
    return bare.toString();
  }

  /**
   * Whether {@code host} is a host name, an IPv4 address or an IPv6 address (bare, as for a bind
   * address).
   */
  public static boolean validHost(String host) {
    return HOST_NAME.matcher(host).matches()
        || (!host.startsWith("[") && NetUtil.isValidIpV6Address(host));
  }

  /**
   * Host (a name, an IPv4 address or a bracketed IPv6 one) and port (1-65535, or none for 6379).
   */
  private static void checkAddress(String setting, String url, URI uri) {
    String authority = uri.getRawAuthority();
    if (authority == null || authority.isEmpty()) {
      throw new ConfigException(setting + ": has no host: '" + redact(url) + "'");
    }
    String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      // java.net.URI gives up on the server part: say which part is wrong
      int colon = hostPort.lastIndexOf(':');
      boolean bracketed = hostPort.startsWith("[");
      String host =
          colon > 0 && (!bracketed || hostPort.lastIndexOf(']') < colon)
              ? hostPort.substring(0, colon)
              : hostPort;
      String port = host.equals(hostPort) ? null : hostPort.substring(colon + 1);
      if (host.isEmpty()) {
        throw new ConfigException(setting + ": has no host: '" + redact(url) + "'");
      }
      if (port != null && !host.isEmpty() && (bracketed || HOST_NAME.matcher(host).matches())) {
        throw new ConfigException(
            setting + ": port must be a number from 1 to 65535, got '" + port + "'");
      }
      throw new ConfigException(setting + ": '" + host + "' is not a host name or an IP address");
    }
    if (hostPort.endsWith(":")) {
      throw new ConfigException(setting + ": port is empty: '" + redact(url) + "'");
    }
    int port = uri.getPort();
    if (port != -1 && (port < 1 || port > 65_535)) {
      throw new ConfigException(setting + ": port must be a number from 1 to 65535, got " + port);
    }
    String host = uri.getHost();
    if (!host.startsWith("[") && !HOST_NAME.matcher(host).matches()) {
      throw new ConfigException(setting + ": '" + host + "' is not a host name or an IP address");
    }
  }

  /** The URL with its credentials replaced by {@code ***}; for anything printed. */
  public static String redact(String url) {
    if (url == null) {
      return null;
    }
    String out = url.replaceAll("(?<=://)[^/@?#]*@", Secrets.MASK + "@");
    out = out.replaceAll("(?i)([?&](password|user)=)[^&#]*", "$1" + Secrets.MASK);
    return Secrets.mask(out);
  }

  @Override
  public String toString() {
    return bare;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
