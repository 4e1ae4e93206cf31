package dev.baton.common;

/** The node's monotonic clock, for durations only (wall clocks are never compared across nodes). */
public final class Clock {
  private Clock() {}

  /** Milliseconds from an arbitrary origin; only differences mean something. */
  public static long monotonicMs() {
    return System.nanoTime() / 1_000_000;
  }
}
