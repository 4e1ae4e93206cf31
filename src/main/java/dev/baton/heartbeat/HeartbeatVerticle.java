package dev.baton.heartbeat;

import dev.baton.bus.Addresses;
import dev.baton.bus.Events;
import dev.baton.cluster.RateWindow;
import dev.baton.common.Clock;
import dev.baton.config.HeartbeatSettings;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.state.Component;
import dev.baton.state.Degradations;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import org.slf4j.event.Level;

/**
 * Records this node in the cluster view every {@code heartbeat.intervalMs}, stamped with the Redis
 * server's clock so nodes with skewed clocks still agree on who is alive. Members silent for {@code
 * heartbeat.timeoutMs} are dropped by whichever node beats next. Each beat also carries the node's
 * counters and its processed and published rates (over the last few beats, by the node's own
 * monotonic clock), which the cluster view and the dashboard show per node. With presence on, each
 * beat's reply names the two watchers (see heartbeat.lua), and this node's election is told when it
 * becomes or stops being one of them. After each beat the node's {@link HealthProbe} looks for a
 * stalled cluster and its {@link RedisWatch} for a Redis that lost Baton's data or refuses what
 * Baton needs.
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
  private final RedisWatch watch;
  private boolean watcher;

  /**
   * @param probe run after every beat (the stall reasons /health reports), or null for none
   * @param watch run after every beat (Redis's policy, evictions, lost data, permissions), or null
   */
  public HeartbeatVerticle(
      HeartbeatSettings settings,
      boolean presence,
      RedisOps redis,
      NodeContext node,
      HealthProbe probe,
      RedisWatch watch) {
    this.settings = settings;
    this.probe = probe;
    this.watch = watch;
    this.presence = presence;
    this.redis = redis;
    this.keys = node.keys();
    this.state = node.state();
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
    // leave the view at once rather than after the timeout; best effort, all three at once so a
    // frozen Redis costs the stop one command deadline, not three
    return Future.join(
            redis.send(Request.cmd(Command.ZREM).arg(keys.heartbeats()).arg(state.nodeId())),
            redis.send(Request.cmd(Command.HDEL).arg(keys.nodes()).arg(state.nodeId())),
            redis.send(Request.cmd(Command.HDEL).arg(keys.presence()).arg(state.nodeId())))
        .otherwiseEmpty();
  }

  /**
   * One beat, then the node's probe and watch (none once it stops) and the plug-ins' judgement; the
   * next beat is due one interval after this one was sent, however long this one took.
   */
  private Future<Void> beat() {
    long sentAt = Clock.monotonicMs();
    JsonObject info = beatInfo(sentAt);
    return HeartbeatScript.beat(
            redis, keys, state.nodeId(), info, settings.timeoutMs(), presenceMode())
        .onSuccess(r -> beaten(r, sentAt))
        .onFailure(e -> state.redis().failed(Component.HEARTBEAT, e))
        .<Void>mapEmpty()
        .otherwiseEmpty()
        .compose(
            v ->
                probe == null || stopped
                    ? Future.<Void>succeededFuture()
                    : probe.run().otherwiseEmpty())
        .compose(
            v ->
                watch == null || stopped
                    ? Future.<Void>succeededFuture()
                    : watch.run().otherwiseEmpty())
        .onComplete(
            ar -> {
              judgePlugins();
              if (!stopped) {
                timer =
                    vertx.setTimer(
                        Math.max(1, sentAt + settings.intervalMs() - Clock.monotonicMs()),
                        id -> beat());
              }
            });
  }

  /**
   * What this beat records in the cluster view: the node's role, counters and rates, its plug-ins.
   * The counters read here also feed the rate windows, at {@code sentAt}.
   */
  private JsonObject beatInfo(long sentAt) {
    long processed = state.counters().processed.get();
    long published = state.counters().published.get();
    processedRate.add(sentAt, processed);
    publishedRate.add(sentAt, published);
    return new JsonObject()
        .put("role", state.role().role().label())
        .put("http", state.httpAddress())
        .put("epoch", state.role().epoch())
        .put("intervalMs", settings.intervalMs())
        .put("processed", processed)
        .put("published", published)
        .put("processedPerSec", processedRate.perSecondRounded())
        .put("publishedPerSec", publishedRate.perSecondRounded())
        .put("handler", state.plugins().handlerType())
        .put("source", state.plugins().sourceType());
  }

  private HeartbeatScript.Presence presenceMode() {
    return !presence
        ? HeartbeatScript.Presence.OFF
        : watcher ? HeartbeatScript.Presence.WATCHER : HeartbeatScript.Presence.ON;
  }

  /**
   * A beat Redis answered: its clock, the count of this node's presence subscribers, and whether
   * the heartbeats now name this node a watcher, which its election is told when that changes.
   */
  private void beaten(HeartbeatScript.Reply r, long sentAt) {
    state.redis().succeeded(Component.HEARTBEAT);
    state.redisClock().observe(r.serverMs(), sentAt);
    boolean named = presence && r.watches(state.nodeId());
    if (presence && r.ownSubscribers() > 0) {
      state.role().presenceSubscribers(r.ownSubscribers());
    }
    if (named != watcher) {
      watcher = named;
      state.role().watcher(named);
      Addresses.WATCHER.publish(vertx.eventBus(), state.nodeId(), new Events.Watcher(named));
    }
  }

  /**
   * A plug-in that failed every attempt (or tick) for a while keeps /health from ok: the node
   * works, its plug-in does not. Judged at every beat, whatever Redis does: it is the plug-in's
   * state.
   */
  private void judgePlugins() {
    judge(Degradations.HANDLER_FAILING, state.plugins().failing());
    judge(Degradations.SOURCE_FAILING, state.plugins().sourceFailing());
  }

  private void judge(String reason, String failing) {
    if (failing == null) {
      if (state.degradations().raised(reason)) {
        state.degradations().clear(reason);
        state.stateLog().over(reason);
      }
    } else {
      state.degradations().raise(reason, failing);
      state
          .stateLog()
          .on(
              reason,
              reason,
              Level.WARN,
              failing,
              "the plug-in succeeds again (" + reason + " over)");
    }
  }
}
