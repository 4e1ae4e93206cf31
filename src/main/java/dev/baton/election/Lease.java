package dev.baton.election;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Future;
import java.util.List;

/**
 * The generator lease in Redis: acquire, renew and release, each one atomic script ({@link
 * AcquireScript}, {@link RenewScript}, {@link ReleaseScript}).
 */
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
            AcquireScript.SCRIPT,
            AcquireScript.keys(keys),
            AcquireScript.args(nodeId, leaseMs, epochFloor, mode))
        .map(AcquireScript::reply);
  }

  /** True when the lease was extended; false when it no longer names this node and epoch. */
  public Future<Boolean> renew(long epoch) {
    return redis
        .eval(RenewScript.SCRIPT, RenewScript.keys(keys), RenewScript.args(nodeId, epoch, leaseMs))
        .map(RenewScript::reply);
  }

  public Future<Boolean> release(long epoch) {
    return redis
        .eval(
            ReleaseScript.SCRIPT,
            ReleaseScript.keys(keys),
            ReleaseScript.args(nodeId, epoch, keys.events()))
        .map(ReleaseScript::reply);
  }
}
