package dev.baton.election;

import dev.baton.bus.Addresses;
import dev.baton.bus.Events;
import dev.baton.bus.Leadership;
import dev.baton.common.Clock;
import dev.baton.config.ElectionSettings;
import dev.baton.config.PresenceSettings;
import dev.baton.redis.DedicatedConnection;
import dev.baton.redis.RedisOps;
import dev.baton.state.Component;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Holds or waits for the generator lease and announces each change ({@link Leadership.Granted} /
 * {@link Leadership.Revoked}) on the event bus. Invariant: this node believes it leads only while
 * its lease provably still runs in Redis, counted from when the last successful renewal was sent,
 * minus a safety margin. So there is never a second generator by this node's own account; and since
 * every publish is fenced in Redis, not even a paused or partitioned one can act as such. Sometimes
 * there is none for a lease's length.
 *
 * <p>Followers sleep until the holder's lease would run out (its PTTL), so they cost about one
 * command per lease while a leader renews, and take over as soon as it lapses; a graceful release
 * is also announced over Pub/Sub so a follower takes over at once.
 *
 * <p>With presence on, the node holds a presence subscription for its whole life (see {@link
 * Subscriber}), and the one follower the heartbeats name the <em>watcher</em> asks every {@code
 * presence.watchMs} instead of sleeping: {@code acquire.lua} hands it the lease at once, with a new
 * epoch, when the holder's presence vanished (its process died and Redis dropped its connection),
 * and names the consumers whose node vanished with entries still pending, which the watcher's
 * handler then claims. A frozen holder keeps its connection, so the lease still decides for it.
 */
