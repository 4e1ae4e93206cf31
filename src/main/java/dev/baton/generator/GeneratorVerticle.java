package dev.baton.generator;

import dev.baton.api.MessageSource;
import dev.baton.api.Tick;
import dev.baton.bus.Addresses;
import dev.baton.bus.Events;
import dev.baton.common.Backoff;
import dev.baton.common.Clock;
import dev.baton.config.GeneratorSettings;
import dev.baton.plugin.AttemptFailure;
import dev.baton.plugin.Interruptible;
import dev.baton.redis.RedisOps;
import dev.baton.state.Component;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import dev.baton.state.PluginStats.TickOutcome;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Publishes messages under the epoch it was granted. With the built-in random words: one every
 * {@code generator.intervalMs}, one message per stream entry, or, with {@code intervalMs} 0, as
 * fast as the cluster keeps up — batches of {@code batchSize} messages per call, packed {@code
 * packSize} to an entry, with at most {@code maxInFlight} calls outstanding. With a source plug-in
 * ({@code generator.source}): one call of the source per tick (every {@code intervalMs}, or one
 * after the other with {@code intervalMs} 0), never two at once; the texts it answers are published
 * as one entry each, under the tick's key, so a publish retried after a lost reply adds them once.
 * A source that fails or times out skips its tick. Every call is fenced in Redis; the first refusal
 * stops this verticle's publishing for good and tells the election, which revokes. Publishing
 * pauses while the backlog is at its bound, in both modes.
 */
