package dev.baton.http;

import dev.baton.config.ConfigException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.ext.web.Route;
import java.net.BindException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
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
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
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
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP API: {@code GET /errors}, {@code POST /errors/drain}, {@code GET /status},
 * {@code GET /health}, {@code GET /latency} and {@code GET /metrics}, plus the live cluster page
 * ({@link Dashboard}, {@code GET /}); every GET resource answers HEAD too. Bad input gets a 400 with
 * a JSON body naming the parameter (before Redis is asked), unknown paths a 404, a method the path
 * does not take a 405 with {@code Allow}, a Redis outage or a Redis refusal a 503 that says which;
 * a 500 means a bug. With {@code http.token} set, every request that is not a read needs the bearer
 * token (401 otherwise); bodies over {@link #MAX_BODY_BYTES} get a 413.
 *
 * <p>What a client can make the node hold is bounded ({@link HttpBudget}, {@code http.*}): open
 * connections, idle and slow connections, requests in progress, stored errors read a second. Past a
 * bound the answer is an immediate 503 with {@code Retry-After}, or for a connection, closing it.
 * The verticle runs as a worker verticle (see {@link #deploymentOptions()}) with a Redis
 * client of its own, so none of this work runs on an event loop or waits in the election's pool.
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);
  private static final String BEARER = "Bearer ";
  private static final String JSON = "application/json";
  private static final int MAX_QUERY_CHARS = 4_096;
  /** No endpoint takes a body yet; this bounds what a client can make the node read. */
  static final long MAX_BODY_BYTES = 64 * 1024;
  /** Seconds a shed client is asked to wait before it tries again. */
  static final String RETRY_AFTER_S = "1";
  /** Plain decimal digits, no sign, no spaces, no leading zero. */
  private static final Pattern WHOLE_NUMBER = Pattern.compile("0|[1-9][0-9]{0,17}");
  private static final String GET_HEAD = "GET, HEAD";

  private final HttpSettings settings;
  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final NodeMetrics metrics;
  private final Supplier<JsonObject> leaderSeen;
  private final ErrorStore store;
  private final boolean audit;
  private final byte[] tokenDigest;
  private final HttpBudget budget;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicLong refusedConnections = new AtomicLong();
  private final Map<HttpConnection, ConnectionGuard> guards = new IdentityHashMap<>();
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
    this.budget = new HttpBudget(settings.maxRequests(), settings.readBudget());
  }

  /**
   * Deploy as a worker verticle: building pages, encoding JSON and rendering metrics then never run
   * on an event loop, where they would delay the lease's timers and replies. Vert.x runs a worker
   * verticle instance's tasks one at a time, on its worker pool.
   */
  public static DeploymentOptions deploymentOptions() {
    return new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER);
  }

  /** Connections open now. */
  public int connections() {
    return connections.get();
  }

  /** Connections closed at once because {@code http.maxConnections} were open. */
  public long refusedConnections() {
    return refusedConnections.get();
  }

  /** Requests refused because the node was busy (for tests and figures). */
  public long shed() {
    return budget.shed();
  }

  /** The port actually bound (useful with {@code http.port} 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().handler(this::admit);
    router.route().handler(this::limitQuery);
    router.route().handler(this::authorize);
    router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    read(router, "/errors").handler(this::listErrors);
    router.post("/errors/drain").handler(this::drainErrors);
    read(router, "/status").handler(this::status);
    read(router, "/health").handler(this::health);
    read(router, "/latency").handler(this::latency);
    dashboard = new Dashboard(vertx, redis, keys, state, leaderSeen).mount(router);
    read(router, "/metrics").handler(this::metrics);
    router.errorHandler(404, ctx -> error(ctx, 404, "no such resource: " + ctx.request().path()));
    router.errorHandler(405, ctx -> {
      ctx.response().putHeader(HttpHeaders.ALLOW, allowed(ctx.request().path()));
      error(ctx, 405, "method " + ctx.request().method() + " not allowed here");
    });
    router.errorHandler(400, ctx -> error(ctx, 400, "bad request"));
    router.errorHandler(413, ctx -> {
      // the rest of the body is not read: the connection cannot carry another request
      if (!ctx.response().headWritten()) {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
      }
      error(ctx, 413, "request body larger than " + MAX_BODY_BYTES + " bytes");
    });
    // the body handler fails the request with status 200 when reading the body failed otherwise
    // (a malformed chunk, the client went away): answer it, and keep Vert.x from logging a stack trace
    // per hostile request
    router.errorHandler(200, ctx -> {
      if (!(ctx.failure() instanceof HttpClosedException) && !ctx.response().headWritten()) {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        error(ctx, 400, "malformed request body");
      }
    });
    router.errorHandler(500, ctx -> {
      LOG.atError().addKeyValue("node", state.nodeId()).setCause(ctx.failure()).log("HTTP handler failed");
      error(ctx, 500, "internal error");
    });
    // long request lines reach the router, which answers 400 in JSON instead of Netty's bare 414
    return vertx.createHttpServer(new HttpServerOptions()
            .setMaxInitialLineLength(64 * 1024).setMaxHeaderSize(64 * 1024).setHttp2ClearTextEnabled(false)
            // a form body is decoded as it streams in; past these it would be a 400 before the body
            // handler's byte count makes it the 413 it is
            .setMaxFormAttributeSize((int) (2 * MAX_BODY_BYTES)).setMaxFormBufferedBytes((int) (2 * MAX_BODY_BYTES))
            .setMaxFormFields((int) MAX_BODY_BYTES)
            .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, settings.idleTimeoutMs()))
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectionHandler(this::connected)
        .requestHandler(router)
        .listen(settings.port(), settings.host())
        .recover(e -> Future.failedFuture(listenFailure(e)))
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
    guards.values().forEach(ConnectionGuard::cancel);
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** Why the server could not listen, in terms of the setting to change. */
  private ConfigException listenFailure(Throwable e) {
    String m = String.valueOf(e.getMessage());
    String where = settings.host() + ":" + settings.port();
    if (e instanceof BindException && m.contains("in use")) {
      return new ConfigException("http.port: " + where + " is in use by another process", e);
    }
    if (e instanceof UnknownHostException || m.contains("resolve")) {
      return new ConfigException("http.host: cannot resolve '" + settings.host() + "'", e);
    }
    if (e instanceof BindException && m.contains("assign")) {
      return new ConfigException("http.host: '" + settings.host()
          + "' is not an address of this machine", e);
    }
    if (e instanceof SocketException && m.contains("ermission")) {
      return new ConfigException("http.port: not allowed to listen on " + where + " (" + m + ")", e);
    }
    return new ConfigException("http.host, http.port: cannot listen on " + where + " (" + m + ")", e);
  }

  /** Routes GET and HEAD of {@code path} alike (a HEAD answer is the GET's without its body). */
  private static Route read(Router router, String path) {
    return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }

  private static String allowed(String path) {
    return "/errors/drain".equals(path) ? "POST" : GET_HEAD;
  }

  /**
   * Past {@code http.maxConnections} a new connection is closed at once; every other one must
   * deliver each request within {@code http.requestTimeoutMs} (see {@link ConnectionGuard}).
   */
  private void connected(HttpConnection connection) {
    if (connections.incrementAndGet() > settings.maxConnections()) {
      connections.decrementAndGet();
      refusedConnections.incrementAndGet();
      connection.close();
      return;
    }
    ConnectionGuard guard = new ConnectionGuard(connection);
    guards.put(connection, guard);
    connection.closeHandler(v -> {
      connections.decrementAndGet();
      guard.cancel();
      guards.remove(connection);
    });
    guard.arm();
  }

  /**
   * Closes its connection unless a request's line and headers arrived within {@code
   * http.requestTimeoutMs} of the connection opening or of the previous answer: a client that
   * trickles its headers (slowloris), or holds a kept-alive connection without asking, loses it.
   */
  private final class ConnectionGuard {
    private final HttpConnection connection;
    private int inProgress;
    private long timer = -1;

    ConnectionGuard(HttpConnection connection) {
      this.connection = connection;
    }

    void arm() {
      cancel();
      timer = vertx.setTimer(settings.requestTimeoutMs(), id -> {
        timer = -1;
        if (inProgress == 0) {
          connection.close();
        }
      });
    }

    void requestStarted() {
      inProgress++;
      cancel();
    }

    void requestEnded() {
      if (--inProgress == 0) {
        arm();
      }
    }

    void cancel() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }

  /**
   * Tracks the request on its connection and takes a request slot; the page's event stream (capped
   * by the dashboard itself) and {@code /health} (one PING, and what an orchestrator asks under load)
   * take none.
   */
  private void admit(RoutingContext ctx) {
    ConnectionGuard guard = guards.get(ctx.request().connection());
    if (guard != null) {
      guard.requestStarted();
      ctx.addEndHandler(v -> guard.requestEnded());
    }
    String path = ctx.request().path();
    if ("/events".equals(path) || "/health".equals(path)) {
      ctx.next();
      return;
    }
    if (!budget.admitRequest()) {
      shed(ctx, "too many requests in progress on this node (http.maxRequests " + settings.maxRequests() + ")");
      return;
    }
    ctx.addEndHandler(v -> budget.requestDone());
    ctx.next();
  }

  /** A quick 503 that tells the client when to come back, instead of a place in a queue. */
  private static void shed(RoutingContext ctx, String why) {
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_S);
    error(ctx, 503, "busy: " + why + "; retry after " + RETRY_AFTER_S + " s");
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
    if (!budget.admitRead(limit)) {
      shed(ctx, "this node reads at most http.readBudget (" + settings.readBudget() + ") stored errors a second");
      return;
    }
    store.page(cursor, limit)
        .andThen(ar -> budget.refund(ar.succeeded() ? limit - ar.result().errors().size() : limit))
        .onSuccess(page -> {
          JsonArray errors = new JsonArray();
          page.errors().forEach(e -> errors.add(e.toJson()));
          json(ctx, 200, new JsonObject().put("errors", errors).put("count", errors.size()).put("next", page.next()));
        })
        .onFailure(e -> redisFailed(ctx, e));
  }

  /** Streams {@code {"drained": [...], "count": n}} in chunks, deleting each batch once written. */
  private void drainErrors(RoutingContext ctx) {
    if (!budget.admitRead(Drainer.DEFAULT_BATCH)) {
      shed(ctx, "this node reads at most http.readBudget (" + settings.readBudget() + ") stored errors a second");
      return;
    }
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
        .andThen(ar -> budget.refund(ar.succeeded() ? Math.max(0, Drainer.DEFAULT_BATCH - ar.result().delivered())
            : Drainer.DEFAULT_BATCH))
        .onSuccess(result -> {
          String head = first[0] ? "{\"drained\":[" : "";
          response.end(head + "],\"count\":" + result.delivered() + ",\"heldByOtherRuns\":"
              + result.heldByOthers() + "}");
        })
        .onFailure(e -> {
          if (first[0] && !response.headWritten()) {
            redisFailed(ctx, e);
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
    ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    int n = h.encodeIntoCompressedByteBuffer(buf);
    json(ctx, 200, latencySummary(h).put("histogram",
        Base64.getEncoder().encodeToString(Arrays.copyOf(buf.array(), n))));
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
    Map<String, String> refusing = new TreeMap<>(state.redis().refusing());
    Map<String, String> stalled = state.redis().stalled();
    if (!refusing.isEmpty()) {
      body.put("refusals", new JsonObject(new LinkedHashMap<>(refusing)));
    }
    if (!stalled.isEmpty()) {
      body.put("stalled", new JsonObject(new LinkedHashMap<>(stalled)));
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
    String raw = values.get(0);
    if (!WHOLE_NUMBER.matcher(raw).matches()) {
      error(ctx, 400, "parameter '" + name + "' must be a whole number from " + min + " to " + max
          + " in plain digits (no sign, spaces or leading zeros)");
      return null;
    }
    long value = Long.parseLong(raw);
    if (value < min || value > max) {
      error(ctx, 400, "parameter '" + name + "' must be from " + min + " to " + max + ", got " + value);
      return null;
    }
    return (int) value;
  }

  /**
   * A failed Redis call, told apart: this node's own pool was full (shed), Redis answered with an
   * error reply (a refusal: WRONGTYPE, OOM, ERR...), or Redis could not be reached in time (an
   * outage). All are 503 with Retry-After: none is the client's fault, and each may clear.
   */
  private static void redisFailed(RoutingContext ctx, Throwable e) {
    if (e instanceof ConnectionPoolTooBusyException) {
      shed(ctx, "this node's Redis connections are all in use");
      return;
    }
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_S);
    if (RedisOps.isErrorReply(e)) {
      error(ctx, 503, "Redis refuses: " + Secrets.mask(e.getMessage()));
    } else {
      error(ctx, 503, "Redis is unavailable: " + Secrets.mask(e.getMessage()));
    }
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
