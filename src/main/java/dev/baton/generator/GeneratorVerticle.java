package dev.baton.generator;

import dev.baton.bus.Addresses;
import dev.baton.common.Backoff;
import dev.baton.common.Clock;
import dev.baton.config.NodeConfig.GeneratorSettings;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Publishes random messages under the epoch it was granted: one every {@code generator.intervalMs},
 * one message per stream entry, or, with {@code intervalMs} 0, as fast as the cluster keeps up —
 * batches of {@code batchSize} messages per call, packed {@code packSize} to an entry, with at most
 * {@code maxInFlight} calls outstanding. Every call is fenced in Redis; the first refusal stops
 * this verticle's publishing for good and tells the election, which revokes. Publishing pauses
 * while the backlog is at its bound, in both modes.
 */
public final class GeneratorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GeneratorVerticle.class);
  private static final long BACKLOG_RETRY_MS = 10;
  private static final String PAUSED = "publishing-paused";

  private final GeneratorSettings settings;
  private final NodeState state;
  private final long epoch;
  private final RedisOps.Factory redisFactory;
  private final Keys keys;
  private final boolean audit;
  private RedisOps redis;
  private Publisher publisher;
  private final RandomText text;
  private final Backoff backoff = new Backoff(50, 1_000);

  private long seq = 1;
  private long reserved;
  private long nextDueMs;
  private long timer = -1;
  private boolean stopped;
  private boolean fenced;
  private boolean paused;
  private int inFlight;
  private final Set<Future<?>> calls = new HashSet<>();

  public GeneratorVerticle(
      GeneratorSettings settings,
      RedisOps.Factory redisFactory,
      Keys keys,
      NodeState state,
      long epoch,
      RandomText text,
      boolean audit) {
    this.settings = settings;
    this.redisFactory = redisFactory;
    this.keys = keys;
    this.audit = audit;
    this.state = state;
    this.epoch = epoch;
    this.text = text;
  }

  @Override
  public Future<?> start() {
    state.roles().verticleStarted();
    redis = redisFactory.create(Math.max(2, settings.maxInFlight()));
    publisher = new Publisher(redis, keys, state.nodeId(), epoch, settings.maxBacklog(), audit);
    nextDueMs = Clock.monotonicMs();
    if (throughputMode()) {
      fill();
    } else {
      tick();
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return Future.join(new ArrayList<>(calls))
        .otherwiseEmpty()
        .compose(v -> redis.close().otherwiseEmpty())
        .onComplete(
            ar -> {
              // a node that no longer generates is not paused at the bound (/metrics reads this)
              state.publishing().backlog(state.publishing().backlog(), false);
              state.roles().verticleStopped();
            });
  }

  private boolean throughputMode() {
    return settings.intervalMs() == 0;
  }

  private boolean active() {
    return !stopped && !fenced;
  }

  /** Messages the next call may publish: a batch, or fewer when {@code maxMessages} nears. */
  private int nextBatch(int wanted) {
    if (settings.maxMessages() == 0) {
      return wanted;
    }
    return (int) Math.max(0, Math.min(wanted, settings.maxMessages() - reserved));
  }

  /** Throughput mode: keeps {@code maxInFlight} publish calls outstanding. */
  private void fill() {
    while (active() && !paused && timer < 0 && inFlight < settings.maxInFlight()) {
      int n = nextBatch(settings.batchSize());
      if (n == 0) {
        return;
      }
      publish(n)
          .onComplete(
              ar -> {
                if (ar.succeeded() && ar.result() == Publisher.Status.PUBLISHED) {
                  backoff.reset();
                  fill();
                } else if (ar.succeeded() && ar.result() == Publisher.Status.BACKLOG_FULL) {
                  retryLater(BACKLOG_RETRY_MS);
                } else if (ar.failed()) {
                  retryLater(backoff.nextDelayMs());
                }
              });
    }
  }

  private void retryLater(long delayMs) {
    if (active() && timer < 0) {
      timer =
          vertx.setTimer(
              delayMs,
              id -> {
                timer = -1;
                paused = false;
                fill();
              });
    }
  }

  /** Cadence mode: one message per interval, on a fixed schedule. */
  private void tick() {
    timer = -1;
    if (!active()) {
      return;
    }
    int n = nextBatch(1);
    if (n == 0) {
      return;
    }
    publish(n).onComplete(ar -> scheduleNext());
  }

  private void scheduleNext() {
    if (!active()) {
      return;
    }
    long now = Clock.monotonicMs();
    nextDueMs += settings.intervalMs();
    if (nextDueMs < now - settings.intervalMs()) {
      nextDueMs = now; // fell behind (Redis outage): resume the cadence from now, no burst
    }
    timer = vertx.setTimer(Math.max(1, nextDueMs - now), id -> tick());
  }

  private Future<Publisher.Status> publish(int n) {
    int packSize = throughputMode() ? settings.packSize() : 1;
    List<Object> entries = new ArrayList<>(packSize == 1 ? n : 2 * ((n + packSize - 1) / packSize));
    if (packSize == 1) {
      for (int i = 0; i < n; i++) {
        entries.add(text.nextBytes());
      }
    } else {
      for (int left = n; left > 0; left -= packSize) {
        int count = Math.min(packSize, left);
        entries.add(Integer.toString(count));
        entries.add(text.nextPack(count));
      }
    }
    long first = seq;
    seq += n;
    reserved += n;
    inFlight++;
    Future<Publisher.Status> call =
        (packSize == 1 ? publisher.publish(first, entries) : publisher.publishPacks(first, entries))
            .map(
                outcome -> {
                  handle(outcome, n);
                  return outcome.status();
                })
            .onFailure(
                e -> {
                  reserved -= n; // not published: those messages may still be sent (seq numbers are
                  // skipped)
                  state.redis().failed("generator", e);
                });
    calls.add(call);
    return call.andThen(
        ar -> {
          inFlight--;
          calls.remove(call);
        });
  }

  private void handle(Publisher.Outcome outcome, int n) {
    state.redis().succeeded("generator");
    switch (outcome.status()) {
      case PUBLISHED -> {
        state.counters().published.addAndGet(outcome.count());
        if (outcome.count() > 0) {
          state.publishing().lastPublishedId(outcome.lastId());
        }
        if (paused) {
          paused = false;
        }
        state.stateLog().over(PAUSED);
        state.publishing().backlog(outcome.backlog(), false);
      }
      case BACKLOG_FULL -> {
        reserved -= n;
        if (!paused) {
          paused = true;
          // at the bound it pauses and resumes as often as handlers free room: one line per episode
          state
              .stateLog()
              .on(
                  PAUSED,
                  PAUSED,
                  Level.WARN,
                  "backlog of "
                      + outcome.backlog()
                      + " uncommitted messages reached generator.maxBacklog "
                      + settings.maxBacklog()
                      + ": publishing paused",
                  "backlog below generator.maxBacklog "
                      + settings.maxBacklog()
                      + ": publishing resumed");
        }
        state.publishing().backlog(outcome.backlog(), true);
      }
      case FENCED -> {
        reserved -= n;
        if (!fenced) {
          fenced = true;
          LOG.atWarn()
              .addKeyValue("node", state.nodeId())
              .log("publish refused by the fence: epoch {} no longer holds the lease", epoch);
          vertx
              .eventBus()
              .send(
                  Addresses.of(Addresses.FENCED, state.nodeId()),
                  new JsonObject().put("epoch", epoch));
        }
      }
    }
  }
}
