package dev.baton.election;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.redis.Scripts;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/** The generator lease in Redis: acquire, renew and release, each one atomic script. */
public final class Lease {
  private final RedisOps redis;
  private final Keys keys;
  private final String nodeId;
  private final long leaseMs;

  /**
   * The outcome of an acquire attempt: {@code takenFrom} names the holder whose presence vanished
   * when the grant was a takeover (else empty); {@code absent} lists the consumers that hold
   * entries and whose node's presence is gone (asked for by the watcher only).
   */
  public record Attempt(
      boolean granted,
      long epoch,
      long pttlMs,
      String holder,
      String takenFrom,
      List<String> absent) {}

  /**
   * How an attempt uses presence. Each mode reaches {@code acquire.lua} as its {@link #wire()}
   * value (ARGV[4]), fixed here so that reordering the constants never changes the protocol.
   */
  public enum Mode {
    /** The lease alone. */
    LEASE(0),
    /** Also take over from a holder whose presence vanished. */
    TAKEOVER(1),
    /** That, and list the absent consumers holding entries (the watcher's poll). */
    WATCH(2);

    private final int wire;

    Mode(int wire) {
      this.wire = wire;
    }

    /** The value {@code acquire.lua} reads. */
    public int wire() {
      return wire;
    }
  }

  public Lease(RedisOps redis, Keys keys, String nodeId, long leaseMs) {
    this.redis = redis;
    this.keys = keys;
    this.nodeId = nodeId;
    this.leaseMs = leaseMs;
  }

  /** An attempt by the lease alone. */
  public Future<Attempt> acquire(long epochFloor) {
    return acquire(epochFloor, Mode.LEASE);
  }

  public Future<Attempt> acquire(long epochFloor, Mode mode) {
    return redis
        .eval(
            Scripts.ACQUIRE,
            List.of(keys.leader(), keys.epoch(), keys.grants(), keys.presence(), keys.messages()),
            List.of(
                nodeId,
                Long.toString(leaseMs),
                Long.toString(epochFloor),
                Integer.toString(mode.wire()),
                Keys.HANDLERS_GROUP))
        .map(Lease::attempt);
  }

  /** True when the lease was extended; false when it no longer names this node and epoch. */
  public Future<Boolean> renew(long epoch) {
    return redis
        .eval(
            Scripts.RENEW,
            List.of(keys.leader(), keys.epoch()),
            List.of(nodeId, Long.toString(epoch), Long.toString(leaseMs)))
        .map(r -> Replies.toLong(r, 0) == 1);
  }

  public Future<Boolean> release(long epoch) {
    return redis
        .eval(
            Scripts.RELEASE,
            List.of(keys.leader(), keys.epoch()),
            List.of(nodeId, Long.toString(epoch), keys.events()))
        .map(r -> Replies.toLong(r, 0) == 1);
  }

  static Attempt attempt(Response r) {
    List<String> absent = new ArrayList<>();
    if (r.size() > 5 && r.get(5) != null) {
      r.get(5).forEach(c -> absent.add(c.toString()));
    }
    return new Attempt(
        Replies.toLong(r.get(0), 0) == 1,
        Replies.toLong(r.get(1), 0),
        Replies.toLong(r.get(2), -2),
        Replies.str(r.get(3)),
        r.size() > 4 && r.get(4) != null ? r.get(4).toString() : "",
        absent);
  }
}
