package dev.baton.election;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.redis.Scripts;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.List;

/** The generator lease in Redis: acquire, renew and release, each one atomic script. */
public final class Lease {
  private final RedisOps redis;
  private final Keys keys;
  private final String nodeId;
  private final long leaseMs;

  /** The outcome of an acquire attempt. */
  public record Attempt(boolean granted, long epoch, long pttlMs, String holder) {}

  public Lease(RedisOps redis, Keys keys, String nodeId, long leaseMs) {
    this.redis = redis;
    this.keys = keys;
    this.nodeId = nodeId;
    this.leaseMs = leaseMs;
  }

  public Future<Attempt> acquire(long epochFloor) {
    return redis.eval(Scripts.ACQUIRE, List.of(keys.leader(), keys.epoch(), keys.grants()),
            List.of(nodeId, Long.toString(leaseMs), Long.toString(epochFloor)))
        .map(Lease::attempt);
  }

  /** True when the lease was extended; false when it no longer names this node and epoch. */
  public Future<Boolean> renew(long epoch) {
    return redis.eval(Scripts.RENEW, List.of(keys.leader(), keys.epoch()),
            List.of(nodeId, Long.toString(epoch), Long.toString(leaseMs)))
        .map(r -> Replies.num(r, 0) == 1);
  }

  public Future<Boolean> release(long epoch) {
    return redis.eval(Scripts.RELEASE, List.of(keys.leader(), keys.epoch()),
            List.of(nodeId, Long.toString(epoch), keys.events()))
        .map(r -> Replies.num(r, 0) == 1);
  }

  private static Attempt attempt(Response r) {
    return new Attempt(Replies.num(r.get(0), 0) == 1, Replies.num(r.get(1), 0), Replies.num(r.get(2), -2),
        Replies.str(r.get(3)));
  }
}