public final class GeneratorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GeneratorVerticle.class);
  private static final long BACKLOG_RETRY_MS = 10;
  private static final String PAUSED = "publishing-paused";
  private static final String SOURCE_FAILING = "source-failing";
  private static final String SOURCE_REFUSED = "source-refused";

  /** With intervalMs 0, a source that had nothing is asked again after this, doubling to 1 s. */
  private static final long EMPTY_RETRY_MS = 10;

  private final GeneratorSettings settings;
  private final NodeState state;
  private final long epoch;
  private final RedisOps.Factory redisFactory;
  private final NodeContext node;
  private RedisOps redis;
  private Publisher publisher;
  private final RandomText text;
  private final MessageSource source;
  private final Backoff backoff = new Backoff(50, 1_000);
  private final Backoff emptyBackoff = new Backoff(EMPTY_RETRY_MS, 1_000);
  private Context context;

  /** The next tick's number within this epoch (a source's idempotency key is epoch:tick). */
  private long nextTick = 1;

  /** The tick whose source call is under way, or null. */
  private Tick calling;

  private long callTimer = -1;

  /** A tick the source answered and that is not published yet (its texts, its first seq). */
  private Tick answeredTick;

  private List<String> answeredTexts;
  private long answeredSeq;

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
      NodeContext node,
      long epoch,
      RandomText text,
      MessageSource source) {
    this.settings = settings;
    this.redisFactory = redisFactory;
    this.node = node;
    this.state = node.state();
    this.epoch = epoch;
    this.text = text;
    this.source = source;
  }

  @Override
  public Future<?> start() {
    state.role().verticleStarted();
    redis = redisFactory.create(Math.max(2, settings.maxInFlight()));
    publisher =
        new Publisher(
            redis, node.keys(), node.nodeId(), epoch, settings.maxBacklog(), node.audit());
    nextDueMs = Clock.monotonicMs();
    context = vertx.getOrCreateContext();
    if (source != null) {
      tick();
    } else if (throughputMode()) {
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
    if (calling != null) {
      // a lost lease ends the call's use at once: its answer is never published
      vertx.cancelTimer(callTimer);
      if (source instanceof Interruptible i) {
        i.cancel(calling);
      }
      calling = null;
    }
    return Future.join(new ArrayList<>(calls))
        .otherwiseEmpty()
        .compose(v -> redis.close().otherwiseEmpty())
        .onComplete(
            ar -> {
              // a node that no longer generates is not paused at the bound (/metrics reads this)
              state.publishing().backlog(state.publishing().backlog(), false);
              state.role().verticleStopped();
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

  /** Cadence mode: one message (or one source tick) per interval, on a fixed schedule. */
  private void tick() {
    timer = -1;
    if (!active()) {
      return;
    }
    if (source != null) {
      sourceTick();
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

  // ------------------------------------------------------------------ a source's ticks

  /** Publishes the tick answered before if it is still waiting, else asks the source for one. */
  private void sourceTick() {
    if (answeredTexts != null) {
      publishAnswered();
      return;
    }
    if (settings.maxMessages() > 0 && reserved >= settings.maxMessages()) {
      return;
    }
    Tick t = new Tick(epoch, nextTick++, state.redisClock().nowMs() + settings.timeoutMs());
    calling = t;
    long startedNs = System.nanoTime();
    Future<List<String>> answer;
    try {
      answer = source.next(t);
    } catch (RuntimeException | LinkageError | AssertionError e) {
      answer = Future.failedFuture(e);
    }
    if (answer == null) {
      answer = Future.failedFuture(new IllegalStateException("next returned null"));
    }
    callTimer =
        vertx.setTimer(
            settings.timeoutMs(),
            id -> {
              if (calling == t) {
                calling = null;
                if (source instanceof Interruptible i) {
                  i.cancel(t);
                }
                sourceFailed(
                    t,
                    TickOutcome.TIMEOUT,
                    "no answer within generator.timeoutMs " + settings.timeoutMs() + " ms",
                    startedNs);
              }
            });
    Future<List<String>> f = answer;
    f.onComplete(
        ar -> {
          Runnable taken =
              () -> {
                if (calling != t) {
                  return; // timed out, or the lease was lost: the answer is not used
                }
                calling = null;
                vertx.cancelTimer(callTimer);
                if (f.failed()) {
                  sourceFailed(t, TickOutcome.FAILED, describe(f.cause()), startedNs);
                } else {
                  answered(t, f.result(), startedNs);
                }
              };
          if (Vertx.currentContext() == context) {
            taken.run();
          } else {
            context.runOnContext(v -> taken.run());
          }
        });
  }

  private static String describe(Throwable t) {
    return t instanceof AttemptFailure
        ? AttemptFailure.describe(t)
        : t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  private void sourceFailed(Tick t, TickOutcome outcome, String why, long startedNs) {
    state.plugins().ticks(outcome).incrementAndGet();
    state.plugins().sourceEnded(false, why);
    state.counters().latencies().sourceCall(System.nanoTime() - startedNs, outcome.label());
    state
        .stateLog()
        .on(
            SOURCE_FAILING,
            SOURCE_FAILING,
            Level.WARN,
            "the "
                + state.plugins().sourceType()
                + " source failed tick "
                + t.key()
                + " ("
                + why
                + "): its ticks are skipped until it answers",
            "the " + state.plugins().sourceType() + " source answers again");
    nextSourceTick(false);
  }

  /** The source's answer: texts within generator.maxMessageBytes are published, others refused. */
  private void answered(Tick t, List<String> texts, long startedNs) {
    List<String> kept = new ArrayList<>(texts == null ? 0 : texts.size());
    int refused = 0;
    for (String m : texts == null ? List.<String>of() : texts) {
      if (m == null || m.getBytes(StandardCharsets.UTF_8).length > settings.maxMessageBytes()) {
        refused++;
      } else {
        kept.add(m);
      }
    }
    state.plugins().sourceEnded(true, null);
    state.stateLog().over(SOURCE_FAILING);
    if (refused > 0) {
      state.plugins().refusedMessages.addAndGet(refused);
      state
          .stateLog()
          .on(
              SOURCE_REFUSED,
              SOURCE_REFUSED,
              Level.WARN,
              "the source gave "
                  + refused
                  + " texts that are null or over generator.maxMessageBytes "
                  + settings.maxMessageBytes()
                  + " (tick "
                  + t.key()
                  + "): refused, never cut",
              null);
    }
    TickOutcome outcome = kept.isEmpty() ? TickOutcome.EMPTY : TickOutcome.PUBLISHED;
    state.counters().latencies().sourceCall(System.nanoTime() - startedNs, outcome.label());
    if (kept.isEmpty()) {
      state.plugins().ticks(TickOutcome.EMPTY).incrementAndGet();
      nextSourceTick(false);
      return;
    }
    answeredTick = t;
    answeredTexts = kept;
    answeredSeq = seq;
    seq += kept.size();
    reserved += kept.size();
    publishAnswered();
  }

  /** Publishes the answered tick; retried with the same key until it is in, fenced or abandoned. */
  private void publishAnswered() {
    int n = answeredTexts.size();
    inFlight++;
    Future<Publisher.Outcome> call =
        publisher.publishTick(answeredSeq, answeredTick.seq(), answeredTexts);
    calls.add(call);
    call.onComplete(
        ar -> {
          inFlight--;
          calls.remove(call);
          if (ar.failed()) {
            state.redis().failed(Component.GENERATOR, ar.cause());
            retrySourceLater(backoff.nextDelayMs()); // the same tick, the same key
            return;
          }
          Publisher.Outcome o = ar.result();
          if (o.status() == Publisher.Status.ALREADY_PUBLISHED) {
            o = new Publisher.Outcome(Publisher.Status.PUBLISHED, -1, 0, o.count(), o.lastId());
          }
          handle(o, n);
          switch (o.status()) {
            case PUBLISHED -> {
              backoff.reset();
              state.plugins().ticks(TickOutcome.PUBLISHED).incrementAndGet();
              answeredTexts = null;
              answeredTick = null;
              nextSourceTick(true);
            }
            case BACKLOG_FULL -> {
              reserved += n; // handle() gave them back; the tick stays waiting
              retrySourceLater(throughputMode() ? BACKLOG_RETRY_MS : -1);
            }
            default -> {} // fenced: this verticle publishes no more
          }
        });
  }

  /** After a tick: the next one at the cadence, or at once in throughput mode. */
  private void nextSourceTick(boolean published) {
    if (!active()) {
      return;
    }
    if (!throughputMode()) {
      scheduleNext();
    } else if (published) {
      emptyBackoff.reset();
      timer = vertx.setTimer(1, id -> tick());
    } else {
      timer = vertx.setTimer(emptyBackoff.nextDelayMs(), id -> tick());
    }
  }

  /** Tries the waiting tick again after {@code delayMs} (-1: at the next tick of the cadence). */
  private void retrySourceLater(long delayMs) {
    if (!active()) {
      return;
    }
    if (delayMs < 0) {
      scheduleNext();
    } else {
      timer = vertx.setTimer(Math.max(1, delayMs), id -> tick());
    }
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
                  state.redis().failed(Component.GENERATOR, e);
                });
    calls.add(call);
    return call.andThen(
        ar -> {
          inFlight--;
          calls.remove(call);
        });
  }

  private void handle(Publisher.Outcome outcome, int n) {
    state.redis().succeeded(Component.GENERATOR);
    switch (outcome.status()) {
      case ALREADY_PUBLISHED -> throw new IllegalStateException("a tick is counted as published");
      case PUBLISHED -> {
        state.counters().published.addAndGet(outcome.count());
        if (outcome.count() > 0) {
          state.publishing().lastPublishedId(outcome.lastId());
        }
        if (paused) {
          paused = false;
        }
        state.stateLog().over(PAUSED);
        if (outcome.backlog() >= 0) {
          state.publishing().backlog(outcome.backlog(), false);
        }
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
          Addresses.FENCED.send(vertx.eventBus(), state.nodeId(), new Events.Fenced(epoch));
        }
      }
    }
  }
}
