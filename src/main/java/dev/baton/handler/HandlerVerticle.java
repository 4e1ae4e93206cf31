package dev.baton.handler;

import dev.baton.api.MessageHandler;
import dev.baton.bus.Addresses;
import dev.baton.bus.Events;
import dev.baton.common.Backoff;
import dev.baton.config.HandlerSettings;
import dev.baton.config.HeartbeatSettings;
import dev.baton.redis.DedicatedConnection;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.state.Component;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Reads messages from the stream's consumer group on a dedicated connection ({@code XREADGROUP
 * BLOCK}) and hands them to the {@link Dispatcher}, which runs the handler's plug-in on each and
 * commits them exactly once through {@link Committer}; the work other consumers left behind (idle
 * entries, vanished consumers, departed nodes, entries the group skipped) is the {@link
 * Reclaimer}'s, whose entries go the same way. Reading pauses while the dispatcher has no room
 * (attempt slots or commit slots full). It recreates the consumer group when Redis lost it. On stop
 * it takes nothing more, lets running attempts end within {@code handler.stopGraceMs} and commits
 * what is complete; the rest stays pending for another node. Invariant: an entry leaves the stream
 * only through the commit script, after its effect was applied exactly once.
 */
public final class HandlerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HandlerVerticle.class);
  private static final String GROUP_MISSING = "consumer-group-missing";

  private final HandlerSettings settings;
  private final HeartbeatSettings heartbeat;
  private final RedisOps.Factory redisFactory;
  private RedisOps redis;
  private final NodeContext node;
  private final Keys keys;
  private final NodeState state;
  private final DedicatedConnection.Factory readerFactory;
  private final MessageHandler plugin;
  private final RandomGenerator random;
  private final int maxTextBytes;
  private final Backoff backoff = new Backoff(50, 2_000);

  private DedicatedConnection reader;
  private Dispatcher dispatcher;
  private Claims claims;
  private boolean stopped;
  private boolean readOwnPending = true;
  private long loopTimer = -1;
  private boolean reading;
  private Reclaimer reclaimer;
  private MessageConsumer<Events.Absent> absentConsumer;

  /**
   * @param plugin judges each message; owned by the node (started before, stopped after this)
   * @param maxTextBytes longest message text accepted ({@code generator.maxMessageBytes})
   */
  public HandlerVerticle(
      HandlerSettings settings,
      HeartbeatSettings heartbeat,
      RedisOps.Factory redisFactory,
      NodeContext node,
      DedicatedConnection.Factory readerFactory,
      MessageHandler plugin,
      RandomGenerator random,
      int maxTextBytes) {
    this.settings = settings;
    this.heartbeat = heartbeat;
    this.redisFactory = redisFactory;
    this.node = node;
    this.keys = node.keys();
    this.state = node.state();
    this.readerFactory = readerFactory;
    this.plugin = plugin;
    this.random = random;
    this.maxTextBytes = maxTextBytes;
  }

  @Override
  public Future<?> start() {
    // commits, claims and reclaims go through a client of this verticle's own (see
    // RedisOps.Factory)
    redis = redisFactory.create(settings.maxInFlight() + 2);
    claims = new Claims(redis, keys, state.nodeId());
    dispatcher =
        new Dispatcher(
            vertx,
            plugin,
            settings,
            state,
            new Committer(redis, keys, state.nodeId(), node.audit()),
            claims,
            random,
            maxTextBytes,
            this::loop,
            this::groupMissing);
    reclaimer =
        new Reclaimer(
            vertx, redis, node, settings, heartbeat, dispatcher::accept, this::groupMissing);
    state.role().verticleStarted();
    reader = readerFactory.create(null, null);
    absentConsumer =
        Addresses.ABSENT.consume(
            vertx.eventBus(),
            state.nodeId(),
            absent -> absent.consumers().forEach(reclaimer::claimAbsent));
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
    Future<Void> dispatching = dispatcher.stop();
    return reader
        .close()
        .otherwiseEmpty()
        .compose(v -> Future.join(reclaiming, dispatching).otherwiseEmpty())
        .compose(v -> redis.close().otherwiseEmpty())
        .onComplete(ar -> state.role().verticleStopped());
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

  private Request read(int count) {
    return Request.cmd(Command.XREADGROUP)
        .arg("GROUP")
        .arg(Keys.HANDLERS_GROUP)
        .arg(state.nodeId())
        .arg("COUNT")
        .arg(count)
        .arg("BLOCK")
        .arg(settings.blockMs())
        .arg("STREAMS")
        .arg(keys.messages())
        .arg(">");
  }

  /**
   * Reads the next batch while the dispatcher has room: a free attempt slot, and fewer than {@code
   * handler.maxInFlight} commits outstanding (the read and the commits use different connections
   * and touch different entries, so overlapping them only saves round trips). First, at start and
   * after a failed read, it takes back its own pending entries that it does not hold (delivered by
   * a read whose reply was lost, or to an earlier process with this node id).
   */
  private void loop() {
    if (stopped || reading || loopTimer >= 0 || !dispatcher.room()) {
      return; // a read, a retry or the dispatcher's room will call again
    }
    boolean ownPending = readOwnPending;
    reading = true;
    Future<List<Dispatcher.Delivered>> read =
        ownPending
            ? ownPending()
            : reader
                .send(read(dispatcher.readCount()), settings.blockMs() + redis.timeoutMs())
                .map(HandlerVerticle::firstDeliveries);
    read.onComplete(ar -> reading = false)
        .onSuccess(
            entries -> {
              if (ownPending && entries.isEmpty()) {
                readOwnPending = false;
              }
              state.redis().succeeded(Component.HANDLER);
              backoff.reset();
              if (!entries.isEmpty()) {
                dispatcher.accept(entries, false);
              }
              loop();
            })
        .onFailure(this::onRedisFailure);
  }

  /** New entries a read returned: their first delivery. */
  private static List<Dispatcher.Delivered> firstDeliveries(Response reply) {
    List<Response> entries = Replies.readGroupEntries(reply);
    List<Dispatcher.Delivered> out = new ArrayList<>(entries.size());
    for (Response e : entries) {
      out.add(new Dispatcher.Delivered(e, 1));
    }
    return out;
  }

  /**
   * This consumer's pending entries that the dispatcher does not hold, claimed again by it (a new
   * delivery: the claim its attempts and commit run under). XPENDING lists them without counting a
   * delivery, so the entries the dispatcher works on keep their claim; XREADGROUP with id 0 would
   * count one for every pending entry.
   */
  private Future<List<Dispatcher.Delivered>> ownPending() {
    return redis
        .send(
            Request.cmd(Command.XPENDING)
                .arg(keys.messages())
                .arg(Keys.HANDLERS_GROUP)
                .arg("-")
                .arg("+")
                .arg(settings.batchSize())
                .arg(state.nodeId()))
        .compose(
            pending -> {
              List<String> ids = new ArrayList<>();
              Map<String, Integer> counts = new HashMap<>();
              for (Response p : pending) {
                String id = p.get(0).toString();
                if (!dispatcher.holds(id)) {
                  ids.add(id);
                  counts.put(id, p.get(3).toInteger() + 1);
                }
              }
              if (ids.isEmpty()) {
                return Future.succeededFuture(List.<Dispatcher.Delivered>of());
              }
              Request claim =
                  Request.cmd(Command.XCLAIM)
                      .arg(keys.messages())
                      .arg(Keys.HANDLERS_GROUP)
                      .arg(state.nodeId())
                      .arg(0);
              ids.forEach(claim::arg);
              return redis
                  .send(claim)
                  .map(
                      claimed -> {
                        List<Dispatcher.Delivered> out = new ArrayList<>();
                        for (Response e : claimed) {
                          if (e != null && e.size() > 0) {
                            out.add(
                                new Dispatcher.Delivered(
                                    e, counts.getOrDefault(e.get(0).toString(), 1)));
                          }
                        }
                        return out;
                      });
            });
  }

  /** Redis lost the consumer group: what this node held is gone; recreate it and read again. */
  private void groupMissing() {
    if (stopped) {
      return;
    }
    readOwnPending = true;
    state
        .stateLog()
        .on(
            GROUP_MISSING,
            GROUP_MISSING,
            Level.WARN,
            "consumer group missing (Redis lost its data?): recreating it",
            "the consumer group is back");
    dispatcher.dropAll();
    ensureGroup()
        .onSuccess(v -> state.stateLog().over(GROUP_MISSING))
        .onComplete(ar -> later(backoff.nextDelayMs()));
  }

  /**
   * A read failed: read this consumer's own pending entries first when the loop goes on, recreate
   * the group if Redis lost it, and back off.
   */
  private void onRedisFailure(Throwable e) {
    if (stopped) {
      return;
    }
    readOwnPending = true;
    if (RedisOps.isNoGroup(e)) {
      groupMissing();
      return;
    }
    state.redis().failed(Component.HANDLER, e);
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
}
