package dev.baton.http;

import dev.baton.config.ConfigException;
import dev.baton.config.HttpSettings;
import dev.baton.dashboard.Dashboard;
import dev.baton.metrics.NodeMetrics;
import dev.baton.redis.RedisOps;
import dev.baton.state.NodeContext;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.BindException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP API: {@code GET /errors}, {@code POST /errors/drain}, {@code GET /status}, {@code
 * GET /health}, {@code GET /latency} and {@code GET /metrics}, plus the live cluster page ({@link
 * Dashboard}, {@code GET /}); every GET resource answers HEAD too. Bad input gets a 400 with a JSON
 * body naming the parameter (before Redis is asked), unknown paths a 404, a method the path does
 * not take a 405 with {@code Allow}, a Redis outage or a Redis refusal a 503 that says which; a 500
 * means a bug. With {@code http.token} set, every request that is not a read needs the bearer token
 * (401 otherwise); bodies over {@link #MAX_BODY_BYTES} get a 413.
 *
 * <p>What a client can make the node hold is bounded ({@link HttpBudget}, {@code http.*}): open
 * connections, idle and slow connections, requests in progress, stored errors read a second. Past a
 * bound the answer is an immediate 503 with {@code Retry-After}, or for a connection, closing it.
 * The verticle runs as a worker verticle (see {@link #deploymentOptions()}) with a Redis client of
 * its own, so none of this work runs on an event loop or waits in the election's pool.
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);
  private static final int MAX_QUERY_CHARS = 4_096;

  /** No endpoint takes a body yet; this bounds what a client can make the node read. */
  static final long MAX_BODY_BYTES = 64 * 1024;

  private static final String GET_HEAD = "GET, HEAD";

  private final HttpSettings settings;
  private final RedisOps redis;
  private final NodeContext node;
  private final NodeMetrics metrics;
  private final Supplier<JsonObject> leaderSeen;
  private final HttpBudget budget;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicLong refusedConnections = new AtomicLong();
  private final Map<HttpConnection, ConnectionGuard> guards = new IdentityHashMap<>();
  private HttpServer server;
  private Dashboard dashboard;

  /**
   * @param leaderSeen the leader this node's election saw last, for when Redis is down
   */
  public HttpVerticle(
      HttpSettings settings,
      RedisOps redis,
      NodeContext node,
      NodeMetrics metrics,
      Supplier<JsonObject> leaderSeen) {
    this.settings = settings;
    this.redis = redis;
    this.node = node;
    this.metrics = metrics;
    this.leaderSeen = leaderSeen;
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
    Router router = router();
    return vertx
        .createHttpServer(serverOptions())
        .connectionHandler(this::connected)
        .requestHandler(router)
        .listen(settings.port(), settings.host())
        .recover(e -> Future.failedFuture(listenFailure(e)))
        .onSuccess(this::listening);
  }

  /** Admission and authentication first, then the resources, then the JSON error answers. */
  private Router router() {
    Router router = Router.router(vertx);
    router.route().handler(this::admit);
    router.route().handler(this::limitQuery);
    router.route().handler(new BearerAuth(settings.token()));
    router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    new ErrorsResource(vertx, settings, redis, node, budget).mount(router);
    new StatusResource(redis, node, metrics, leaderSeen).mount(router);
    dashboard = new Dashboard(vertx, redis, node, leaderSeen).mount(router);
    answerErrors(router);
    return router;
  }

  /** Every status the router fails a request with gets a JSON body saying why. */
  private void answerErrors(Router router) {
    router.errorHandler(
        404, ctx -> Answers.error(ctx, 404, "no such resource: " + ctx.request().path()));
    router.errorHandler(
        405,
        ctx -> {
          ctx.response().putHeader(HttpHeaders.ALLOW, allowed(ctx.request().path()));
          Answers.error(ctx, 405, "method " + ctx.request().method() + " not allowed here");
        });
    router.errorHandler(400, ctx -> Answers.error(ctx, 400, "bad request"));
    router.errorHandler(
        413,
        ctx -> {
          // the rest of the body is not read: the connection cannot carry another request
          if (!ctx.response().headWritten()) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
          }
          Answers.error(ctx, 413, "request body larger than " + MAX_BODY_BYTES + " bytes");
        });
    // the body handler fails the request with status 200 when reading the body failed otherwise (a
    // malformed chunk, the client went away): answer it, and keep Vert.x from logging a stack trace
    // per hostile request
    router.errorHandler(
        200,
        ctx -> {
          if (!(ctx.failure() instanceof HttpClosedException) && !ctx.response().headWritten()) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            Answers.error(ctx, 400, "malformed request body");
          }
        });
    router.errorHandler(500, this::handlerFailed);
  }

  /** A route failed the request: a 500, unless its client went away (then only a debug line). */
  private void handlerFailed(RoutingContext ctx) {
    if (clientWentAway(ctx)) {
      // a client that closes its connection before the answer is written (curl … | head, a page
      // closed mid-download) is normal client behaviour, not an error of the node
      LOG.atDebug()
          .addKeyValue("node", node.nodeId())
          .log(
              "client went away before the answer to {} {} was written: {}",
              ctx.request().method(),
              ctx.request().path(),
              String.valueOf(ctx.failure()));
      return;
    }
    LOG.atError()
        .addKeyValue("node", node.nodeId())
        .setCause(ctx.failure())
        .log("HTTP handler failed");
    Answers.error(ctx, 500, "internal error");
  }

  private HttpServerOptions serverOptions() {
    // long request lines reach the router, which answers 400 in JSON instead of Netty's bare 414
    return new HttpServerOptions()
        .setMaxInitialLineLength(64 * 1024)
        .setMaxHeaderSize(64 * 1024)
        .setHttp2ClearTextEnabled(false)
        // a form body is decoded as it streams in; past these it would be a 400 before the body
        // handler's byte count makes it the 413 it is
        .setMaxFormAttributeSize((int) (2 * MAX_BODY_BYTES))
        .setMaxFormBufferedBytes((int) (2 * MAX_BODY_BYTES))
        .setMaxFormFields((int) MAX_BODY_BYTES)
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, settings.idleTimeoutMs()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /** Keeps the bound server and advertises its address. */
  private void listening(HttpServer s) {
    server = s;
    node.state().httpAddress(settings.address(s.actualPort()));
    LOG.atInfo()
        .addKeyValue("node", node.nodeId())
        .log(
            "HTTP on {}:{}, advertised as {}",
            settings.host(),
            s.actualPort(),
            node.state().httpAddress());
  }

  @Override
  public Future<?> stop() {
    if (dashboard != null) {
      dashboard.close();
    }
    guards.values().forEach(ConnectionGuard::cancel);
    return server == null ? Future.succeededFuture() : server.close();
  }

  /**
   * Whether a request failed because its client closed the connection: the response's connection is
   * closed, or the failure (or a cause) is a closed channel, a reset or a broken pipe.
   */
  static boolean clientWentAway(RoutingContext ctx) {
    if (ctx.response().closed()) {
      return true;
    }
    for (Throwable e = ctx.failure(); e != null; e = e.getCause()) {
      String m = String.valueOf(e.getMessage());
      if (e instanceof ClosedChannelException
          || e instanceof HttpClosedException
          || m.contains("Connection was closed")
          || m.contains("Connection reset")
          || m.contains("Broken pipe")) {
        return true;
      }
      if (e.getCause() == e) {
        break;
      }
    }
    return false;
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
      return new ConfigException(
          "http.host: '" + settings.host() + "' is not an address of this machine", e);
    }
    if (e instanceof SocketException && m.contains("ermission")) {
      return new ConfigException(
          "http.port: not allowed to listen on " + where + " (" + m + ")", e);
    }
    return new ConfigException(
        "http.host, http.port: cannot listen on " + where + " (" + m + ")", e);
  }

  /** Routes GET and HEAD of {@code path} alike (a HEAD answer is the GET's without its body). */
  static Route read(Router router, String path) {
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
    connection.closeHandler(
        v -> {
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
      timer =
          vertx.setTimer(
              settings.requestTimeoutMs(),
              id -> {
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
   * by the dashboard itself) and {@code /health} (one PING, and what an orchestrator asks under
   * load) take none.
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
      Answers.shed(
          ctx,
          "too many requests in progress on this node (http.maxRequests "
              + settings.maxRequests()
              + ")");
      return;
    }
    ctx.addEndHandler(v -> budget.requestDone());
    ctx.next();
  }

  private void limitQuery(RoutingContext ctx) {
    String query = ctx.request().query();
    if (query != null && query.length() > MAX_QUERY_CHARS) {
      Answers.error(ctx, 400, "query string longer than " + MAX_QUERY_CHARS + " characters");
      return;
    }
    ctx.next();
  }
}
