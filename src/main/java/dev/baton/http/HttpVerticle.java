package dev.baton.http;

import dev.baton.state.Counters;
import dev.baton.state.Role;
import dev.baton.state.NodeState;
import dev.baton.config.NodeConfig.HttpSettings;
import dev.baton.dashboard.Dashboard;
import dev.baton.config.Secrets;
import dev.baton.errors.Drainer;
import dev.baton.errors.ErrorEntry;
import dev.baton.errors.ErrorStore;
import dev.baton.cluster.ClusterView;
import dev.baton.metrics.NodeMetrics;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP API: {@code GET /errors}, {@code POST /errors/drain}, {@code GET /status},
 * {@code GET /health}, {@code GET /latency} and {@code GET /metrics}, plus the live cluster page
 * ({@link Dashboard}, {@code GET /}). Bad input gets a 400 with a JSON body naming the parameter,
 * unknown paths a 404, and a Redis outage a 503; a 500 means a bug. With {@code http.token} set,
 * every request that is not a read needs the bearer token (401 otherwise); bodies over
 * {@link #MAX_BODY_BYTES} get a 413.
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);
  private static final String BEARER = "Bearer ";
  private static final String JSON = "application/json";
  private static final int MAX_QUERY_CHARS = 4_096;
  /** No endpoint takes a body yet; this bounds what a client can make the node read. */
  static final long MAX_BODY_BYTES = 64 * 1024;

  private final HttpSettings settings;
  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final NodeMetrics metrics;
  private final Supplier<JsonObject> leaderSeen;
  private final ErrorStore store;
  private final boolean audit;
  private final byte[] tokenDigest;
  private HttpServer server;
  private Dashboard dashboard;

  /** @param leaderSeen the leader this node's election saw last, for when Redis is down */
  public HttpVerticle(HttpSettings settings, RedisOps redis, Keys keys, NodeState state, NodeMetrics metrics,
      boolean audit, Supplier<JsonObject> leaderSeen) {
    this.audit = audit;
    this.settings = settings;
    this.redis = redis;
    this.keys = keys;
    this.state = state;
    this.metrics = metrics;
    this.leaderSeen = leaderSeen;
    this.store = new ErrorStore(redis, keys);
    this.tokenDigest = settings.token() == null ? null : sha256(settings.token());
  }

  /** The port actually bound (useful with {@code http.port} 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().handler(this::limitQuery);
    router.route().handler(this::authorize);
    router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    router.get("/errors").handler(this::listErrors);
    router.post("/errors/drain").handler(this::drainErrors);
    router.get("/status").handler(this::status);
    router.get("/health").handler(this::health);
    router.get("/latency").handler(this::latency);
    dashboard = new Dashboard(vertx, redis, keys, state, leaderSeen).mount(router);
    router.get("/metrics").handler(this::metrics);
    router.errorHandler(404, ctx -> error(ctx, 404, "no such resource: " + ctx.request().path()));
    router.errorHandler(405, ctx -> error(ctx, 405, "method " + ctx.request().method() + " not allowed here"));
    router.errorHandler(400, ctx -> error(ctx, 400, "bad request"));
    router.errorHandler(413, ctx -> error(ctx, 413, "request body larger than " + MAX_BODY_BYTES + " bytes"));
    router.errorHandler(500, ctx -> {
      LOG.atError().addKeyValue("node", state.nodeId()).setCause(ctx.failure()).log("HTTP handler failed");
      error(ctx, 500, "internal error");
    });
    // long request lines reach the router, which answers 400 in JSON instead of Netty's bare 414
    return vertx.createHttpServer(new HttpServerOptions()
            .setMaxInitialLineLength(64 * 1024).setMaxHeaderSize(64 * 1024).setHttp2ClearTextEnabled(false))
        .requestHandler(router)
        .listen(settings.port(), settings.host())
        .onSuccess(s -> {
          server = s;
          state.httpAddress(settings.address(s.actualPort()));
          LOG.atInfo().addKeyValue("node", state.nodeId()).log("HTTP on {}:{}, advertised as {}", settings.host(),
              s.actualPort(), state.httpAddress());
        });
  }

  @Override
  public Future<?> stop() {
    if (dashboard != null) {
      dashboard.close();
    }
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void limitQuery(RoutingContext ctx) {
    String query = ctx.request().query();
    if (query != null && query.length() > MAX_QUERY_CHARS) {
      error(ctx, 400, "query string longer than " + MAX_QUERY_CHARS + " characters");
      return;
    }
    ctx.next();
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
    String given = header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())
        ? header.substring(BEARER.length()).trim() : "";
    if (!MessageDigest.isEqual(tokenDigest, sha256(given))) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"baton\"");
      error(ctx, 401, header == null ? "this request needs Authorization: Bearer <http.token>"
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

  private void listErrors(RoutingContext ctx) {
    MultiMap params;
    try {
      params = ctx.queryParams();
    } catch (RuntimeException e) {
      error(ctx, 400, "malformed query string");
      return;
    }
    Integer limit = intParam(ctx, params, "limit", ErrorStore.DEFAULT_LIMIT, 1, ErrorStore.MAX_LIMIT);
    if (limit == null) {
      return;
    }
    List<String> cursors = params.getAll("cursor");
    if (cursors.size() > 1) {
      error(ctx, 400, "parameter 'cursor' given more than once");
      return;
    }
    String cursor = cursors.isEmpty() || cursors.get(0).isEmpty() ? null : cursors.get(0);
    if (cursor != null && !ErrorStore.validCursor(cursor)) {
      error(ctx, 400, "parameter 'cursor' must be a cursor returned as 'next' by this endpoint");
      return;
    }
    store.page(cursor, limit)
        .onSuccess(page -> {
          JsonArray errors = new JsonArray();
          page.errors().forEach(e -> errors.add(e.toJson()));
          json(ctx, 200, new JsonObject().put("errors", errors).put("count", errors.size()).put("next", page.next()));
        })
        .onFailure(e -> unavailable(ctx, e));
  }

  /** Streams {@code {"drained": [...], "count": n}} in chunks, deleting each batch once written. */
  private void drainErrors(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    response.setChunked(true).putHeader("content-type", JSON);
    boolean[] first = {true};
    Drainer drainer = new Drainer(vertx, redis, keys, audit);
    drainer.drain(batch -> {
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
        .onSuccess(result -> {
          String head = first[0] ? "{\"drained\":[" : "";
          response.end(head + "],\"count\":" + result.delivered() + ",\"heldByOtherRuns\":"
              + result.heldByOthers() + "}");
        })
        .onFailure(e -> {
          if (first[0] && !response.headWritten()) {
            unavailable(ctx, e);
          } else {
            // part of the body is out; what was not acknowledged stays stored for the next drain
            LOG.atWarn().addKeyValue("node", state.nodeId()).log("drain over HTTP stopped: {}", Secrets.mask(e.getMessage()));
            response.reset();
          }
        });
  }

  private void status(RoutingContext ctx) {
    Counters c = state.counters();
    JsonObject body = new JsonObject()
        .put("nodeId", state.nodeId())
        .put("role", state.roles().role().label())
        .put("epoch", state.roles().role() == Role.GENERATOR ? state.roles().epoch() : null)
        .put("watcher", state.roles().watcher())
        .put("counters", new JsonObject()
            .put("published", c.published.get())
            .put("processed", c.processed.get())
            .put("errors", c.errors.get())
            .put("reclaimed", c.reclaimed.get())
            .put("deadLettered", c.deadLettered.get())
            .put("skipped", c.skipped.get()));
    body.put("latencyMs", latencySummary(state.counters().latencyMs()));
    JsonObject refusal = state.redis().recentRefusal();
    if (refusal != null) {
      body.put("redisRefusal", refusal);
    }
    if (state.roles().role() == Role.GENERATOR) {
      body.put("publishing", new JsonObject().put("paused", state.publishing().paused()).put("backlog", state.publishing().backlog()));
    }
    ClusterView.fetch(redis, keys)
        .onSuccess(view -> {
          state.redis().succeeded("status");
          body.put("redis", "up")
              .put("leader", view.leader() == null ? null
                  : new JsonObject().put("nodeId", view.leader()).put("epoch", view.epoch()))
              .put("backlog", view.backlogJson())
              .put("cluster", view.totals())
              .put("nodes", view.members());
          json(ctx, 200, body);
        })
        .onFailure(e -> {
          // what /status reports, the node knows and logs (once), even between its own Redis calls
          state.redis().failed("status", e);
          body.put("redis", RedisOps.isErrorReply(e) ? "error" : "down")
              .put("redisProblem", Secrets.mask(e.getMessage()))
              .put("leader", leaderSeen.get())
              .put("nodes", new JsonArray());
          json(ctx, 200, body);
        });
  }

  /** The node's publish-to-commit latency histogram, encoded so histograms of nodes merge exactly. */
  private void latency(RoutingContext ctx) {
    org.HdrHistogram.Histogram h = state.counters().latencyMs().copy();
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    int n = h.encodeIntoCompressedByteBuffer(buf);
    json(ctx, 200, latencySummary(h).put("histogram",
        java.util.Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), n))));
  }

  static JsonObject latencySummary(org.HdrHistogram.AbstractHistogram h) {
    return new JsonObject().put("count", h.getTotalCount()).put("p50", h.getValueAtPercentile(50))
        .put("p99", h.getValueAtPercentile(99)).put("max", h.getMaxValue());
  }

  /** Prometheus text; the backlog is read from Redis first, so it is as fresh as the scrape. */
  private void metrics(RoutingContext ctx) {
    ClusterView.fetch(redis, keys)
        .onSuccess(view -> {
          state.redis().succeeded("metrics");
          metrics.backlog(view.backlog(), view.streamLength(), view.pending());
        })
        .onFailure(e -> {
          state.redis().failed("metrics", e);
          metrics.backlog(-1, -1, -1);
        })
        .onComplete(ar -> {
          if (!ctx.response().ended() && !ctx.response().closed()) {
            ctx.response().putHeader("content-type", NodeMetrics.CONTENT_TYPE).end(metrics.scrape());
          }
        });
  }

  /**
   * 200 {@code ok}, else 503 with the worst of: {@code unreachable} (Redis does not answer),
   * {@code refusing} (Redis answers this node's commands with error replies: OOM, WRONGTYPE…, in
   * the last {@link NodeState#REFUSING_WINDOW_MS}), {@code starting} (role not settled) and
   * {@code stalled} (the cluster does not do its work: see {@code heartbeat.StallDetector}).
   */
  private void health(RoutingContext ctx) {
    redis.send(Request.cmd(Command.PING))
        .onSuccess(pong -> {
          state.redis().succeeded("health");
          health(ctx, null);
        })
        .onFailure(e -> {
          state.redis().failed("health", e);
          health(ctx, e);
        });
  }

  private void health(RoutingContext ctx, Throwable pingFailed) {
    JsonObject body = new JsonObject().put("role", state.roles().role().label());
    java.util.Map<String, String> refusing = new java.util.TreeMap<>(state.redis().refusing());
    java.util.Map<String, String> stalled = state.redis().stalled();
    if (!refusing.isEmpty()) {
      body.put("refusals", new JsonObject(new java.util.LinkedHashMap<>(refusing)));
    }
    if (!stalled.isEmpty()) {
      body.put("stalled", new JsonObject(new java.util.LinkedHashMap<>(stalled)));
    }
    String status;
    String reason;
    if (pingFailed != null && !RedisOps.isErrorReply(pingFailed)) {
      status = "unreachable";
      reason = "Redis does not answer: " + Secrets.mask(pingFailed.getMessage());
    } else if (!refusing.isEmpty()) {
      status = "refusing";
      reason = "Redis refuses this node's commands: " + String.join("; ",
          refusing.entrySet().stream().map(r -> r.getKey() + ": " + r.getValue()).toList());
    } else if (state.roles().role() == Role.STARTING || state.roles().switching()) {
      status = "starting";
      reason = "role not settled yet";
    } else if (!stalled.isEmpty()) {
      status = "stalled";
      reason = "the cluster is stalled: " + String.join("; ", stalled.values());
    } else {
      json(ctx, 200, body.put("status", "ok"));
      return;
    }
    json(ctx, 503, body.put("status", status).put("reason", reason));
  }

  private Integer intParam(RoutingContext ctx, MultiMap params, String name, int fallback, int min, int max) {
    List<String> values = params.getAll(name);
    if (values.isEmpty()) {
      return fallback;
    }
    if (values.size() > 1) {
      error(ctx, 400, "parameter '" + name + "' given more than once");
      return null;
    }
    String raw = values.get(0).trim();
    long value;
    try {
      if (raw.isEmpty() || raw.length() > 12) {
        throw new NumberFormatException();
      }
      value = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      error(ctx, 400, "parameter '" + name + "' must be a whole number from " + min + " to " + max);
      return null;
    }
    if (value < min || value > max) {
      error(ctx, 400, "parameter '" + name + "' must be from " + min + " to " + max + ", got " + value);
      return null;
    }
    return (int) value;
  }

  private void unavailable(RoutingContext ctx, Throwable e) {
    error(ctx, 503, "Redis is unavailable: " + Secrets.mask(e.getMessage()));
  }

  private static void error(RoutingContext ctx, int status, String message) {
    json(ctx, status, new JsonObject().put("error", message).put("status", status));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("content-type", JSON).end(body.encode());
  }
}
