package dev.baton.http;

import dev.baton.cluster.ClusterView;
import dev.baton.config.Secrets;
import dev.baton.metrics.NodeMetrics;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.state.Component;
import dev.baton.state.Counters;
import dev.baton.state.Degradations;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import dev.baton.state.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.Histogram;

/**
 * What the node and the cluster look like: {@code GET /status}, {@code GET /health}, {@code GET
 * /latency} and {@code GET /metrics} (Prometheus). Each reports its Redis outcome as its own
 * component, so its refusals end when it succeeds again.
 */
final class StatusResource {
  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final NodeMetrics metrics;
  private final Supplier<JsonObject> leaderSeen;

  StatusResource(
      RedisOps redis, NodeContext node, NodeMetrics metrics, Supplier<JsonObject> leaderSeen) {
    this.redis = redis;
    this.keys = node.keys();
    this.state = node.state();
    this.metrics = metrics;
    this.leaderSeen = leaderSeen;
  }

  void mount(Router router) {
    HttpVerticle.read(router, "/status").handler(this::status);
    HttpVerticle.read(router, "/health").handler(this::health);
    HttpVerticle.read(router, "/latency").handler(this::latency);
    HttpVerticle.read(router, "/metrics").handler(this::metrics);
  }

  private void status(RoutingContext ctx) {
    JsonObject body = statusBody();
    ClusterView.fetch(redis, keys)
        .onSuccess(
            view -> {
              state.redis().succeeded(Component.STATUS);
              body.put("redis", "up")
                  .put("leader", view.leaderJson())
                  .put("backlog", view.backlogJson())
                  .put("cluster", view.totals())
                  .put("nodes", view.members());
              Answers.json(ctx, 200, body);
            })
        .onFailure(
            e -> {
              // what /status reports, the node knows and logs (once), even between its own Redis
              // calls; but not a timeout: HTTP reads queue behind each other within the read
              // budget, so under a flood theirs measures the flood, not Redis (the node's own
              // calls, the heartbeat's at least once a second, judge that)
              reportFailure(Component.STATUS, e);
              body.put("redis", RedisOps.isErrorReply(e) ? "error" : "down")
                  .put("redisProblem", Secrets.mask(e.getMessage()))
                  .put("leader", leaderSeen.get())
                  .put("nodes", new JsonArray());
              Answers.json(ctx, 200, body);
            });
  }

  /**
   * What /status answers from the node's own state, before the cluster view read from Redis is
   * added: its role, counters, latencies and plug-ins, and what is wrong or paused now.
   */
  private JsonObject statusBody() {
    Counters c = state.counters();
    JsonObject body =
        new JsonObject()
            .put("nodeId", state.nodeId())
            .put("role", state.role().role().label())
            .put("epoch", state.role().role() == Role.GENERATOR ? state.role().epoch() : null)
            .put("watcher", state.role().watcher())
            .put(
                "counters",
                new JsonObject()
                    .put("published", c.published.get())
                    .put("processed", c.processed.get())
                    .put("errors", c.errors.get())
                    .put("reclaimed", c.reclaimed.get())
                    .put("deadLettered", c.deadLettered.get())
                    .put("skipped", c.skipped.get()));
    body.put("latencyMs", latencySummary(state.counters().latencyMs()));
    body.put("plugins", state.plugins().toJson());
    JsonObject refusal = state.redis().recentRefusal();
    if (refusal != null) {
      body.put("redisRefusal", refusal);
    }
    Map<String, String> degraded = state.degradations().active();
    if (!degraded.isEmpty()) {
      body.put("degraded", new JsonObject(new LinkedHashMap<>(degraded)));
    }
    if (state.role().role() == Role.GENERATOR) {
      body.put(
          "publishing",
          new JsonObject()
              .put("paused", state.publishing().paused())
              .put("backlog", state.publishing().backlog()));
    }
    return body;
  }

  /** A failed HTTP read, told to the node's Redis health unless it only waited too long. */
  private void reportFailure(Component component, Throwable e) {
    if (!RedisOps.isTimeout(e)) {
      state.redis().failed(component, e);
    }
  }

