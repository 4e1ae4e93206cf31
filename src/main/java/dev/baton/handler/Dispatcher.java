package dev.baton.handler;

import dev.baton.api.MessageHandler;
import dev.baton.api.Outcome;
import dev.baton.common.Backoff;
import dev.baton.config.HandlerSettings;
import dev.baton.plugin.AttemptFailure;
import dev.baton.plugin.FailureClass;
import dev.baton.plugin.Interruptible;
import dev.baton.redis.RedisOps;
import dev.baton.state.Component;
import dev.baton.state.Counters;
import dev.baton.state.NodeState;
import dev.baton.state.PluginStats;
import dev.baton.state.PluginStats.AttemptOutcome;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the handler's plug-in on every message this node holds and commits each stream entry once
 * every message in it has its final outcome. An attempt ends with ok, error (both final), or a
 * failure — the plug-in said fail, threw, answered garbage, or missed {@code handler.timeoutMs}
 * (then the plug-in is told to end the work and any later answer is ignored). A failed attempt is
 * retried after an exponential backoff with jitter; the retry counts its attempt in Redis first
 * ({@code hold.lua}), and once attempt {@code handler.maxDeliveries} failed the message is
 * dead-lettered with that failure as the reason. At most {@code handler.concurrency} attempts run
 * at once; the read loop pauses at that limit. While it holds entries it keeps its claim on them
 * fresh, every quarter of {@code handler.reclaimIdleMs}, so no other node reclaims live work; an
 * entry found taken over (this node was frozen) is dropped, and its late outcome with it.
 *
 * <p>Invariants: an entry is held by at most one {@link Work}; only complete work is committed, by
 * the commit script, which commits an entry once and only for the consumer that holds it. Runs on
 * the handler verticle's context only (a plug-in's future completed elsewhere is brought back).
 */
