package dev.baton.state;

import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * What this node did, in messages (reported by /status and the metrics), its publish-to-commit
 * latencies, and where verticles report the duration of their Redis round trips.
 */
public final class Counters {
  public final AtomicLong published = new AtomicLong();
  public final AtomicLong processed = new AtomicLong();
  public final AtomicLong errors = new AtomicLong();
  public final AtomicLong reclaimed = new AtomicLong();
  public final AtomicLong deadLettered = new AtomicLong();

  /** Messages this node found behind the group's cursor, never delivered, and delivered itself. */
  public final AtomicLong skipped = new AtomicLong();

  /** Publish (Redis clock) to commit (this node's clock, the same machine's in practice), in ms. */
  private final SynchronizedHistogram latencyMs = new SynchronizedHistogram(3_600_000L, 3);

  private volatile Latencies latencies = IGNORED;

  /** Where verticles report how long their Redis round trips took; the metrics registry listens. */
  public interface Latencies {
    /**
     * A lease renewal took {@code nanos}; outcome {@code extended}, {@code lost} or {@code failed}.
     */
    void leaseRenewal(long nanos, String outcome);

    /** A commit call took {@code nanos}; outcome {@code ok} or {@code failed}. */
    void commit(long nanos, String outcome);

    /** An attempt of the handler's plug-in took {@code nanos}; outcome ok, error or failed. */
    void handlerAttempt(long nanos, String outcome);

    /** A call of the generator's source took {@code nanos}; outcome as its tick's. */
    void sourceCall(long nanos, String outcome);

    /** {@code count} messages were committed {@code latencyMs} after they were published. */
    void message(long latencyMs, long count);
  }

  private static final Latencies IGNORED =
      new Latencies() {
        @Override
        public void leaseRenewal(long nanos, String outcome) {}

        @Override
        public void commit(long nanos, String outcome) {}

        @Override
        public void handlerAttempt(long nanos, String outcome) {}

        @Override
        public void sourceCall(long nanos, String outcome) {}

        @Override
        public void message(long latencyMs, long count) {}
      };

  /** Publish-to-commit latencies of the messages this node committed (ms, 1 ms resolution). */
  public SynchronizedHistogram latencyMs() {
    return latencyMs;
  }

  /**
   * Records that {@code count} messages were committed {@code latencyMs} after their publish
   * (capped at an hour), here and in the observer.
   */
  public void committed(long latencyMs, long count) {
    long ms = Math.min(3_600_000L, Math.max(0, latencyMs));
    latencyMs().recordValueWithCount(ms, count);
    latencies.message(ms, count);
  }

  public Latencies latencies() {
    return latencies;
  }

  public void latencies(Latencies observer) {
    this.latencies = observer;
  }
}