public final class ElectionVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ElectionVerticle.class);
  private static final String NO_EXPIRY = "lease-no-expiry";

  private final ElectionSettings settings;
  private final Lease lease;
  private final NodeContext node;
  private final NodeState state;
  private final DedicatedConnection.Factory subscriberFactory;
  private final Function<String, DedicatedConnection.Factory> clusterNode;
  private final RedisOps redis;
  private final PresenceSettings presence;
  private final long marginMs;
  private final long retryMs;

  /** Where this node stands: one state instead of parallel flags. */
  enum Phase {
    /** Not leading; an attempt is scheduled or a release notice will wake it. */
    FOLLOWING,
    /** An acquire is on its way to Redis. */
    ATTEMPTING,
    /** Holding the lease: renewing it, revoking at its deadline. */
    LEADING,
    /** Undeployed: no attempt, no renewal. */
    STOPPED
  }

  private volatile Phase phase = Phase.FOLLOWING;
  private long epoch;
  private long validUntilMs;
  private long maxEpochSeen;
  private long attemptTimer = -1;
  private long renewTimer = -1;
  private long guardTimer = -1;
  private boolean watching;
  private volatile LeaseHolder knownHolder = LeaseHolder.NONE;
  private Subscriber subscriber;
  private MessageConsumer<Events.Fenced> fencedConsumer;
  private MessageConsumer<Events.Watcher> watcherConsumer;

  /**
   * @param subscriberFactory makes the connection the released-lease notices and the presence
   *     subscription live on, or null to rely on the lease TTL alone (no presence either)
   * @param clusterNode with Redis Cluster, makes connections to one node ({@code host:port}), so
   *     the subscriber sits on the master of the keys' slot; null otherwise
   */
  public ElectionVerticle(
      ElectionSettings settings,
      PresenceSettings presence,
      RedisOps redis,
      NodeContext node,
      DedicatedConnection.Factory subscriberFactory,
      Function<String, DedicatedConnection.Factory> clusterNode) {
    this.clusterNode = clusterNode;
    this.settings = settings;
    this.lease = new Lease(redis, node.keys(), node.nodeId(), settings.leaseMs());
    this.node = node;
    this.state = node.state();
    this.subscriberFactory = subscriberFactory;
    this.redis = redis;
    this.presence =
        subscriberFactory == null ? new PresenceSettings(false, presence.watchMs()) : presence;
    this.marginMs = Math.max(1, settings.leaseMs() / 10);
    this.retryMs = Math.max(50, Math.min(1000, settings.leaseMs() / 4));
  }

  /** Whether this node holds the lease now (readable from any thread). */
  public boolean leading() {
    return phase == Phase.LEADING;
  }

  /**
   * The holder and epoch this node saw last (from its own grants and attempts), read as one pair.
   */
  public LeaseHolder knownHolder() {
    return knownHolder;
  }

  @Override
  public Future<?> start() {
    fencedConsumer =
        Addresses.FENCED.consume(
            vertx.eventBus(),
            state.nodeId(),
            fenced -> {
              if (phase == Phase.LEADING && fenced.epoch() == epoch) {
                revoke("a publish was refused by the fence (another node holds the lease)");
              }
            });
    watching =
        presence.enabled() && state.role().watcher(); // the first beat may have named it already
    watcherConsumer =
        Addresses.WATCHER.consume(
            vertx.eventBus(),
            state.nodeId(),
            watcher -> {
              watching = presence.enabled() && watcher.watching();
              if (watching && phase == Phase.FOLLOWING) {
                scheduleAttempt(presence.watchMs());
              }
            });
    // subscribe (and register presence) before the first attempt, so a fresh holder is never seen
    // absent
    Future<Void> subscribed = Future.succeededFuture();
    if (subscriberFactory != null) {
      subscriber =
          new Subscriber(
              vertx,
              subscriberFactory,
              clusterNode,
              redis,
              node,
              presence.enabled(),
              this::onReleased);
      subscribed = subscriber.start();
    }
    Future<Void> ready = subscribed;
    return Future.all(fencedConsumer.completion(), watcherConsumer.completion())
        .compose(v -> ready)
        .compose(v -> attempt());
  }

  @Override
  public Future<?> stop() {
    boolean wasLeading = phase == Phase.LEADING;
    phase = Phase.STOPPED;
    cancelTimers();
    Future<?> closing = subscriber == null ? Future.succeededFuture() : subscriber.close();
    if (!wasLeading) {
      return closing;
    }
    long releasing = epoch;
    return lease
        .release(releasing)
        .onSuccess(
            released ->
                LOG.atInfo()
                    .addKeyValue("node", state.nodeId())
                    .log("released the lease of epoch {} on stop", releasing))
        // the subscriber closes either way; a lease left to lapse makes the stop a failed one (the
        // exit code), and the node's stop says why in its one line
        .transform(
            released ->
                closing.transform(
                    c ->
                        released.failed()
                            ? Future.failedFuture(
                                new IllegalStateException(
                                    "could not release the lease of epoch "
                                        + releasing
                                        + " ("
                                        + firstLine(released.cause())
                                        + "); it lapses by itself"))
                            : Future.succeededFuture()));
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private Future<Void> attempt() {
    if (phase != Phase.FOLLOWING) {
      return Future.succeededFuture();
    }
    if (state.role().duplicateNodeId()) {
      // another process runs with this node id: competing with it for the lease would make the
      // two take it from each other in turn, so wait until it is gone (NodeState logs it)
      scheduleAttempt(retryMs);
      return Future.succeededFuture();
    }
    phase = Phase.ATTEMPTING;
    cancel(attemptTimer);
    attemptTimer = -1;
    long sentAt = Clock.monotonicMs();
    Lease.Mode mode =
        !presence.enabled() ? Lease.Mode.LEASE : watching ? Lease.Mode.WATCH : Lease.Mode.TAKEOVER;
    return lease
        .acquire(maxEpochSeen, mode)
        .onComplete(
            ar -> {
              if (phase == Phase.ATTEMPTING) {
                phase = Phase.FOLLOWING;
              }
            })
        .onSuccess(a -> acquired(a, sentAt))
        .onFailure(
            e -> {
              state.redis().failed(Component.ELECTION, e);
              scheduleAttempt(retryMs);
            })
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /**
   * Redis answered an acquire sent at {@code sentAt}: this node leads, counted from then, if the
   * lease was granted in time; else it tells its handler which consumers of vanished nodes still
   * hold entries, and sleeps until the holder's lease would run out (a watcher asks again sooner).
   */
  private void acquired(Lease.Attempt a, long sentAt) {
    state.redis().succeeded(Component.ELECTION);
    maxEpochSeen = Math.max(maxEpochSeen, a.epoch());
    knownHolder = new LeaseHolder(a.holder() == null ? "" : a.holder(), a.epoch());
    if (phase == Phase.STOPPED) {
      return;
    }
    if (a.granted() && Clock.monotonicMs() >= sentAt + settings.leaseMs() - marginMs) {
      // the answer took longer than the lease (Redis was frozen): the grant may already
      // have lapsed, so take a fresh one rather than act on it
      scheduleAttempt(0);
    } else if (a.granted()) {
      if (!a.takenFrom().isEmpty()) {
        LOG.atInfo()
            .addKeyValue("node", state.nodeId())
            .log(
                "{}'s presence vanished (its connection closed): taking the lease over",
                a.takenFrom());
      }
      grant(a.epoch(), sentAt);
    } else {
      if (!a.absent().isEmpty()) {
        Addresses.ABSENT.publish(vertx.eventBus(), state.nodeId(), new Events.Absent(a.absent()));
      }
      long delay = followerDelay(a.pttlMs());
      scheduleAttempt(watching ? Math.min(delay, presence.watchMs()) : delay);
    }
  }

  private long followerDelay(long pttlMs) {
    if (pttlMs == -2) {
      return 0; // expired between the two reads: try again now
    }
    if (pttlMs < 0) {
      state
          .stateLog()
          .on(
              NO_EXPIRY,
              NO_EXPIRY,
              Level.WARN,
              "the lease key has no expiry (set by hand?); checking every lease period",
              "the lease key expires again");
      return settings.leaseMs();
    }
    state.stateLog().over(NO_EXPIRY);
    return pttlMs + 1;
  }

  private void grant(long newEpoch, long sentAt) {
    phase = Phase.LEADING;
    epoch = newEpoch;
    validUntilMs = sentAt + settings.leaseMs() - marginMs;
    LOG.atInfo().addKeyValue("node", state.nodeId()).log("granted the lease, epoch {}", newEpoch);
    announce(new Leadership.Granted(newEpoch));
    armGuard();
    scheduleRenew(sentAt + settings.renewMs());
  }

  private void renew() {
    renewTimer = -1;
    if (phase != Phase.LEADING) {
      return;
    }
    long renewingEpoch = epoch;
    long sentAt = Clock.monotonicMs();
    long startedNs = System.nanoTime();
    lease
        .renew(renewingEpoch)
        .onComplete(
            ar ->
                state
                    .counters()
                    .latencies()
                    .leaseRenewal(
                        System.nanoTime() - startedNs,
                        ar.failed() ? "failed" : ar.result() ? "extended" : "lost"))
        .onSuccess(
            extended -> {
              state.redis().succeeded(Component.ELECTION);
              if (phase != Phase.LEADING || epoch != renewingEpoch) {
                return;
              }
              if (extended) {
                validUntilMs = Math.max(validUntilMs, sentAt + settings.leaseMs() - marginMs);
                armGuard();
                scheduleRenew(sentAt + settings.renewMs());
              } else {
                revoke("the lease no longer names this node and epoch");
              }
            })
        .onFailure(
            e -> {
              state.redis().failed(Component.ELECTION, e);
              if (phase == Phase.LEADING && epoch == renewingEpoch) {
                // keep trying until the guard revokes at validUntil
                scheduleRenew(Clock.monotonicMs() + Math.min(settings.renewMs(), retryMs));
              }
            });
  }

  private void armGuard() {
    cancel(guardTimer);
    long delay = Math.max(1, validUntilMs - Clock.monotonicMs());
    guardTimer =
        vertx.setTimer(
            delay,
            id -> {
              guardTimer = -1;
              if (phase == Phase.LEADING && Clock.monotonicMs() >= validUntilMs) {
                revoke("no renewal succeeded within the lease");
              } else if (phase == Phase.LEADING) {
                armGuard();
              }
            });
  }

  private void revoke(String reason) {
    if (phase != Phase.LEADING) {
      return;
    }
    phase = Phase.FOLLOWING;
    cancel(renewTimer);
    cancel(guardTimer);
    renewTimer = -1;
    guardTimer = -1;
    LOG.atInfo().addKeyValue("node", state.nodeId()).log("revoked epoch {}: {}", epoch, reason);
    announce(new Leadership.Revoked(epoch, reason));
    scheduleAttempt(0);
  }

  private void announce(Leadership change) {
    Addresses.ELECTION.publish(vertx.eventBus(), state.nodeId(), change);
  }

  private void scheduleRenew(long atMs) {
    cancel(renewTimer);
    renewTimer = vertx.setTimer(Math.max(1, atMs - Clock.monotonicMs()), id -> renew());
  }

  private void scheduleAttempt(long delayMs) {
    if (phase == Phase.STOPPED || phase == Phase.LEADING) {
      return;
    }
    cancel(attemptTimer);
    attemptTimer =
        vertx.setTimer(
            Math.max(1, delayMs),
            id -> {
              attemptTimer = -1;
              attempt();
            });
  }

  private void onReleased() {
    if (phase == Phase.FOLLOWING) {
      attempt();
    }
  }

  private void cancelTimers() {
    cancel(attemptTimer);
    cancel(renewTimer);
    cancel(guardTimer);
    attemptTimer = renewTimer = guardTimer = -1;
  }

  private void cancel(long timer) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
