package dev.baton.generator;

import dev.baton.NodeState;
import dev.baton.bus.Addresses;
import dev.baton.config.NodeConfig.GeneratorSettings;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one random message every {@code generator.intervalMs} under the epoch it was granted.
 * Every publish is fenced in Redis; the first refusal stops this verticle's publishing for good
 * and tells the election, which revokes. Publishing pauses while the backlog is at its bound.
 */
public final class GeneratorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GeneratorVerticle.class);

  private final GeneratorSettings settings;
  private final NodeState state;
  private final long epoch;
  private final Publisher publisher;
  private final RandomText text;

  private long seq = 1;
  private long nextDueMs;
  private long timer = -1;
  private boolean stopped;
  private boolean fenced;
  private boolean paused;
  private Future<?> inFlight = Future.succeededFuture();

  public GeneratorVerticle(GeneratorSettings settings, RedisOps redis, Keys keys, NodeState state, long epoch,
      RandomText text, boolean audit) {
    this.settings = settings;
    this.state = state;
    this.epoch = epoch;
    this.publisher = new Publisher(redis, keys, state.nodeId(), epoch, settings.maxBacklog(), audit);
    this.text = text;
  }

  @Override
  public Future<?> start() {
    state.roleVerticleStarted();
    nextDueMs = now();
    tick();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return inFlight.otherwiseEmpty().onComplete(ar -> state.roleVerticleStopped());
  }

  private void tick() {
    timer = -1;
    if (stopped || fenced) {
      return;
    }
    inFlight = publisher.publish(seq, List.of(text.next()))
        .onSuccess(this::handle)
        .onFailure(e -> state.failed("generator", e))
        .onComplete(ar -> scheduleNext());
  }

  private void handle(Publisher.Outcome outcome) {
    state.accepted("generator");
    switch (outcome.status()) {
      case PUBLISHED -> {
        seq += outcome.ids().size();
        state.counters().published.addAndGet(outcome.ids().size());
        if (!outcome.ids().isEmpty()) {
          state.lastPublishedId(outcome.ids().get(outcome.ids().size() - 1));
        }
        if (paused) {
          paused = false;
          LOG.atInfo().addKeyValue("node", state.nodeId())
              .log("backlog down to {}: publishing resumed", outcome.backlog());
        }
        state.backlog(outcome.backlog(), false);
      }
      case BACKLOG_FULL -> {
        if (!paused) {
          paused = true;
          LOG.atWarn().addKeyValue("node", state.nodeId()).log(
              "backlog of {} uncommitted messages reached generator.maxBacklog {}: publishing paused",
              outcome.backlog(), settings.maxBacklog());
        }
        state.backlog(outcome.backlog(), true);
      }
      case FENCED -> {
        fenced = true;
        LOG.atWarn().addKeyValue("node", state.nodeId())
            .log("publish refused by the fence: epoch {} no longer holds the lease", epoch);
        vertx.eventBus().send(Addresses.of(Addresses.FENCED, state.nodeId()), new JsonObject().put("epoch", epoch));
      }
    }
  }

  private void scheduleNext() {
    if (stopped || fenced) {
      return;
    }
    long now = now();
    nextDueMs += settings.intervalMs();
    if (nextDueMs < now - settings.intervalMs()) {
      nextDueMs = now; // fell behind (Redis outage): resume the cadence from now, no burst
    }
    timer = vertx.setTimer(Math.max(1, nextDueMs - now), id -> tick());
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
