package dev.baton.dashboard;

import dev.baton.cluster.ClusterView;
import dev.baton.cluster.PageHistory;
import dev.baton.common.Clock;
import dev.baton.config.Secrets;
import dev.baton.errors.ErrorEntry;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.state.Component;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import dev.baton.state.Role;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The live cluster page: {@code GET /} and {@code /assets/*} (plain files from the jar's {@code
 * webroot}) and {@code GET /events}, a Server-Sent Events stream of cluster snapshots every {@link
 * #PUSH_INTERVAL_MS}. Redis is polled only while a page is open, one poll at a time; each snapshot
 * is encoded once and written to every open page, and a page whose connection cannot keep up skips
 * snapshots instead of queueing them. When Redis fails, the pages are told so (with the reason and
 * the leader this node saw last) at the same pace. The charts' last minute comes from the node's
 * {@link PageHistory}, which the heartbeat's health probe keeps whether or not a page is open, so a
 * page opened at any time draws full charts at once; each poll adds its own point. All other state
 * lives on the HTTP verticle's context (a worker: one task at a time).
 */
public final class Dashboard {
  public static final long PUSH_INTERVAL_MS = 500;
  static final int MAX_PAGES = 64;
  private static final int GRANTS_SHOWN = 20;
  private static final int ERRORS_SHOWN = 5;
  private static final String PAGE_POLICY =
      "default-src 'self'; img-src 'self' data:; "
          + "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final Vertx vertx;
  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final Supplier<JsonObject> leaderSeen;
  private final Set<HttpServerResponse> pages = new LinkedHashSet<>();
  private String lastEvent;
  private boolean polling;
  private long timer = -1;
  private boolean closed;

  /**
   * @param leaderSeen the leader this node's election saw last, shown while Redis is down
   */
  public Dashboard(Vertx vertx, RedisOps redis, NodeContext node, Supplier<JsonObject> leaderSeen) {
    this.vertx = vertx;
    this.redis = redis;
    this.keys = node.keys();
    this.state = node.state();
    this.leaderSeen = leaderSeen;
  }

  /** Adds the page, its assets and the event stream to {@code router}. */
  public Dashboard mount(Router router) {
    read(router, "/")
        .handler(Dashboard::pageHeaders)
        .handler(StaticHandler.create("webroot").setCachingEnabled(false));
    read(router, "/assets/*")
        .handler(Dashboard::pageHeaders)
        .handler(
            StaticHandler.create("webroot/assets")
                .setCachingEnabled(false)
                .setDirectoryListing(false));
    read(router, "/events").handler(this::subscribe);
    return this;
  }

  private static Route read(Router router, String path) {
    return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }

  /** Ends every open stream (the pages reconnect to whichever node serves them next). */
  public void close() {
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    new ArrayList<>(pages)
        .forEach(
            p -> {
              if (!p.closed() && !p.ended()) {
                p.end();
              }
            });
    pages.clear();
  }

  /** Open event streams (for tests). */
  int openStreams() {
    return pages.size();
  }

  private static void pageHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("content-security-policy", PAGE_POLICY)
        .putHeader("x-content-type-options", "nosniff")
        .putHeader("referrer-policy", "no-referrer");
    ctx.next();
  }

  private void subscribe(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    if (ctx.request().method() == HttpMethod.HEAD) {
      // what a GET would start with, without opening a stream
      response
          .putHeader("content-type", "text/event-stream; charset=utf-8")
          .putHeader("cache-control", "no-store")
          .end();
      return;
    }
    if (closed || pages.size() >= MAX_PAGES) {
      response
          .setStatusCode(503)
          .putHeader("content-type", "application/json")
          .end(
              new JsonObject()
                  .put("error", "too many open dashboards on this node (" + MAX_PAGES + ")")
                  .put("status", 503)
                  .encode());
      return;
    }
    response
        .setChunked(true)
        .putHeader("content-type", "text/event-stream; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .putHeader("x-accel-buffering", "no");
    // the browser waits this long before it reconnects a dropped stream by itself
    response.write("retry: 1000\n\n");
    pages.add(response);
    response.closeHandler(v -> pages.remove(response));
    response.exceptionHandler(e -> pages.remove(response));
    if (!polling) {
      poll();
    } else if (lastEvent != null) {
      response.write(lastEvent);
    }
  }

  private void poll() {
    timer = -1;
    if (closed || pages.isEmpty()) {
      polling = false;
      return;
    }
    polling = true;
    long startedAt = Clock.monotonicMs();
    snapshot()
        .recover(e -> Future.succeededFuture(redisFailed(e)))
        .onSuccess(
            event -> {
              lastEvent = "data: " + event.encode() + "\n\n";
              pages.removeIf(HttpServerResponse::closed);
              for (HttpServerResponse page : pages) {
                if (!page.writeQueueFull()) {
                  page.write(lastEvent);
                }
              }
              if (closed || pages.isEmpty()) {
                polling = false;
              } else {
                timer =
                    vertx.setTimer(
                        Math.max(1, startedAt + PUSH_INTERVAL_MS - Clock.monotonicMs()),
                        id -> poll());
              }
            });
  }

  private Future<JsonObject> snapshot() {
    Future<ClusterView> view = ClusterView.fetch(redis, keys);
    Future<Response> grants =
        optional(
            Request.cmd(Command.XREVRANGE)
                .arg(keys.grants())
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(GRANTS_SHOWN));
    Future<Response> errorCount = optional(Request.cmd(Command.XLEN).arg(keys.errors()));
    Future<Response> latestErrors =
        optional(
            Request.cmd(Command.XREVRANGE)
                .arg(keys.errors())
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(ERRORS_SHOWN));
    return Future.all(view, grants, errorCount, latestErrors)
        .map(
            all -> {
              state.redis().succeeded(Component.DASHBOARD);
              return clusterEvent(
                  view.result(), grants.result(), errorCount.result(), latestErrors.result());
            });
  }

  /** A read whose key holds something unexpected yields null instead of failing the snapshot. */
  private Future<Response> optional(Request request) {
    return redis
        .send(request)
        .recover(e -> RedisOps.isErrorReply(e) ? Future.succeededFuture() : Future.failedFuture(e));
  }

  private JsonObject clusterEvent(
      ClusterView view, Response grants, Response errorCount, Response latestErrors) {
    long now = view.serverTimeMs();
    PageHistory history = state.pageHistory();
    history.add(
        now,
        view.totals().getLong("published", 0L),
        view.totals().getLong("processed", 0L),
        view.backlog());
    PageHistory.Point rates = history.latest();

    List<JsonObject> nodes = new ArrayList<>();
    view.members().forEach(m -> nodes.add((JsonObject) m));
    nodes.sort(Comparator.comparing(n -> n.getString("nodeId")));

    JsonArray grantList = new JsonArray();
    for (Replies.Entry e : Replies.entries(grants)) {
      grantList.add(
          new JsonObject()
              .put("epoch", Replies.parseLong(e.fields().get("epoch"), 0))
              .put("node", e.fields().get("node"))
              .put("ts", Replies.parseLong(e.fields().get("ts"), 0)));
    }
    JsonArray latest = new JsonArray();
    if (latestErrors != null) {
      for (Response entry : latestErrors) {
        latest.add(ErrorEntry.of(entry).toJson());
      }
    }
    return base()
        .put("redis", "up")
        .put("serverTimeMs", now)
        .put(
            "leader",
            view.leader() == null ? null : view.leaderJson().put("ttlMs", view.leaderTtlMs()))
        .put("epoch", view.epoch())
        .put("nodes", new JsonArray(new ArrayList<>(nodes)))
        .put("backlog", view.backlogJson())
        .put("totals", view.totals())
        .put(
            "rates",
            new JsonObject()
                .put("publishedPerSec", rates.publishedPerSec())
                .put("processedPerSec", rates.processedPerSec()))
        .put("grants", grantList)
        .put(
            "errors",
            new JsonObject()
                .put("count", errorCount == null ? null : Replies.toLong(errorCount, 0))
                .put("latest", latest))
        .put("history", history.toJson());
  }

  private JsonObject redisFailed(Throwable e) {
    state.redis().failed(Component.DASHBOARD, e);
    return base()
        .put("redis", RedisOps.isErrorReply(e) ? "error" : "down")
        .put("redisProblem", Secrets.mask(String.valueOf(e.getMessage())))
        .put("leaderSeen", leaderSeen.get())
        .put("history", state.pageHistory().toJson());
  }

  private JsonObject base() {
    return new JsonObject()
        .put(
            "node",
            new JsonObject()
                .put("nodeId", state.nodeId())
                .put("role", state.role().role().label())
                .put("epoch", state.role().role() == Role.GENERATOR ? state.role().epoch() : null)
                .put("http", state.httpAddress())
                .put("plugins", state.plugins().toJson()))
        .put("pushIntervalMs", PUSH_INTERVAL_MS);
  }
}