final class Dispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

  /** A stream entry as delivered to this consumer, with its delivery count. */
  record Delivered(Response entry, int deliveries) {}

  private final Vertx vertx;
  private final Context context;
  private final MessageHandler plugin;
  private final Interruptible interruptible;
  private final HandlerSettings settings;
  private final NodeState state;
  private final PluginStats stats;
  private final Committer committer;
  private final Claims claims;
  private final RandomGenerator random;
  private final int maxTextBytes;
  private final Runnable wake;
  private final Runnable groupMissing;

  private final Map<String, Work> held = new HashMap<>();
  private final ArrayDeque<Work> waiting = new ArrayDeque<>();
  private final ArrayDeque<Work> ready = new ArrayDeque<>();
  private final List<Promise<Void>> roomWaiters = new ArrayList<>();
  private final Backoff commitBackoff = new Backoff(50, 2_000);
  private int inFlight;
  private int commits;
  private boolean pumping;
  private boolean lastAttemptAtOnce;
  private boolean stopping;
  private long keepTimer = -1;
  private long commitRetryTimer = -1;
  private Promise<Void> stopped;
  private boolean finishing;

  /**
   * @param wake the read loop, called when it may read again
   * @param groupMissing called when a commit finds the consumer group gone
   */
  Dispatcher(
      Vertx vertx,
      MessageHandler plugin,
      HandlerSettings settings,
      NodeState state,
      Committer committer,
      Claims claims,
      RandomGenerator random,
      int maxTextBytes,
      Runnable wake,
      Runnable groupMissing) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.plugin = plugin;
    this.interruptible = plugin instanceof Interruptible i ? i : null;
    this.settings = settings;
    this.state = state;
    this.stats = state.plugins();
    this.committer = committer;
    this.claims = claims;
    this.random = random;
    this.maxTextBytes = maxTextBytes;
    this.wake = wake;
    this.groupMissing = groupMissing;
    scheduleKeep();
  }

  /** Whether the read loop may read: a free attempt slot, nothing waiting, a commit slot. */
  boolean room() {
    return !stopping
        && inFlight < settings.concurrency()
        && waiting.isEmpty()
        && commits < settings.maxInFlight();
  }

  /**
   * Entries the next read should ask for: as many as there are free attempt slots, or a whole
   * {@code handler.batchSize} while attempts end as soon as they start (the built-in judge, most
   * Java plug-ins), since then no entry waits for a slot.
   */
  int readCount() {
    if (lastAttemptAtOnce && inFlight == 0) {
      return settings.batchSize();
    }
    return Math.max(1, Math.min(settings.batchSize(), settings.concurrency() - inFlight));
  }

  /** Whether this node holds the entry (delivered and not yet committed or given up). */
  boolean holds(String entryId) {
    return held.containsKey(entryId);
  }

  /**
   * Takes entries delivered to this consumer (read, or taken over from another: {@code reclaimed}).
   * An entry it already holds under an older delivery was delivered to it again (its claim lapsed
   * while it worked, and its own reclaim took it back): the new delivery replaces the old work,
   * whose commit the claim would refuse anyway. The future completes once none of them waits for an
   * attempt slot any more: callers that take work in passes wait for it before the next.
   */
  Future<Void> accept(List<Delivered> entries, boolean reclaimed) {
    for (Delivered d : entries) {
      String id = d.entry().get(0).toString();
      if (stopping) {
        continue;
      }
      Work old = held.get(id);
      if (old != null) {
        if (old.deliveries >= d.deliveries() || old.committing) {
          continue;
        }
        abandonQuietly(old);
      }
      Work w = new Work(StreamEntry.parse(d.entry(), maxTextBytes), d.deliveries(), reclaimed);
      held.put(id, w);
      if (w.pack.valid()) {
        for (int i = 0; i < w.size(); i++) {
          String problem = w.pack.problem(i);
          if (problem != null) {
            w.dead(i, problem, 0);
          } else {
            w.enqueue(i);
          }
        }
      }
      if (w.hasQueued()) {
        w.waiting = true;
        waiting.add(w);
      } else {
        toReady(w);
      }
    }
    pump();
    if (waiting.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> room = Promise.promise();
    roomWaiters.add(room);
    return room.future();
  }

  /** Starts waiting attempts while slots are free; then lets readers and passes go on. */
  private void pump() {
    if (pumping) {
      return; // an attempt that ended at once, inside the loop below: the loop goes on
    }
    pumping = true;
    try {
      while (!stopping && inFlight < settings.concurrency() && !waiting.isEmpty()) {
        Work w = waiting.peek();
        if (w.abandoned || !w.hasQueued()) {
          waiting.poll();
          w.waiting = false;
          continue;
        }
        int i = w.nextQueued();
        if (!w.hasQueued()) {
          waiting.poll();
          w.waiting = false;
        }
        invoke(w, i);
      }
    } finally {
      pumping = false;
    }
    if ((waiting.isEmpty() || stopping) && !roomWaiters.isEmpty()) {
      List<Promise<Void>> go = new ArrayList<>(roomWaiters);
      roomWaiters.clear();
      go.forEach(Promise::tryComplete);
    }
    if (stopping && inFlight == 0) {
      finishStop();
    }
    if (room()) {
      wake.run();
    }
  }

  private void invoke(Work w, int i) {
    Attempt a = new Attempt(w, i, w.attempt(), state.redisClock().nowMs() + settings.timeoutMs());
    inFlight++;
    stats.attempts.incrementAndGet();
    Future<Outcome> f;
    try {
      f = plugin.handle(a);
    } catch (RuntimeException | LinkageError | AssertionError | StackOverflowError e) {
      f = Future.failedFuture(e);
    }
    if (f == null) {
      f = Future.failedFuture(new AttemptFailure(FailureClass.CRASH, "handle returned null"));
    }
    if (f.isComplete()) {
      lastAttemptAtOnce = true;
      ended(a, f);
      return;
    }
    lastAttemptAtOnce = false;
    stats.inFlight.set(inFlight);
    w.running.add(a);
    a.timer = vertx.setTimer(settings.timeoutMs(), id -> timedOut(a));
    Future<Outcome> answer = f;
    answer.onComplete(
        ar -> {
          if (Vertx.currentContext() == context) {
            answered(a, answer);
          } else {
            context.runOnContext(v -> answered(a, answer));
          }
        });
  }

  private void answered(Attempt a, Future<Outcome> f) {
    if (a.over) {
      return; // timed out before: its late answer is ignored
    }
    vertx.cancelTimer(a.timer);
    a.work.running.remove(a);
    ended(a, f);
    pump();
  }

  private void timedOut(Attempt a) {
    if (a.over) {
      return;
    }
    a.work.running.remove(a);
    if (interruptible != null) {
      interruptible.cancel(a);
    }
    over(a);
    failed(
        a,
        FailureClass.TIMEOUT,
        "no answer within handler.timeoutMs " + settings.timeoutMs() + " ms");
    pump();
  }

  /** The attempt's outcome was taken: its slot is free, its latency recorded. */
  private void over(Attempt a) {
    a.over = true;
    inFlight--;
    stats.inFlight.set(inFlight);
  }

  private void ended(Attempt a, Future<Outcome> f) {
    over(a);
    Outcome o = f.succeeded() ? f.result() : null;
    if (o == null) {
      Throwable cause =
          f.failed() ? f.cause() : new AttemptFailure(FailureClass.CRASH, "null outcome");
      failed(a, AttemptFailure.classOf(cause), reasonOf(cause));
      return;
    }
    switch (o.kind()) {
      case OK -> {
        record(a, AttemptOutcome.OK, null);
        if (!a.work.abandoned) {
          a.work.ok(a.index);
        }
      }
      case ERROR -> {
        record(a, AttemptOutcome.ERROR, null);
        if (!a.work.abandoned) {
          a.work.error(a.index, errorRecord(a, o));
        }
      }
      case FAIL -> {
        failed(a, FailureClass.FAIL, o.reason());
        return;
      }
    }
    if (!a.work.abandoned && a.work.complete()) {
      toReady(a.work);
    }
  }

  private static String reasonOf(Throwable t) {
    if (t instanceof AttemptFailure) {
      return t.getMessage();
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private void failed(Attempt a, FailureClass cls, String reason) {
    String why = cls.label() + ": " + reason;
    record(a, AttemptOutcome.FAILED, why);
    stats.failures(cls.label()).incrementAndGet();
    Work w = a.work;
    if (w.abandoned) {
      return;
    }
    if (w.deliveries >= settings.maxDeliveries()) {
      w.dead(
          a.index,
          "attempt "
              + a.attempt()
              + " failed ("
              + why
              + "); handler.maxDeliveries is "
              + settings.maxDeliveries(),
          a.attempt());
      if (w.complete()) {
        toReady(w);
      }
      return;
    }
    w.retries.add(a.index);
    scheduleRetry(w);
  }

  /** Counts the attempt's outcome; times it when it waited for an answer (one at once is not). */
  private void record(Attempt a, AttemptOutcome outcome, String why) {
    stats.attemptEnded(outcome, why);
    if (a.timer >= 0) {
      long nanos = System.nanoTime() - a.startedNs;
      stats.attemptTook(nanos / 1_000_000);
      state.counters().latencies().handlerAttempt(nanos, outcome.label());
    }
  }

  private String errorRecord(Attempt a, Outcome o) {
    JsonObject record =
        a.work
            .pack
            .errorRecord(a.index, state.nodeId(), System.currentTimeMillis())
            .put("reason", o.reason())
            .put("attempt", a.attempt());
    if (o.details() != null) {
      record.put("details", o.details());
    }
    return record.encode();
  }

  // ------------------------------------------------------------------ retries

  /** One retry timer per entry: every message of it whose attempt failed meanwhile goes along. */
  private void scheduleRetry(Work w) {
    if (w.retryTimer >= 0 || w.retrying || stopping) {
      return;
    }
    w.retryTimer = vertx.setTimer(backoffMs(w.deliveries), id -> retryNow(w));
  }

  /** Exponential from retryBackoffMs, capped at retryBackoffMaxMs, with jitter (half to all). */
  long backoffMs(int deliveries) {
    long base = settings.retryBackoffMs();
    int doublings = Math.min(Math.max(0, deliveries - 1), 62);
    long capped = settings.retryBackoffMaxMs();
    if (base <= capped >> doublings) {
      capped = base << doublings;
    }
    return Math.max(1, capped / 2 + (long) (random.nextDouble() * (capped - capped / 2)));
  }

  /**
   * Counts the retry's attempt in Redis (it fails there if the entry was taken over), then runs it.
   */
  private void retryNow(Work w) {
    w.retryTimer = -1;
    if (w.abandoned || stopping) {
      return;
    }
    w.retrying = true;
    claims
        .retry(new HoldScript.Claim(w.entryId, w.deliveries))
        .onComplete(
            ar -> {
              w.retrying = false;
              if (w.abandoned || stopping) {
                return;
              }
              if (ar.failed()) {
                reportFailure(ar.cause());
                w.retryTimer = vertx.setTimer(commitBackoff.nextDelayMs(), id -> retryNow(w));
                return;
              }
              state.redis().succeeded(Component.HANDLER);
              if (ar.result() == 0) {
                abandon(List.of(w));
                return;
              }
              w.deliveries = ar.result();
              w.startRetries();
              if (!w.waiting) {
                w.waiting = true;
                waiting.add(w);
              }
              pump();
            });
  }

  // ------------------------------------------------------------------ the claim kept alive

  private void scheduleKeep() {
    keepTimer = vertx.setTimer(Math.max(10, settings.reclaimIdleMs() / 4), id -> keep());
  }

  /** Resets the idle time of every entry held and not being committed; drops those taken over. */
  private void keep() {
    keepTimer = -1;
    List<Work> kept = new ArrayList<>();
    for (Work w : held.values()) {
      if (!w.committing) {
        kept.add(w);
      }
    }
    if (kept.isEmpty()) {
      if (stopped == null || !stopped.future().isComplete()) {
        scheduleKeep();
      }
      return;
    }
    claims
        .keep(kept.stream().map(w -> new HoldScript.Claim(w.entryId, w.deliveries)).toList())
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                state.redis().succeeded(Component.HANDLER);
                List<Work> lost = new ArrayList<>();
                for (int i = 0; i < kept.size(); i++) {
                  if (ar.result().get(i) == 0 && !kept.get(i).committing) {
                    lost.add(kept.get(i));
                  }
                }
                abandon(lost);
              } else {
                reportFailure(ar.cause());
              }
              if (stopped == null || !stopped.future().isComplete()) {
                scheduleKeep();
              }
            });
  }

  /**
   * Gives up entries this node no longer holds in Redis (another node took them over while this one
   * was frozen, or the group lost them): their attempts are ended and any outcome dropped.
   */
  private void abandon(List<Work> works) {
    if (works.isEmpty()) {
      return;
    }
    int messages = 0;
    for (Work w : works) {
      if (w.abandoned) {
        continue;
      }
      w.abandoned = true;
      messages += w.size();
      held.remove(w.entryId, w);
      ready.remove(w);
      if (w.retryTimer >= 0) {
        vertx.cancelTimer(w.retryTimer);
        w.retryTimer = -1;
      }
      for (Attempt a : new ArrayList<>(w.running)) {
        if (interruptible != null) {
          interruptible.cancel(a);
        }
      }
    }
    if (messages > 0) {
      LOG.atInfo()
          .addKeyValue("node", state.nodeId())
          .log(
              "dropped {} messages another node took over while this one held them (it was frozen"
                  + " or cut off past handler.reclaimIdleMs): their outcomes here are not committed",
              messages);
    }
    pump();
  }

  /** Ends {@code w}'s attempts and forgets it; its outcomes are never committed. */
  private void abandonQuietly(Work w) {
    w.abandoned = true;
    held.remove(w.entryId, w);
    ready.remove(w);
    if (w.retryTimer >= 0) {
      vertx.cancelTimer(w.retryTimer);
      w.retryTimer = -1;
    }
    for (Attempt a : new ArrayList<>(w.running)) {
      if (interruptible != null) {
        interruptible.cancel(a);
      }
    }
  }

  /** The consumer group is gone (Redis lost it): everything held is gone with it. */
  void dropAll() {
    abandon(new ArrayList<>(held.values()));
  }

  // ------------------------------------------------------------------ commits

  private void toReady(Work w) {
    ready.add(w);
    flushCommits();
  }

  private void flushCommits() {
    while (commits < settings.maxInFlight() && !ready.isEmpty() && commitRetryTimer < 0) {
      boolean reclaimed = ready.peek().reclaimed;
      List<Work> batch = new ArrayList<>();
      while (!ready.isEmpty()
          && ready.peek().reclaimed == reclaimed
          && batch.size() < settings.batchSize()) {
        Work w = ready.poll();
        w.committing = true;
        batch.add(w);
      }
      commit(batch, reclaimed);
    }
    if (finishing && commits == 0 && ready.isEmpty()) {
      stopped.tryComplete();
    }
  }

  private void commit(List<Work> batch, boolean reclaimed) {
    commits++;
    List<Committer.Judged> judged = new ArrayList<>(batch.size());
    for (Work w : batch) {
      judged.add(w.judged());
    }
    long startedNs = System.nanoTime();
    committer
        .commit(judged, reclaimed)
        .onComplete(
            ar -> {
              commits--;
              state
                  .counters()
                  .latencies()
                  .commit(System.nanoTime() - startedNs, ar.succeeded() ? "ok" : "failed");
              if (ar.succeeded()) {
                state.redis().succeeded(Component.HANDLER);
                commitBackoff.reset();
                count(judged, ar.result(), reclaimed);
                for (Work w : batch) {
                  held.remove(w.entryId, w);
                }
              } else if (RedisOps.isNoGroup(ar.cause())) {
                for (Work w : batch) {
                  w.committing = false;
                }
                dropAll();
                groupMissing.run();
              } else {
                commitFailed(batch, ar.cause());
              }
              flushCommits();
              pump();
            });
  }

  /**
   * A commit that failed, for any reason but a lost consumer group: the batch goes back to the
   * front of the ready queue, in its order and without the entries abandoned meanwhile, to be tried
   * again after a back-off; a finishing dispatcher instead leaves every ready entry pending for
   * another node to reclaim.
   */
  private void commitFailed(List<Work> batch, Throwable cause) {
    reportFailure(cause);
    for (int i = batch.size() - 1; i >= 0; i--) {
      Work w = batch.get(i);
      w.committing = false;
      if (!w.abandoned) {
        ready.addFirst(w);
      }
    }
    if (finishing) {
      LOG.atInfo()
          .addKeyValue("node", state.nodeId())
          .log(
              "left {} handled entries pending for another node: the commit failed ({})",
              ready.size(),
              cause.getMessage());
      ready.clear();
    } else if (commitRetryTimer < 0) {
      commitRetryTimer =
          vertx.setTimer(
              commitBackoff.nextDelayMs(),
              id -> {
                commitRetryTimer = -1;
                flushCommits();
              });
    }
  }

  private void reportFailure(Throwable e) {
    if (RedisOps.isNoGroup(e)) {
      groupMissing.run();
    } else {
      state.redis().failed(Component.HANDLER, e);
    }
  }

  /**
   * Counters (in messages) and latencies for what this node committed, not what another node
   * committed first.
   */
  private void count(List<Committer.Judged> judged, Committer.Result result, boolean reclaimed) {
    Counters c = state.counters();
    long committedAt = System.currentTimeMillis();
    c.processed.addAndGet(result.plainCommitted());
    if (reclaimed) {
      c.reclaimed.addAndGet(result.plainCommitted());
    }
    boolean allPlain = result.allPlainCommitted();
    long processed = 0;
    long errors = 0;
    long dead = 0;
    for (Committer.Judged j : judged) {
      // the count says how many; when some were committed elsewhere we cannot tell which
      if (j.plain() && allPlain) {
        latency(c, j, committedAt);
      }
    }
    for (Committer.EntryResult other : result.others()) {
      Committer.Judged j = other.entry();
      if (other.committed()) {
        processed += j.size() - j.dead();
        errors += j.errors();
        dead += j.dead();
        latency(c, j, committedAt);
      }
    }
    c.processed.addAndGet(processed);
    c.errors.addAndGet(errors);
    c.deadLettered.addAndGet(dead);
    if (reclaimed) {
      c.reclaimed.addAndGet(processed + dead);
    }
  }

  /** The latency of the messages of {@code j} this node handled (not those dead-lettered). */
  private static void latency(Counters c, Committer.Judged j, long committedAt) {
    int handled = j.size() - j.dead();
    if (j.ts > 0 && handled > 0) {
      c.committed(committedAt - j.ts, handled);
    }
  }

  // ------------------------------------------------------------------ stop

  /**
   * Stops taking work: attempts under way get {@code handler.stopGraceMs} to end, then every
   * complete entry is committed; what is left stays pending in Redis, where presence hands it to
   * another node at once. The future completes when that is done.
   */
  Future<Void> stop() {
    if (stopped != null) {
      return stopped.future();
    }
    stopping = true;
    stopped = Promise.promise();
    for (Work w : held.values()) {
      if (w.retryTimer >= 0) {
        vertx.cancelTimer(w.retryTimer);
        w.retryTimer = -1;
      }
    }
    pump(); // wakes passes waiting for room, and finishes at once when no attempt runs
    if (inFlight > 0) {
      long grace =
          vertx.setTimer(
              Math.max(1, settings.stopGraceMs()),
              id -> {
                if (inFlight > 0) {
                  LOG.atInfo()
                      .addKeyValue("node", state.nodeId())
                      .log(
                          "{} attempts still running after handler.stopGraceMs {} ms: ended, their"
                              + " messages left pending for another node",
                          inFlight,
                          settings.stopGraceMs());
                  for (Work w : held.values()) {
                    for (Attempt a : new ArrayList<>(w.running)) {
                      if (interruptible != null) {
                        interruptible.cancel(a);
                      }
                    }
                  }
                }
                finishStop();
              });
      stopped.future().onComplete(ar -> vertx.cancelTimer(grace));
    }
    return stopped
        .future()
        .onComplete(
            ar -> {
              if (keepTimer >= 0) {
                vertx.cancelTimer(keepTimer);
              }
            });
  }

  /** No attempt runs any more (or the grace is over): commit what is complete, then done. */
  private void finishStop() {
    if (finishing) {
      return;
    }
    finishing = true;
    if (commitRetryTimer >= 0) {
      vertx.cancelTimer(commitRetryTimer); // one last try now, not after the backoff
      commitRetryTimer = -1;
    }
    flushCommits();
  }
}
