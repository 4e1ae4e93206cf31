package dev.baton.http;

import dev.baton.config.Secrets;
import dev.baton.redis.RedisOps;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * How every resource answers: JSON bodies, errors as {@code {"error", "status"}}, and 503s that say
 * why.
 */
final class Answers {
  static final String JSON = "application/json";

  /** Seconds a shed client is asked to wait before it tries again. */
  static final String RETRY_AFTER_S = "1";

  private Answers() {}

  /** A quick 503 that tells the client when to come back, instead of a place in a queue. */
  static void shed(RoutingContext ctx, String why) {
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_S);
    Answers.error(ctx, 503, "busy: " + why + "; retry after " + RETRY_AFTER_S + " s");
  }

  /**
   * A failed Redis call, told apart: this node's own pool was full (shed), Redis answered with an
   * error reply (a refusal: WRONGTYPE, OOM, ERR...), or Redis could not be reached in time (an
   * outage). All are 503 with Retry-After: none is the client's fault, and each may clear.
   */
  static void redisFailed(RoutingContext ctx, Throwable e) {
    if (e instanceof ConnectionPoolTooBusyException) {
      Answers.shed(ctx, "this node's Redis connections are all in use");
      return;
    }
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_S);
    if (RedisOps.isErrorReply(e)) {
      Answers.error(ctx, 503, "Redis refuses: " + Secrets.mask(e.getMessage()));
    } else {
      Answers.error(ctx, 503, "Redis is unavailable: " + Secrets.mask(e.getMessage()));
    }
  }

  static void error(RoutingContext ctx, int status, String message) {
    Answers.json(ctx, status, new JsonObject().put("error", message).put("status", status));
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("content-type", JSON).end(body.encode());
  }
}
