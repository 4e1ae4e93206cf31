package dev.baton.state;

import dev.baton.common.Clock;

/**
 * This node's reading of the Redis server's clock, learnt from the server times its heartbeats
 * return: the offset between that clock and the node's monotonic one, from the reply with the
 * shortest round trip in the last minute (the least uncertain). Deadlines handed to plug-ins are
 * written on it, since every timestamp Baton stores comes from Redis. Before the first reading it
 * falls back to the node's wall clock.
 */
public final class RedisClock {
  private static final long KEEP_MS = 60_000;

  private long offsetMs;
  private long bestRoundTripMs = Long.MAX_VALUE;
  private long bestAtMs;
  private boolean known;

  /** A server time {@code serverMs} read by a call sent at {@code sentMs} and answered now. */
  public synchronized void observe(long serverMs, long sentMs) {
    long now = Clock.monotonicMs();
    long roundTrip = Math.max(0, now - sentMs);
    if (!known || roundTrip <= bestRoundTripMs || now - bestAtMs > KEEP_MS) {
      offsetMs = serverMs + roundTrip / 2 - now;
      bestRoundTripMs = roundTrip;
      bestAtMs = now;
      known = true;
    }
  }

  /** The Redis server's time now, in ms since the epoch. */
  public synchronized long nowMs() {
    return known ? Clock.monotonicMs() + offsetMs : System.currentTimeMillis();
  }
}
