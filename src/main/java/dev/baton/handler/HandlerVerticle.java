package dev.baton.handler;

import dev.baton.NodeState;
import dev.baton.bus.Addresses;
import dev.baton.config.NodeConfig.HandlerSettings;
import dev.baton.config.NodeConfig.HeartbeatSettings;
import dev.baton.redis.Backoff;
import dev.baton.redis.DedicatedConnection;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.redis.Scripts;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads messages from the stream's consumer group on a dedicated connection ({@code XREADGROUP
 * BLOCK}), judges each (an error with probability {@code handler.errorProbability}) and commits
 * them exactly once through {@link Committer}. Periodically reclaims entries left pending on dead
 * or stalled consumers, dead-letters entries delivered too often, and removes consumers of nodes
 * that are gone once nothing is pending on them. When the election (as the presence watcher) names
 * consumers whose node's presence vanished, it claims their entries at once ({@code claim.lua})
 * instead of waiting for them to go idle, and delivers entries the group skipped (behind its cursor,
 * never delivered: {@code rescue.lua}). Invariant: an entry leaves the stream only through the
 * commit script, after its effect was applied exactly once.
 */
public final class HandlerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HandlerVerticle.class);
  private static final String CURSOR_START = "0-0";
  private static final String SKIPPED = "skipped";

  private final HandlerSettings settings;
  private final HeartbeatSettings heartbeat;
  private final RedisOps.Factory redisFactory;
  private RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final DedicatedConnection.Factory readerFactory;
  private final RandomGenerator random;
  private Committer committer;
  private final Backoff backoff = new Backoff(50, 2_000);
  private final String audit;

  private DedicatedConnection reader;
  private boolean stopped;
  private boolean readOwnPending = true;
  private long loopTimer = -1;
  private long reclaimTimer = -1;
  private String reclaimCursor = CURSOR_START;
  private long lastReapMs;
  private final java.util.Set<Future<?>> commits = new java.util.HashSet<>();
  private boolean reading;
  private Future<?> reclaiming = Future.succeededFuture();
  private MessageConsumer<JsonArray> absentConsumer;

  public HandlerVerticle(HandlerSettings settings, HeartbeatSettings heartbeat, RedisOps.Factory redisFactory, Keys keys,
      NodeState state, DedicatedConnection.Factory readerFactory, RandomGenerator random, boolean audit) {
    this.settings = settings;
    this.heartbeat = heartbeat;
    this.redisFactory = redisFactory;
    this.keys = keys;
    this.state = state;
    this.readerFactory = readerFactory;
    this.random = random;
    this.audit = audit ? "1" : "0";
  }

  @Override
  public Future<?> start() {
    // commits and reclaims go through a client of this verticle's own (see RedisOps.Factory)
    redis = redisFactory.create(settings.maxInFlight() + 1);
    committer = new Committer(redis, keys, state.nodeId(), audit.equals("1"));
    state.roleVerticleStarted();
    reader = readerFactory.create(null, null);
    lastReapMs = now();
    absentConsumer = vertx.eventBus().localConsumer(Addresses.of(Addresses.ABSENT, state.nodeId()),
        msg -> msg.body().forEach(c -> claimAbsent(String.valueOf(c))));
    return absentConsumer.completion().compose(v -> ensureGroup())
        .otherwiseEmpty()
        .onComplete(ar -> {
          loop();
          scheduleReclaim();
        });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    cancel(loopTimer);
    cancel(reclaimTimer);
    absentConsumer.unregister();
    return reader.close()
        .otherwiseEmpty()
        .compose(v -> {
          List<Future<?>> outstanding = new ArrayList<>(commits);
          outstanding.add(reclaiming);
          return Future.join(outstanding).otherwiseEmpty();
        })
        .compose(v -> finishOwnPending())
        .otherwiseEmpty()
        .compose(v -> redis.close().otherwiseEmpty())
        .onComplete(ar -> state.roleVerticleStopped());
  }

  /** Creates the group at the stream's start, so messages published before any handler count. */
  private Future<Void> ensureGroup() {
    return redis.send(Request.cmd(Command.XGROUP).arg("CREATE").arg(keys.messages()).arg(Keys.HANDLERS_GROUP)
            .arg("0").arg("MKSTREAM"))
        .<Void>mapEmpty()
        .recover(e -> e.getMessage() != null && e.getMessage().startsWith("BUSYGROUP")
            ? Future.succeededFuture()
            : Future.failedFuture(e));
  }

  private Request read(boolean ownPending) {
    Request r = Request.cmd(Command.XREADGROUP).arg("GROUP").arg(Keys.HANDLERS_GROUP).arg(state.nodeId())
        .arg("COUNT").arg(settings.batchSize());
    if (!ownPending) {
      r.arg("BLOCK").arg(settings.blockMs());
    }
    return r.arg("STREAMS").arg(keys.messages()).arg(ownPending ? "0" : ">");
  }

  /**
   * Reads the next batch while up to {@code handler.maxInFlight} commits of earlier batches are
   * still outstanding: the read and the commits use different connections and touch different
   * entries, so overlapping them only saves round trips.
   */
  private void loop() {
    if (stopped || reading || loopTimer >= 0 || commits.size() >= settings.maxInFlight()) {
      return; // a read, a retry or a commit completion will call again
    }
    boolean ownPending = readOwnPending;
    reading = true;
    reader.send(read(ownPending), settings.blockMs() + redis.timeoutMs())
        .onComplete(ar -> reading = false)
        .onSuccess(reply -> {
          List<Response> entries = streamEntries(reply);
          if (ownPending && entries.isEmpty()) {
            readOwnPending = false;
          }
          state.accepted("handler");
          backoff.reset();
          if (!entries.isEmpty()) {
            commitInBackground(entries);
          }
          loop();
        })
        .onFailure(this::onReadFailure);
  }

  private void commitInBackground(List<Response> entries) {
    Future<Void> commit = handle(entries, false);
    commits.add(commit);
    commit.onComplete(ar -> {
      commits.remove(commit);
      if (ar.failed()) {
        onReadFailure(ar.cause());
      } else {
        loop();
      }
    });
  }

  private void onReadFailure(Throwable e) {
    if (stopped) {
      return;
    }
    readOwnPending = true;
    if (RedisOps.isNoGroup(e)) {
      LOG.atInfo().addKeyValue("node", state.nodeId()).log("consumer group missing (Redis lost its data?): recreating it");
      ensureGroup().onComplete(ar -> later(backoff.nextDelayMs()));
      return;
    }
    state.failed("handler", e);
    later(backoff.nextDelayMs());
  }

  private void later(long delayMs) {
    if (!stopped && loopTimer < 0) {
      loopTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
        loopTimer = -1;
        loop();
      });
    }
  }

  /**
   * Judges and commits raw stream entries (read, reclaimed or claimed; packed or not), every
   * message on its own; {@code reclaimed} marks entries taken over from another consumer.
   */
  private Future<Void> handle(List<Response> entries, boolean reclaimed) {
    if (entries.isEmpty()) {
      return Future.succeededFuture();
    }
    long now = System.currentTimeMillis();
    double errorProbability = settings.errorProbability();
    List<Committer.Judged> judged = new ArrayList<>(entries.size());
    for (Response entry : entries) {
      Pack p = Pack.parse(entry);
      if (!p.valid()) {
        judged.add(Committer.Judged.single(p.entryId(), Committer.Kind.DEAD, p.problem(), 0));
        continue;
      }
      int n = p.count();
      Committer.Judged j = new Committer.Judged(p.entryId(), p.packed() ? n : 0, p.ts());
      for (int i = 0; i < n; i++) {
        String problem = p.problem(i);
        if (problem != null) {
          j.dead(problem, p.deadLetterFields(i));
        } else if (random.nextDouble() < errorProbability) {
          j.error(p.errorRecord(i, state.nodeId(), now).encode());
        } else {
          j.ok();
        }
      }
      judged.add(j);
    }
    long startedNs = System.nanoTime();
    return committer.commit(judged, reclaimed)
        .andThen(ar -> state.latencies().commit(System.nanoTime() - startedNs, ar.succeeded() ? "ok" : "failed"))
        .map(result -> {
          record(judged, result, reclaimed);
          return null;
        });
  }

  /** Counters (in messages) and latencies for what this node committed, not what another node committed first. */
  private void record(List<Committer.Judged> judged, Committer.Result result, boolean reclaimed) {
    NodeState.Counters c = state.counters();
    long committedAt = System.currentTimeMillis();
    c.processed.addAndGet(result.plainCommitted());
    if (reclaimed) {
      c.reclaimed.addAndGet(result.plainCommitted());
    }
    boolean allPlain = result.allPlainCommitted();
    long processed = 0;
    long errors = 0;
    long dead = 0;
    int other = 0;
    for (Committer.Judged j : judged) {
      boolean committed;
      if (j.plain()) {
        // the count says how many; when some were committed elsewhere we cannot tell which
        committed = allPlain;
      } else {
        committed = result.others()[other++];
        if (committed) {
          processed += j.size() - j.dead();
          errors += j.errors();
          dead += j.dead();
        }
      }
      int handled = j.size() - j.dead();
      if (committed && j.ts > 0 && handled > 0) {
        state.latencyMs().recordValueWithCount(Math.min(3_600_000L, Math.max(0, committedAt - j.ts)), handled);
      }
    }
    c.processed.addAndGet(processed);
    c.errors.addAndGet(errors);
    c.deadLettered.addAndGet(dead);
    if (reclaimed) {
      c.reclaimed.addAndGet(processed + dead);
    }
  }

  private static List<Response> streamEntries(Response reply) {
    List<Response> out = new ArrayList<>();
    if (reply == null) {
      return out;
    }
    for (Response stream : reply) {
      Response entries = stream.size() > 1 ? stream.get(1) : null;
      if (entries != null) {
        for (Response e : entries) {
          if (e != null) {
            out.add(e);
          }
        }
      }
    }
    return out;
  }

  private void scheduleReclaim() {
    if (!stopped) {
      reclaimTimer = vertx.setTimer(Math.max(50, settings.reclaimIdleMs() / 2), id -> reclaim());
    }
  }

  private void reclaim() {
    reclaimTimer = -1;
    if (stopped) {
      return;
    }
    reclaiming = redis.eval(Scripts.RECLAIM,
            List.of(keys.messages(), keys.deadLetter(), keys.stats(), keys.auditCommitted()),
            List.of(Keys.HANDLERS_GROUP, state.nodeId(), Long.toString(settings.reclaimIdleMs()), reclaimCursor,
                Integer.toString(settings.batchSize()), Integer.toString(settings.maxDeliveries()), audit))
        .compose(r -> {
          reclaimCursor = Replies.str(r.get(0));
          long dead = Replies.num(r.get(2), 0);
          List<Response> claimed = new ArrayList<>();
          for (Response e : r.get(1)) {
            claimed.add(e);
          }
          if (dead > 0) {
            state.counters().deadLettered.addAndGet(dead);
            LOG.atWarn().addKeyValue("node", state.nodeId())
                .log("dead-lettered {} messages delivered more than {} times", dead, settings.maxDeliveries());
          }
          if (!claimed.isEmpty()) {
            LOG.atInfo().addKeyValue("node", state.nodeId())
                .log("reclaimed {} stream entries idle for over {} ms", claimed.size(), settings.reclaimIdleMs());
          }
          return handle(claimed, true);
        })
        .compose(v -> reapIfDue())
        .compose(v -> CURSOR_START.equals(reclaimCursor) ? rescueSkipped(CURSOR_START, 0) : Future.succeededFuture())
        .onComplete(ar -> {
          if (ar.failed()) {
            reclaimCursor = CURSOR_START;
            if (RedisOps.isNoGroup(ar.cause())) {
              ensureGroup();
            }
          }
          if (ar.succeeded() && !CURSOR_START.equals(reclaimCursor) && !stopped) {
            reclaimTimer = vertx.setTimer(1, id -> reclaim()); // more pending entries to scan
          } else {
            scheduleReclaim();
          }
        });
  }

  /**
   * One pass over the stream up to the group's cursor, taking and committing the entries the group
   * skipped (behind its last-delivered-id, pending nowhere: see rescue.lua), a page at a time. A pass
   * that finds some is logged, once per episode; their count goes to {@code counters.skipped}.
   */
  private Future<Void> rescueSkipped(String cursor, long foundSoFar) {
    if (stopped) {
      return Future.succeededFuture();
    }
    return redis.eval(Scripts.RESCUE, List.of(keys.messages(), keys.stats()),
            List.of(Keys.HANDLERS_GROUP, state.nodeId(), cursor, Integer.toString(settings.batchSize())))
        .compose(r -> {
          String next = Replies.str(r.get(0));
          List<Response> taken = new ArrayList<>();
          r.get(1).forEach(taken::add);
          long messages = Replies.num(r.get(2), 0);
          state.counters().skipped.addAndGet(messages);
          Future<Void> handled = handle(taken, false);
          if (!CURSOR_START.equals(next)) {
            return handled.compose(v -> rescueSkipped(next, foundSoFar + messages));
          }
          long found = foundSoFar + messages;
          if (found > 0) {
            state.stateLog().on(SKIPPED, SKIPPED, org.slf4j.event.Level.WARN, "found " + found
                + " messages behind the consumer group's cursor that were never delivered (was the cursor moved"
                + " past them, e.g. XGROUP SETID?): delivering them now", null);
          } else {
            state.stateLog().over(SKIPPED);
          }
          return handled;
        });
  }

  private Future<Void> reapIfDue() {
    if (!CURSOR_START.equals(reclaimCursor) || now() - lastReapMs < heartbeat.timeoutMs()) {
      return Future.succeededFuture();
    }
    lastReapMs = now();
    return redis.eval(Scripts.REAP, List.of(keys.messages(), keys.heartbeats(), keys.presence()),
            List.of(Keys.HANDLERS_GROUP, Long.toString(heartbeat.timeoutMs())))
        .map(removed -> {
          if (removed.size() > 0) {
            List<String> names = new ArrayList<>();
            removed.forEach(n -> names.add(n.toString()));
            LOG.atInfo().addKeyValue("node", state.nodeId()).log("removed consumers of departed nodes: {}", names);
          }
          return null;
        });
  }

  /**
   * Claims and commits the entries pending on {@code consumer}, whose node's presence vanished (the
   * script checks that again), one batch after another. Runs after any reclaim or claim already
   * under way, never beside it.
   */
  private void claimAbsent(String consumer) {
    if (stopped || consumer.equals(state.nodeId())) {
      return;
    }
    reclaiming = reclaiming.transform(ar -> claimBatch(consumer, 0))
        .onFailure(e -> state.failed("handler", e));
  }

  private Future<Void> claimBatch(String consumer, long claimedSoFar) {
    if (stopped) {
      return Future.succeededFuture();
    }
    return redis.eval(Scripts.CLAIM,
            List.of(keys.messages(), keys.deadLetter(), keys.stats(), keys.auditCommitted(), keys.presence()),
            List.of(Keys.HANDLERS_GROUP, state.nodeId(), consumer, Integer.toString(settings.batchSize()),
                Integer.toString(settings.maxDeliveries()), audit))
        .compose(r -> {
          List<Response> claimed = new ArrayList<>();
          r.get(1).forEach(claimed::add);
          long dead = Replies.num(r.get(2), 0);
          if (dead > 0) {
            state.counters().deadLettered.addAndGet(dead);
            LOG.atWarn().addKeyValue("node", state.nodeId())
                .log("dead-lettered {} messages delivered more than {} times", dead, settings.maxDeliveries());
          }
          if (claimed.isEmpty() && dead == 0) {
            if (claimedSoFar > 0) {
              LOG.atInfo().addKeyValue("node", state.nodeId())
                  .log("claimed {} messages of {}, whose presence vanished", claimedSoFar, consumer);
            }
            return Future.succeededFuture();
          }
          return handle(claimed, true).compose(v -> claimBatch(consumer, claimedSoFar + claimed.size()));
        });
  }

  /** On stop: commits what was delivered to this consumer but not yet handled, if Redis answers. */
  private Future<Void> finishOwnPending() {
    return redis.send(read(true))
        .recover(e -> RedisOps.isNoGroup(e) ? Future.succeededFuture() : Future.failedFuture(e))
        .compose(reply -> handle(streamEntries(reply), false))
        .onFailure(e -> LOG.atInfo().addKeyValue("node", state.nodeId())
            .log("left pending messages for reclaim on stop ({})", e.getMessage()));
  }

  private void cancel(long timer) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
