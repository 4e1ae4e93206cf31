package dev.baton.handler;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Scripts;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code hold.lua}, typed: keeps this consumer's claim on the entries it works on (their idle time
 * reset, so nobody reclaims live work) and counts a retry's attempt in Redis.
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

  /** An entry this consumer holds under its {@code deliveries}-th delivery. */
  record Claim(String entryId, int deliveries) {}

  /**
   * Keeps {@code claims}: per claim the delivery count (unchanged), or 0 when it no longer holds
   * (another consumer took the entry, it was delivered again, or committed).
   */
  Future<List<Integer>> keep(List<Claim> claims) {
    return call(0, claims);
  }

  /**
   * Starts a new attempt under {@code claim}: the new delivery count, or 0 when it no longer holds.
   */
  Future<Integer> retry(Claim claim) {
    return call(1, List.of(claim)).map(counts -> counts.get(0));
  }

  private Future<List<Integer>> call(int retries, List<Claim> claims) {
    List<String> args = new ArrayList<>(3 + 2 * claims.size());
    args.add(Keys.HANDLERS_GROUP);
    args.add(consumer);
    args.add(Integer.toString(retries));
    for (Claim c : claims) {
      args.add(c.entryId());
      args.add(Integer.toString(c.deliveries()));
    }
    return redis.eval(Scripts.HOLD, List.of(keys.messages()), args).map(Claims::counts);
  }

  static List<Integer> counts(Response r) {
    List<Integer> out = new ArrayList<>(r.size());
    r.forEach(c -> out.add(c == null ? 0 : c.toInteger()));
    return out;
  }
}
