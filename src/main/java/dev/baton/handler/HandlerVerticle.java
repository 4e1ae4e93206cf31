package dev.baton.handler;

import dev.baton.bus.Addresses;
import dev.baton.common.Backoff;
import dev.baton.config.NodeConfig.HandlerSettings;
import dev.baton.config.NodeConfig.HeartbeatSettings;
import dev.baton.redis.DedicatedConnection;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.state.Counters;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads messages from the stream's consumer group on a dedicated connection ({@code XREADGROUP
 * BLOCK}), judges each (an error with probability {@code handler.errorProbability}) and commits
 * them exactly once through {@link Committer}; the work other consumers left behind (idle entries,
 * vanished consumers, departed nodes, entries the group skipped) is the {@link Reclaimer}'s, whose
 * entries it commits the same way. It recreates the consumer group when Redis lost it, and on stop
 * commits what was delivered to it. Invariant: an entry leaves the stream only through the commit
 * script, after its effect was applied exactly once.
 */
public final class HandlerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HandlerVerticle.class);

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
  private final boolean audit;

  private DedicatedConnection reader;
  private boolean stopped;
  private boolean readOwnPending = true;
  private long loopTimer = -1;
  private final Set<Future<?>> commits = new HashSet<>();
  private boolean reading;
  private Reclaimer reclaimer;
  private MessageConsumer<JsonArray> absentConsumer;

  public HandlerVerticle(
      HandlerSettings settings,
      HeartbeatSettings heartbeat,
      RedisOps.Factory redisFactory,
      Keys keys,
      NodeState state,
      DedicatedConnection.Factory readerFactory,
      RandomGenerator random,
      boolean audit) {
    this.settings = settings;
    this.heartbeat = heartbeat;
    this.redisFactory = redisFactory;
    this.keys = keys;
    this.state = state;
    this.readerFactory = readerFactory;
    this.random = random;
    this.audit = audit;
  }

  @Override
  public Future<?> start() {
    // commits and reclaims go through a client of this verticle's own (see RedisOps.Factory)
    redis = redisFactory.create(settings.maxInFlight() + 1);
    committer = new Committer(redis, keys, state.nodeId(), audit);
    reclaimer =
        new Reclaimer(
            vertx, redis, keys, state, settings, heartbeat, audit, this::handle, this::ensureGroup);
    state.roles().verticleStarted();
    reader = readerFactory.create(null, null);
    absentConsumer =
        vertx
            .eventBus()
            .localConsumer(
                Addresses.of(Addresses.ABSENT, state.nodeId()),
                msg -> msg.body().forEach(c -> reclaimer.claimAbsent(String.valueOf(c))));
    return absentConsumer
        .completion()
        .compose(v -> ensureGroup())
        .otherwiseEmpty()
        .onComplete(
            ar -> {
              loop();
              reclaimer.start();
            });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (loopTimer >= 0) {
      vertx.cancelTimer(loopTimer);
    }
    Future<?> reclaiming = reclaimer.stop();
    absentConsumer.unregister();
    return reader
        .close()
        .otherwiseEmpty()
        .compose(
            v -> {
              List<Future<?>> outstanding = new ArrayList<>(commits);
              outstanding.add(reclaiming);
              return Future.join(outstanding).otherwiseEmpty();
            })
        .compose(v -> finishOwnPending())
        .otherwiseEmpty()
        .compose(v -> redis.close().otherwiseEmpty())
        .onComplete(ar -> state.roles().verticleStopped());
  }

  /** Creates the group at the stream's start, so messages published before any handler count. */
  private Future<Void> ensureGroup() {
    return redis
        .send(
            Request.cmd(Command.XGROUP)
                .arg("CREATE")
                .arg(keys.messages())
                .arg(Keys.HANDLERS_GROUP)
                .arg("0")
                .arg("MKSTREAM"))
        .<Void>mapEmpty()
        .recover(
            e ->
                e.getMessage() != null && e.getMessage().startsWith("BUSYGROUP")
                    ? Future.succeededFuture()
                    : Future.failedFuture(e));
  }

  private Request read(boolean ownPending) {
    Request r =
        Request.cmd(Command.XREADGROUP)
            .arg("GROUP")
            .arg(Keys.HANDLERS_GROUP)
            .arg(state.nodeId())
            .arg("COUNT")
            .arg(settings.batchSize());
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
    reader
        .send(read(ownPending), settings.blockMs() + redis.timeoutMs())
        .onComplete(ar -> reading = false)
        .onSuccess(
            reply -> {
              List<Response> entries = Replies.readGroupEntries(reply);
              if (ownPending && entries.isEmpty()) {
                readOwnPending = false;
              }
              state.redis().succeeded("handler");
              backoff.reset();
              if (!entries.isEmpty()) {
                commitInBackground(entries);
              }
              loop();
            })
        .onFailure(this::onRedisFailure);
  }

  private void commitInBackground(List<Response> entries) {
    Future<Void> commit = handle(entries, false);
    commits.add(commit);
    commit.onComplete(
        ar -> {
          commits.remove(commit);
          if (ar.failed()) {
            onRedisFailure(ar.cause());
          } else {
            loop();
          }
        });
  }

  /**
   * A read or a commit failed: read this consumer's own pending entries first when the loop goes on
   * (a commit that failed left them pending), recreate the group if Redis lost it, and back off.
   */
  private void onRedisFailure(Throwable e) {
    if (stopped) {
      return;
    }
    readOwnPending = true;
    if (RedisOps.isNoGroup(e)) {
      LOG.atInfo()
          .addKeyValue("node", state.nodeId())
          .log("consumer group missing (Redis lost its data?): recreating it");
      ensureGroup().onComplete(ar -> later(backoff.nextDelayMs()));
      return;
    }
    state.redis().failed("handler", e);
    later(backoff.nextDelayMs());
  }

  private void later(long delayMs) {
    if (!stopped && loopTimer < 0) {
      loopTimer =
          vertx.setTimer(
              Math.max(1, delayMs),
              id -> {
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
    return committer
        .commit(judged, reclaimed)
        .andThen(
            ar ->
                state
                    .counters()
                    .latencies()
                    .commit(System.nanoTime() - startedNs, ar.succeeded() ? "ok" : "failed"))
        .map(
            result -> {
              record(judged, result, reclaimed);
              return null;
            });
  }

  /**
   * Counters (in messages) and latencies for what this node committed, not what another node
   * committed first.
   */
  private void record(List<Committer.Judged> judged, Committer.Result result, boolean reclaimed) {
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
        state
            .counters()
            .latencyMs()
            .recordValueWithCount(Math.min(3_600_000L, Math.max(0, committedAt - j.ts)), handled);
      }
    }
    c.processed.addAndGet(processed);
    c.errors.addAndGet(errors);
    c.deadLettered.addAndGet(dead);
    if (reclaimed) {
      c.reclaimed.addAndGet(processed + dead);
    }
  }

  /** On stop: commits what was delivered to this consumer but not yet handled, if Redis answers. */
  private Future<Void> finishOwnPending() {
    return redis
        .send(read(true))
        .recover(e -> RedisOps.isNoGroup(e) ? Future.succeededFuture() : Future.failedFuture(e))
        .compose(reply -> handle(Replies.readGroupEntries(reply), false))
        .onFailure(
            e ->
                LOG.atInfo()
                    .addKeyValue("node", state.nodeId())
                    .log("left pending messages for reclaim on stop ({})", e.getMessage()));
  }
}
