package dev.baton.handler;

import dev.baton.handler.HoldScript.Claim;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Future;
import java.util.List;

/**
 * {@code hold.lua} ({@link HoldScript}) for one consumer: keeps its claim on the entries it works
 * on (their idle time reset, so nobody reclaims live work) and counts a retry's attempt in Redis.
 */
final class Claims {
  private final RedisOps redis;
  private final Keys keys;
  private final String consumer;

  Claims(RedisOps redis, Keys keys, String consumer) {
    this.redis = redis;
    this.keys = keys;
    this.consumer = consumer;
  }

  /**
   * Keeps {@code claims}: per claim the delivery count (unchanged), or 0 when it no longer holds
   * (another consumer took the entry, it was delivered again, or committed).
   */
  Future<List<Integer>> keep(List<Claim> claims) {
    return call(false, claims);
  }

  /**
   * Starts a new attempt under {@code claim}: the new delivery count, or 0 when it no longer holds.
   */
  Future<Integer> retry(Claim claim) {
    return call(true, List.of(claim)).map(counts -> counts.get(0));
  }

  private Future<List<Integer>> call(boolean retry, List<Claim> claims) {
    return redis
        .eval(HoldScript.SCRIPT, HoldScript.keys(keys), HoldScript.args(consumer, retry, claims))
        .map(HoldScript::reply);
  }
}
