package dev.baton.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The bearer token check of every request that is not a read (none without {@code http.token}). */
final class BearerAuth implements Handler<RoutingContext> {
  private static final String BEARER = "Bearer ";
  private final byte[] tokenDigest;

  /**
   * @param token {@code http.token}, or null when state-changing requests need none
   */
  BearerAuth(String token) {
    this.tokenDigest = token == null ? null : sha256(token);
  }

  @Override
  public void handle(RoutingContext ctx) {
    authorize(ctx);
  }

  /**
   * With {@code http.token} set, anything but a read (GET, HEAD) needs {@code Authorization: Bearer
   * <token>}. Digests are compared, in constant time, so neither the token nor its length leaks
   * through timing.
   */
  private void authorize(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    if (tokenDigest == null || method == HttpMethod.GET || method == HttpMethod.HEAD) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String given =
        header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())
            ? header.substring(BEARER.length()).trim()
            : "";
    if (!MessageDigest.isEqual(tokenDigest, sha256(given))) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"baton\"");
      Answers.error(
          ctx,
          401,
          header == null
              ? "this request needs Authorization: Bearer <http.token>"
              : "the bearer token is not valid");
      return;
    }
    ctx.next();
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
