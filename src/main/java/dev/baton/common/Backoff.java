package dev.baton.common;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter for reconnects: first {@code minMs}, at most {@code maxMs}. */
public final class Backoff {
  private final long minMs;
  private final long maxMs;
  private long next;

  public Backoff(long minMs, long maxMs) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.next = minMs;
  }

  public long nextDelayMs() {
    long d = next;
    next = Math.min(maxMs, next * 2);
    long jitter = d / 4 == 0 ? 0 : ThreadLocalRandom.current().nextLong(d / 4 + 1);
    return d - d / 8 + jitter;
  }

  public void reset() {
    next = minMs;
  }
}
