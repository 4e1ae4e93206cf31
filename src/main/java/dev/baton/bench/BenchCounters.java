package dev.baton.bench;

import dev.baton.redis.Keys;
import io.vertx.redis.client.Response;

/** The cluster's message counters in its stats hash, as a throughput run polls them. */
record BenchCounters(long published, long processed, long deadLettered) {
  static BenchCounters read(Target target, Keys keys) {
    Response r = target.cmd("HMGET", keys.stats(), "published", "processed", "deadLettered");
    return new BenchCounters(count(r, 0), count(r, 1), count(r, 2));
  }

  private static long count(Response r, int i) {
    return r.get(i) == null ? 0 : r.get(i).toLong();
  }

  /** Messages with their final outcome: committed or dead-lettered. */
  long done() {
    return processed + deadLettered;
  }
}
