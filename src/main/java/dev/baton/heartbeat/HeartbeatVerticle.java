package dev.baton.heartbeat;

import dev.baton.bus.Addresses;
import dev.baton.cluster.RateWindow;
import dev.baton.common.Clock;
import dev.baton.config.NodeConfig.HeartbeatSettings;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

/**
 * Records this node in the cluster view every {@code heartbeat.intervalMs}, stamped with the Redis
 * server's clock so nodes with skewed clocks still agree on who is alive. Members silent for {@code
 * heartbeat.timeoutMs} are dropped by whichever node beats next. Each beat also carries the node's
 * counters and its processed and published rates (over the last few beats, by the node's own
 * monotonic clock), which the cluster view and the dashboard show per node. With presence on, each
 * beat's reply names the watcher (see heartbeat.lua), and this node's election is told when that
 * starts or stops being this node. After each beat the node's {@link HealthProbe} looks for a
 * stalled cluster.
 */
public final class HeartbeatVerticle extends VerticleBase {
  private final HeartbeatSettings settings;
  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private long timer = -1;
  private boolean stopped;
  private final RateWindow processedRate;
  private final RateWindow publishedRate;
  private final boolean presence;
  private final HealthProbe probe;
  private boolean watcher;

  /**
   * @param probe run after every beat (the stall reasons /health reports), or null for none
   */
  public HeartbeatVerticle(
      HeartbeatSettings settings,
      boolean presence,
      RedisOps redis,
      Keys keys,
      NodeState state,
      HealthProbe probe) {
    this.settings = settings;
    this.probe = probe;
    this.presence = presence;
    this.redis = redis;
    this.keys = keys;
    this.state = state;
    long windowMs = Math.max(5_000, 3 * settings.intervalMs());
    this.processedRate = new RateWindow(windowMs);
    this.publishedRate = new RateWindow(windowMs);
  }

  @Override
  public Future<?> start() {
    return beat();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    state.stateLog().flushEnded();
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    // leave the view at once rather than after the timeout; best effort
    return redis
        .send(Request.cmd(Command.ZREM).arg(keys.heartbeats()).arg(state.nodeId()))
        .compose(v -> redis.send(Request.cmd(Command.HDEL).arg(keys.nodes()).arg(state.nodeId())))
        .compose(
            v -> redis.send(Request.cmd(Command.HDEL).arg(keys.presence()).arg(state.nodeId())))
        .otherwiseEmpty();
  }

  private Future<Void> beat() {
    long sentAt = Clock.monotonicMs();
    long processed = state.counters().processed.get();
    long published = state.counters().published.get();
    processedRate.add(sentAt, processed);
    publishedRate.add(sentAt, published);
    JsonObject info =
        new JsonObject()
            .put("role", state.roles().role().label())
            .put("http", state.httpAddress())
            .put("epoch", state.roles().epoch())
            .put("intervalMs", settings.intervalMs())
            .put("processed", processed)
            .put("published", published)
            .put("processedPerSec", processedRate.perSecondRounded())
            .put("publishedPerSec", publishedRate.perSecondRounded());
    Heartbeats.Presence mode =
        !presence
            ? Heartbeats.Presence.OFF
            : watcher ? Heartbeats.Presence.WATCHER : Heartbeats.Presence.ON;
    return Heartbeats.beat(redis, keys, state.nodeId(), info, settings.timeoutMs(), mode)
        .onSuccess(
            r -> {
              state.redis().succeeded("heartbeat");
              boolean named = presence && state.nodeId().equals(r.watcher());
              if (presence && r.ownSubscribers() > 0) {
                state.roles().presenceSubscribers(r.ownSubscribers());
              }
              if (named != watcher) {
                watcher = named;
                state.roles().watcher(named);
                vertx
                    .eventBus()
                    .publish(
                        Addresses.of(Addresses.WATCHER, state.nodeId()),
                        new JsonObject().put("watcher", named));
              }
            })
        .onFailure(e -> state.redis().failed("heartbeat", e))
        .<Void>mapEmpty()
        .otherwiseEmpty()
        .compose(
            v ->
                probe == null || stopped
                    ? Future.<Void>succeededFuture()
                    : probe.run().otherwiseEmpty())
        .onComplete(
            ar -> {
              if (!stopped) {
                timer =
                    vertx.setTimer(
                        Math.max(1, sentAt + settings.intervalMs() - Clock.monotonicMs()),
                        id -> beat());
              }
            });
  }
}
