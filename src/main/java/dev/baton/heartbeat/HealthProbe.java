package dev.baton.heartbeat;

import dev.baton.cluster.PageHistory;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.redis.Scripts;
import dev.baton.state.Component;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.Map;
import org.slf4j.event.Level;

/**
 * Reads what tells whether the cluster works (health.lua, read-only) and records the stall reasons
 * a {@link StallDetector} confirms in the node's state, where /health and the metrics read them;
 * the changes of each reason are logged once (see {@link dev.baton.logging.StateLog}). The same
 * read brings the cluster totals, which feed the live page's {@link PageHistory}, so the node keeps
 * the charts' last minute without a poll of its own. A failed read is recorded as any Redis
 * failure: unreachable, or refused.
 */
public final class HealthProbe {
  private static final Component COMPONENT = Component.HEALTH_PROBE;

  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final StallDetector detector;
  private final long heartbeatTimeoutMs;

  public HealthProbe(
      RedisOps redis, Keys keys, NodeState state, StallDetector detector, long heartbeatTimeoutMs) {
    this.redis = redis;
    this.keys = keys;
    this.state = state;
    this.detector = detector;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
  }

  public Future<Void> run() {
    return redis
        .eval(
            Scripts.HEALTH,
            List.of(keys.leader(), keys.heartbeats(), keys.nodes(), keys.messages(), keys.stats()),
            List.of(Keys.HANDLERS_GROUP, Long.toString(heartbeatTimeoutMs)))
        .onSuccess(r -> record(r, state.pageHistory()))
        .map(HealthProbe::parse)
        .onSuccess(
            snapshot -> {
              state.redis().succeeded(COMPONENT);
              Map<String, String> reasons = detector.observe(snapshot);
              for (String reason : StallDetector.REASONS) {
                String detail = reasons.get(reason);
                if (detail != null) {
                  state
                      .stateLog()
                      .on(
                          "stalled:" + reason,
                          reason,
                          Level.WARN,
                          "the cluster is stalled: " + detail,
                          "the cluster is no longer stalled (" + reason + ")");
                } else {
                  state.stateLog().over("stalled:" + reason);
                }
              }
              state.redis().stalled(reasons);
            })
        .onFailure(
            e -> {
              detector.reset(); // durations count between answers: an outage is not a stall
              state.redis().stalled(Map.of());
              state.redis().failed(COMPONENT, e);
            })
        .mapEmpty();
  }

  /**
   * Adds the reply's totals to the page's history: published and processed, and the backlog in
   * messages as /status counts it (the stream's entries at least: a pack holds many).
   */
  static void record(Response r, PageHistory history) {
    if (r.size() < 14) {
      return;
    }
    String streamType = Replies.str(r.get(6));
    if (!"stream".equals(streamType) && !"none".equals(streamType)) {
      return; // the messages key holds something else: no backlog the charts could show
    }
    long entries = r.get(7).toLong();
    long counted = Replies.parseLong(Replies.str(r.get(13)), 0);
    history.add(
        r.get(0).toLong(),
        Replies.parseLong(Replies.str(r.get(11)), 0),
        Replies.parseLong(Replies.str(r.get(12)), 0),
        entries == 0 ? 0 : Math.max(entries, counted));
  }

  static StallDetector.Snapshot parse(Response r) {
    return new StallDetector.Snapshot(
        r.get(0).toLong(),
        Replies.str(r.get(1)),
        Replies.str(r.get(2)),
        r.get(3).toLong(),
        r.get(4).toInteger(),
        r.get(5).toInteger(),
        Replies.str(r.get(6)),
        r.get(7).toLong(),
        Replies.str(r.get(8)),
        r.get(9).toLong() == 1,
        r.get(10).toLong());
  }
}