  /**
   * The node's publish-to-commit latency histogram, encoded so histograms of nodes merge exactly.
   */
  private void latency(RoutingContext ctx) {
    Histogram h = state.counters().latencyMs().copy();
    ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    int n = h.encodeIntoCompressedByteBuffer(buf);
    Answers.json(
        ctx,
        200,
        latencySummary(h)
            .put("histogram", Base64.getEncoder().encodeToString(Arrays.copyOf(buf.array(), n))));
  }

  static JsonObject latencySummary(AbstractHistogram h) {
    return new JsonObject()
        .put("count", h.getTotalCount())
        .put("p50", h.getValueAtPercentile(50))
        .put("p99", h.getValueAtPercentile(99))
        .put("max", h.getMaxValue());
  }

  /** Prometheus text; the backlog is read from Redis first, so it is as fresh as the scrape. */
  private void metrics(RoutingContext ctx) {
    ClusterView.fetch(redis, keys)
        .onSuccess(
            view -> {
              state.redis().succeeded(Component.METRICS);
              metrics.backlog(view.backlog(), view.streamLength(), view.pending());
            })
        .onFailure(
            e -> {
              reportFailure(Component.METRICS, e);
              metrics.backlog(-1, -1, -1);
            })
        .onComplete(
            ar -> {
              if (!ctx.response().ended() && !ctx.response().closed()) {
                ctx.response()
                    .putHeader("content-type", NodeMetrics.CONTENT_TYPE)
                    .end(metrics.scrape());
              }
            });
  }

  /**
   * 200 {@code ok}, else 503 with the worst of: {@code unreachable} (Redis does not answer), {@code
   * refusing} (Redis answers this node's commands with error replies: OOM, WRONGTYPE…, in the last
   * {@link RedisHealth#REFUSING_WINDOW_MS}), {@code starting} (role not settled), {@code stalled}
   * (the cluster does not do its work: see {@code heartbeat.StallDetector}) and {@code degraded}
   * (the node works, but something it relies on is missing or was lost: see {@link Degradations}).
   *
   * <p>Answers from what the node knows, without a Redis call of its own: every component reports
   * each Redis call's outcome to {@link RedisHealth} (the heartbeat at least once per {@code
   * heartbeat.intervalMs}), so a PING here would add nothing but a place in a queue: under a flood
   * of reads it waited behind them and said "Redis does not answer" of a Redis that answered.
   */
  private void health(RoutingContext ctx) {
    health(ctx, state.redis().up() ? null : state.redis().problem());
  }

  private void health(RoutingContext ctx, String unreachable) {
    JsonObject body = new JsonObject().put("role", state.role().role().label());
    Map<String, String> refusing = new TreeMap<>(state.redis().refusing());
    Map<String, String> stalled = state.redis().stalled();
    Map<String, String> degraded = state.degradations().active();
    if (!degraded.isEmpty()) {
      body.put("degraded", new JsonObject(new LinkedHashMap<>(degraded)));
    }
    if (!refusing.isEmpty()) {
      body.put("refusals", new JsonObject(new LinkedHashMap<>(refusing)));
    }
    if (!stalled.isEmpty()) {
      body.put("stalled", new JsonObject(new LinkedHashMap<>(stalled)));
    }
    String status;
    String reason;
    if (unreachable != null) {
      status = "unreachable";
      reason = "Redis does not answer: " + Secrets.mask(unreachable);
    } else if (!refusing.isEmpty()) {
      status = "refusing";
      reason =
          "Redis refuses this node's commands: "
              + String.join(
                  "; ",
                  refusing.entrySet().stream().map(r -> r.getKey() + ": " + r.getValue()).toList());
    } else if (state.role().role() == Role.STARTING || state.role().switching()) {
      status = "starting";
      reason = "role not settled yet";
    } else if (!stalled.isEmpty()) {
      status = "stalled";
      reason = "the cluster is stalled: " + String.join("; ", stalled.values());
    } else if (!degraded.isEmpty()) {
      status = "degraded";
      reason = "degraded: " + String.join("; ", degraded.values());
    } else {
      Answers.json(ctx, 200, body.put("status", "ok"));
      return;
    }
    Answers.json(ctx, 503, body.put("status", status).put("reason", reason));
  }
}
