package dev.baton.support;

import dev.baton.redis.Keys;
import java.time.Duration;

/**
 * Stops generation without stopping any node: a fake holder takes the lease (and a new epoch), so
 * the generator's next publish is fenced and every node becomes a handler; then waits until the
 * handlers committed everything (entries stranded on dead consumers are reclaimed first).
 */
public final class Quiesce {
  private Quiesce() {}

  public static void holdBaton(TestRedis rc, Keys keys) {
    rc.cmd("SET", keys.leader(), "quiesce", "PX", "3600000");
    rc.cmd("INCR", keys.epoch());
  }

  public static void releaseBaton(TestRedis rc, Keys keys) {
    rc.cmd("DEL", keys.leader());
  }

  public static void awaitDrained(TestRedis rc, Keys keys, Duration bound) {
    Await.until("every message committed", bound, () -> rc.num("XLEN", keys.messages()) == 0);
  }
}
