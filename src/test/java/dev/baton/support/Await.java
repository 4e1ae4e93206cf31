package dev.baton.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls for a condition instead of sleeping: returns as soon as it holds, fails after a bound. */
public final class Await {
  private static final long POLL_MS = 10;

  private Await() {}

  public static void until(String what, Duration bound, BooleanSupplier condition) {
    long deadline = System.nanoTime() + bound.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
        last = null;
      } catch (RuntimeException e) {
        last = e;
      }
      pause();
    }
    AssertionError err =
        new AssertionError("timed out after " + bound.toMillis() + " ms waiting for: " + what);
    if (last != null) {
      err.initCause(last);
    }
    throw err;
  }

  /** Waits until {@code supplier} yields a non-null value and returns it. */
  public static <T> T value(String what, Duration bound, Supplier<T> supplier) {
    Object[] holder = new Object[1];
    until(what, bound, () -> (holder[0] = supplier.get()) != null);
    @SuppressWarnings("unchecked")
    T t = (T) holder[0];
    return t;
  }

  private static void pause() {
    try {
      Thread.sleep(POLL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
