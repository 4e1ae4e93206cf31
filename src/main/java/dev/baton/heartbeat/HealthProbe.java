package dev.baton.heartbeat;

import dev.baton.cluster.PageHistory;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.state.Component;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import java.util.Map;
import org.slf4j.event.Level;

/**
 * Reads what tells whether the cluster works ({@link HealthScript}, read-only) and records the
 * stall reasons a {@link StallDetector} confirms in the node's state, where /health and the metrics
 * read them; the changes of each reason are logged once (see {@link dev.baton.logging.StateLog}).
 * The same read brings the cluster totals, which feed the live page's {@link PageHistory}, so the
 * node keeps the charts' last minute without a poll of its own. A failed read is recorded as any
 * Redis failure: unreachable, or refused.
 */
public final class HealthProbe {
  private static final Component COMPONENT = Component.HEALTH_PROBE;

  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final StallDetector detector;
  private final long heartbeatTimeoutMs;

  public HealthProbe(
      RedisOps redis, NodeContext node, StallDetector detector, long heartbeatTimeoutMs) {
    this.redis = redis;
    this.keys = node.keys();
    this.state = node.state();
    this.detector = detector;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
  }

  public Future<Void> run() {
    return redis
        .eval(HealthScript.SCRIPT, HealthScript.keys(keys), HealthScript.args(heartbeatTimeoutMs))
        .onSuccess(r -> HealthScript.record(r, state.pageHistory()))
        .map(HealthScript::snapshot)
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
}
