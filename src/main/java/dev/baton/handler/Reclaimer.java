package dev.baton.handler;

import dev.baton.common.Clock;
import dev.baton.config.HandlerSettings;
import dev.baton.config.HeartbeatSettings;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.state.Component;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Work left behind by other consumers: every {@code reclaimIdleMs / 2} it takes over entries left
 * pending past the idle threshold ({@code reclaim.lua}, a cursor pass at a time) and dead-letters
 * those delivered too often; when the presence watcher names consumers whose node vanished it
 * claims their entries at once ({@code claim.lua}); after a full pass, at most once per heartbeat
 * timeout, it removes the consumers of departed nodes ({@code reap.lua}), and it delivers the
 * entries the group skipped (behind its cursor, pending nowhere: {@code rescue.lua}). What it takes
 * it hands to the handler's commit. Its failures are reported as the "reclaim" component's, like
 * every other Redis failure. The scripts' keys, arguments and replies are typed in their own
 * classes ({@link ReclaimScript}, {@link ClaimScript}, {@link RescueScript}, {@link ReapScript}).
 */
final class Reclaimer {
  private static final Logger LOG = LoggerFactory.getLogger(Reclaimer.class);
  static final String CURSOR_START = "0-0";
  private static final Component COMPONENT = Component.RECLAIM;
  private static final String SKIPPED = "skipped";

  private final Vertx vertx;
  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final HandlerSettings settings;
  private final HeartbeatSettings heartbeat;
  private final boolean audit;
  private final BiFunction<List<Dispatcher.Delivered>, Boolean, Future<Void>> take;
  private final Runnable groupMissing;

  private boolean stopped;
  private long timer = -1;
  private String cursor = CURSOR_START;
  private long lastReapMs;
  private Future<?> running = Future.succeededFuture();

  /**
   * @param take takes entries this node claimed, marked reclaimed when taken from another consumer;
   *     its future completes when it has room for more
   * @param groupMissing called when a call finds the consumer group gone
   */
  Reclaimer(
      Vertx vertx,
      RedisOps redis,
      NodeContext node,
      HandlerSettings settings,
      HeartbeatSettings heartbeat,
      BiFunction<List<Dispatcher.Delivered>, Boolean, Future<Void>> take,
      Runnable groupMissing) {
    this.vertx = vertx;
    this.redis = redis;
    this.keys = node.keys();
    this.state = node.state();
    this.settings = settings;
    this.heartbeat = heartbeat;
    this.audit = node.audit();
    this.take = take;
    this.groupMissing = groupMissing;
    this.lastReapMs = Clock.monotonicMs();
  }

  void start() {
    schedule();
  }

