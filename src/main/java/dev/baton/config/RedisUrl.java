package dev.baton.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A Redis URL split into the address the client may see and the credentials it must not: user and
 * password from {@code redis://user:pass@host} or from {@code ?user=&password=}. The bare URL keeps
 * the scheme, host, port, database and any other parameter.
 */
public record RedisUrl(String bare, String scheme, String user, String password) {

  /** Parses {@code url}; errors name {@code setting} and never repeat the credentials. */
  public static RedisUrl parse(String setting, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new ConfigException(setting + ": not a URL: '" + redact(url) + "'");
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equals("redis") || scheme.equals("rediss") || scheme.equals("unix"))) {
      throw new ConfigException(setting + ": must start with redis://, rediss:// or unix://, got '" + redact(url) + "'");
    }
    if (!scheme.equals("unix") && (uri.getHost() == null || uri.getHost().isEmpty())) {
      throw new ConfigException(setting + ": has no host: '" + redact(url) + "'");
    }
    // the same precedence as vertx-redis-client: user info first, then ?user= and ?password=
    String queryUser = null;
    String queryPassword = null;
    List<String> kept = new ArrayList<>();
    String query = uri.getRawQuery();
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        if (name.equals("password")) {
          queryPassword = value;
        } else if (name.equals("user")) {
          queryUser = value;
        } else if (!pair.isEmpty()) {
          kept.add(pair);
        }
      }
    }
    String user = queryUser;
    String password = queryPassword;
    String info = uri.getUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      if (colon < 0) {
        user = info.isEmpty() ? queryUser : info;
      } else {
        user = colon == 0 ? queryUser : info.substring(0, colon);
        password = info.substring(colon + 1);
      }
    }
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
    return new RedisUrl(bare.toString(), scheme, emptyToNull(user), emptyToNull(password));
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
