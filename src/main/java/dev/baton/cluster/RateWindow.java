package dev.baton.cluster;

import java.util.ArrayDeque;

/**
 * A per-second rate from successive samples of a growing counter, averaged over a sliding window
 * (the newest sample against the newest one at least {@code windowMs} older, else the oldest). A
 * counter that goes down (a restarted node, a Redis that came back empty) starts it afresh. Not
 * thread-safe: one event loop feeds and reads it.
 */
public final class RateWindow {
  private record Sample(long timeMs, long count) {}

  private final long windowMs;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();

  public RateWindow(long windowMs) {
    if (windowMs <= 0) {
      throw new IllegalArgumentException("windowMs must be positive, got " + windowMs);
    }
    this.windowMs = windowMs;
  }

  /** Records the counter's value at {@code timeMs} (any clock, as long as it is the same one). */
  public void add(long timeMs, long count) {
    Sample last = samples.peekLast();
    if (last != null && (count < last.count || timeMs < last.timeMs)) {
      samples.clear();
    } else if (last != null && timeMs == last.timeMs) {
      samples.pollLast();
    }
    samples.addLast(new Sample(timeMs, count));
    // keep one sample at or before the window's start, so the rate always spans the whole window
    while (samples.size() > 2 && isBeforeWindow(secondOldest(), timeMs)) {
      samples.pollFirst();
    }
  }

  /** Events per second over the window; 0 until two samples at different times exist. */
  public double perSecond() {
    if (samples.size() < 2) {
      return 0;
    }
    Sample first = samples.peekFirst();
    Sample last = samples.peekLast();
    return (last.count - first.count) * 1000.0 / (last.timeMs - first.timeMs);
  }

  /** {@link #perSecond()} rounded to two decimals, for display. */
  public double perSecondRounded() {
    return Math.round(perSecond() * 100) / 100.0;
  }

  private boolean isBeforeWindow(Sample s, long nowMs) {
    return s.timeMs <= nowMs - windowMs;
  }

  private Sample secondOldest() {
    var it = samples.iterator();
    it.next();
    return it.next();
  }
}
