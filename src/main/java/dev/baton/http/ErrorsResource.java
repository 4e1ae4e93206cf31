package dev.baton.http;

import dev.baton.config.HttpSettings;
import dev.baton.config.Secrets;
import dev.baton.errors.Drainer;
import dev.baton.errors.ErrorEntry;
import dev.baton.errors.ErrorStore;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stored errors: {@code GET /errors} (a page, validated before Redis is asked) and {@code POST
 * /errors/drain} (streamed, each batch deleted once written), both within the read budget.
 */
final class ErrorsResource {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorsResource.class);

  /** Plain decimal digits, no sign, no spaces, no leading zero. */
  private static final Pattern WHOLE_NUMBER = Pattern.compile("0|[1-9][0-9]{0,17}");

  private final Vertx vertx;
  private final HttpSettings settings;
  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final HttpBudget budget;
  private final ErrorStore store;
  private final boolean audit;

  ErrorsResource(
      Vertx vertx, HttpSettings settings, RedisOps redis, NodeContext node, HttpBudget budget) {
    this.vertx = vertx;
    this.settings = settings;
    this.redis = redis;
    this.keys = node.keys();
    this.state = node.state();
    this.budget = budget;
    this.store = new ErrorStore(redis, keys);
    this.audit = node.audit();
  }

  void mount(Router router) {
    HttpVerticle.read(router, "/errors").handler(this::listErrors);
    router.post("/errors/drain").handler(this::drainErrors);
  }

  private void listErrors(RoutingContext ctx) {
    MultiMap params;
    try {
      params = ctx.queryParams();
    } catch (RuntimeException e) {
      Answers.error(ctx, 400, "malformed query string");
      return;
    }
    Integer limit =
        intParam(ctx, params, "limit", ErrorStore.DEFAULT_LIMIT, 1, ErrorStore.MAX_LIMIT);
    if (limit == null) {
      return;
    }
    List<String> cursors = params.getAll("cursor");
    if (cursors.size() > 1) {
      Answers.error(ctx, 400, "parameter 'cursor' given more than once");
      return;
    }
    String cursor = cursors.isEmpty() || cursors.get(0).isEmpty() ? null : cursors.get(0);
    if (cursor != null && !ErrorStore.validCursor(cursor)) {
      Answers.error(
          ctx, 400, "parameter 'cursor' must be a cursor returned as 'next' by this endpoint");
      return;
    }
    if (!budget.admitRead(limit)) {
      shedOverBudget(ctx);
      return;
    }
    store
        .page(cursor, limit)
        .andThen(ar -> budget.refund(ar.succeeded() ? limit - ar.result().errors().size() : limit))
        .onSuccess(
            page -> {
              JsonArray errors = new JsonArray();
              page.errors().forEach(e -> errors.add(e.toJson()));
              Answers.json(
                  ctx,
                  200,
                  new JsonObject()
                      .put("errors", errors)
                      .put("count", errors.size())
                      .put("next", page.next()));
            })
        .onFailure(e -> Answers.redisFailed(ctx, e));
  }

  /** Streams {@code {"drained": [...], "count": n}} in chunks, deleting each batch once written. */
  private void drainErrors(RoutingContext ctx) {
    if (!budget.admitRead(Drainer.DEFAULT_BATCH)) {
      shedOverBudget(ctx);
      return;
    }
    HttpServerResponse response = ctx.response();
    response.setChunked(true).putHeader("content-type", Answers.JSON);
    boolean[] first = {true};
    Drainer drainer = new Drainer(vertx, redis, keys, audit);
    drainer
        .drain(
            batch -> {
              if (response.closed()) {
                return Future.failedFuture("client went away");
              }
              StringBuilder sb = new StringBuilder();
              for (ErrorEntry e : batch) {
                sb.append(first[0] ? "{\"drained\":[" : ",").append(e.toJson().encode());
                first[0] = false;
              }
              return response.write(sb.toString());
            })
        .andThen(
            ar ->
                budget.refund(
                    ar.succeeded()
                        ? Math.max(0, Drainer.DEFAULT_BATCH - ar.result().delivered())
                        : Drainer.DEFAULT_BATCH))
        .onSuccess(
            result -> {
              String head = first[0] ? "{\"drained\":[" : "";
              response.end(
                  head
                      + "],\"count\":"
                      + result.delivered()
                      + ",\"heldByOtherRuns\":"
                      + result.heldByOthers()
                      + "}");
            })
        .onFailure(
            e -> {
              if (first[0] && !response.headWritten()) {
                Answers.redisFailed(ctx, e);
              } else {
                // part of the body is out; what was not acknowledged stays stored for the next
                // drain
                LOG.atWarn()
                    .addKeyValue("node", state.nodeId())
                    .log("drain over HTTP stopped: {}", Secrets.mask(e.getMessage()));
                response.reset();
              }
            });
  }

  private Integer intParam(
      RoutingContext ctx, MultiMap params, String name, int fallback, int min, int max) {
    List<String> values = params.getAll(name);
    if (values.isEmpty()) {
      return fallback;
    }
    if (values.size() > 1) {
      Answers.error(ctx, 400, "parameter '" + name + "' given more than once");
      return null;
    }
    String raw = values.get(0);
    if (!WHOLE_NUMBER.matcher(raw).matches()) {
      Answers.error(
          ctx,
          400,
          "parameter '"
              + name
              + "' must be a whole number from "
              + min
              + " to "
              + max
              + " in plain digits (no sign, spaces or leading zeros)");
      return null;
    }
    long value = Long.parseLong(raw);
    if (value < min || value > max) {
      Answers.error(
          ctx,
          400,
          "parameter '" + name + "' must be from " + min + " to " + max + ", got " + value);
      return null;
    }
    return (int) value;
  }

  private void shedOverBudget(RoutingContext ctx) {
    Answers.shed(
        ctx,
        "this node reads at most http.readBudget ("
            + settings.readBudget()
            + ") stored errors a second");
  }
}