  /** Stops the passes; the returned future completes when the one under way (if any) ended. */
  Future<?> stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    return running;
  }

  private void schedule() {
    if (!stopped) {
      timer = vertx.setTimer(Math.max(50, settings.reclaimIdleMs() / 2), id -> pass());
    }
  }

  private void pass() {
    timer = -1;
    if (stopped) {
      return;
    }
    running =
        reclaim(cursor)
            .compose(
                r -> {
                  cursor = r.cursor();
                  if (r.deadLettered() > 0) {
                    deadLettered(r.deadLettered());
                  }
                  if (!r.entries().isEmpty()) {
                    LOG.atInfo()
                        .addKeyValue("node", state.nodeId())
                        .log(
                            "reclaimed {} stream entries idle for over {} ms",
                            r.entries().size(),
                            settings.reclaimIdleMs());
                  }
                  return take.apply(r.entries(), true);
                })
            .compose(v -> reapIfDue())
            .compose(
                v ->
                    CURSOR_START.equals(cursor)
                        ? rescueSkipped(CURSOR_START, 0)
                        : Future.succeededFuture())
            .onComplete(
                ar -> {
                  if (ar.failed()) {
                    cursor = CURSOR_START;
                    reportFailure(ar.cause());
                  } else {
                    state.redis().succeeded(COMPONENT);
                  }
                  if (ar.succeeded() && !CURSOR_START.equals(cursor) && !stopped) {
                    timer = vertx.setTimer(1, id -> pass()); // more pending entries to scan
                  } else {
                    schedule();
                  }
                });
  }

  private void reportFailure(Throwable e) {
    if (RedisOps.isNoGroup(e)) {
      groupMissing.run();
    } else {
      state.redis().failed(COMPONENT, e);
    }
  }

  private void deadLettered(long messages) {
    state.counters().deadLettered.addAndGet(messages);
    LOG.atWarn()
        .addKeyValue("node", state.nodeId())
        .log(
            "dead-lettered {} messages delivered more than {} times",
            messages,
            settings.maxDeliveries());
  }

  private Future<Void> reapIfDue() {
    if (!CURSOR_START.equals(cursor) || Clock.monotonicMs() - lastReapMs < heartbeat.timeoutMs()) {
      return Future.succeededFuture();
    }
    lastReapMs = Clock.monotonicMs();
    return reap()
        .map(
            names -> {
              if (!names.isEmpty()) {
                LOG.atInfo()
                    .addKeyValue("node", state.nodeId())
                    .log("removed consumers of departed nodes: {}", names);
              }
              return null;
            });
  }

  /**
   * One pass over the stream up to the group's cursor, taking and committing the entries the group
   * skipped, a page at a time. A pass that finds some is logged, once per episode; their count goes
   * to {@code counters.skipped}.
   */
  private Future<Void> rescueSkipped(String from, long foundSoFar) {
    if (stopped) {
      return Future.succeededFuture();
    }
    return rescue(from)
        .compose(
            r -> {
              state.counters().skipped.addAndGet(r.messages());
              Future<Void> handled = take.apply(r.entries(), false);
              long found = foundSoFar + r.messages();
              if (!CURSOR_START.equals(r.cursor())) {
                return handled.compose(v -> rescueSkipped(r.cursor(), found));
              }
              if (found > 0) {
                state
                    .stateLog()
                    .on(
                        SKIPPED,
                        SKIPPED,
                        Level.WARN,
                        "found "
                            + found
                            + " messages behind the consumer group's cursor that were never delivered (was the cursor moved"
                            + " past them, e.g. XGROUP SETID?): delivering them now",
                        null);
              } else {
                state.stateLog().over(SKIPPED);
              }
              return handled;
            });
  }

  /**
   * Claims and commits the entries pending on {@code consumer}, whose node's presence vanished (the
   * script checks that again), one batch after another. Runs after any pass or claim already under
   * way, never beside it.
   */
  void claimAbsent(String consumer) {
    if (stopped || consumer.equals(state.nodeId())) {
      return;
    }
    running =
        running
            .transform(ar -> claimAll(consumer, 0))
            .onSuccess(v -> state.redis().succeeded(COMPONENT))
            .onFailure(this::reportFailure);
  }

  private Future<Void> claimAll(String consumer, long claimedSoFar) {
    if (stopped) {
      return Future.succeededFuture();
    }
    return claim(consumer)
        .compose(
            c -> {
              if (c.deadLettered() > 0) {
                deadLettered(c.deadLettered());
              }
              if (c.entries().isEmpty() && c.deadLettered() == 0) {
                if (claimedSoFar > 0) {
                  LOG.atInfo()
                      .addKeyValue("node", state.nodeId())
                      .log(
                          "claimed {} messages of {}, whose presence vanished",
                          claimedSoFar,
                          consumer);
                }
                return Future.succeededFuture();
              }
              return take.apply(c.entries(), true)
                  .compose(v -> claimAll(consumer, claimedSoFar + c.entries().size()));
            });
  }

  // ------------------------------------------------------------------ the scripts

  /** {@code reclaim.lua}: entries idle past {@code reclaimIdleMs}, from {@code from} on. */
  Future<ReclaimScript.Reclaimed> reclaim(String from) {
    return redis
        .eval(ReclaimScript.SCRIPT, ReclaimScript.keys(keys), reclaimArgs(from))
        .map(ReclaimScript::reply);
  }

  List<String> reclaimArgs(String from) {
    return ReclaimScript.args(
        state.nodeId(),
        settings.reclaimIdleMs(),
        from,
        settings.batchSize(),
        settings.maxDeliveries(),
        audit);
  }

  /** {@code claim.lua}: the next batch pending on {@code consumer}, if its presence vanished. */
  Future<ClaimScript.Claimed> claim(String consumer) {
    return redis
        .eval(ClaimScript.SCRIPT, ClaimScript.keys(keys), claimArgs(consumer))
        .map(ClaimScript::reply);
  }

  List<String> claimArgs(String consumer) {
    return ClaimScript.args(
        state.nodeId(), consumer, settings.batchSize(), settings.maxDeliveries(), audit);
  }

  /**
   * {@code rescue.lua}: the skipped entries of the next page from {@code from}, taken by this
   * consumer.
   */
  Future<RescueScript.Rescued> rescue(String from) {
    return redis
        .eval(RescueScript.SCRIPT, RescueScript.keys(keys), rescueArgs(from))
        .map(RescueScript::reply);
  }

  List<String> rescueArgs(String from) {
    return RescueScript.args(state.nodeId(), from, settings.batchSize());
  }

  /** {@code reap.lua}: removes idle consumers of departed nodes; the names removed. */
  Future<List<String>> reap() {
    return redis.eval(ReapScript.SCRIPT, ReapScript.keys(keys), reapArgs()).map(ReapScript::reply);
  }

  List<String> reapArgs() {
    return ReapScript.args(heartbeat.timeoutMs());
  }
}
