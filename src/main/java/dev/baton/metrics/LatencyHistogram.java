package dev.baton.metrics;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The publish-to-commit latency of every committed message as a Prometheus histogram with fixed
 * buckets, {@code baton_message_latency_seconds}. A pack of messages commits in one call with one
 * latency, so an observation carries a count (Micrometer's timers record one event at a time): the
 * histogram's {@code _count} is messages, as {@code baton_messages_processed_total} is. Recording
 * is lock-free; a scrape derives the count from the bucket counts it read, so they always agree.
 */
final class LatencyHistogram implements Collector {
  static final String NAME = "baton_message_latency_seconds";

  /** Upper bounds in seconds; +Inf is added. From a Redis round trip up to a long outage. */
  static final double[] BOUNDS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300
  };

  private final Labels labels;
  private final LongAdder[] counts = new LongAdder[BOUNDS.length + 1];
  private final DoubleAdder sumSeconds = new DoubleAdder();

  LatencyHistogram(String nodeId) {
    this.labels = Labels.of("node", nodeId);
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  void observe(long latencyMs, long count) {
    if (count <= 0) {
      return;
    }
    double seconds = latencyMs / 1000.0;
    int i = 0;
    while (i < BOUNDS.length && seconds > BOUNDS[i]) {
      i++;
    }
    counts[i].add(count);
    sumSeconds.add(seconds * count);
  }

  @Override
  public String getPrometheusName() {
    return NAME;
  }

  @Override
  public MetricSnapshot collect() {
    double[] upper = new double[counts.length];
    long[] perBucket = new long[counts.length];
    for (int i = 0; i < counts.length; i++) {
      upper[i] = i < BOUNDS.length ? BOUNDS[i] : Double.POSITIVE_INFINITY;
      perBucket[i] = counts[i].sum();
    }
    return HistogramSnapshot.builder()
        .name(NAME)
        .help("publish (Redis clock) to commit of each message this node committed, in seconds")
        .dataPoint(
            HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, perBucket))
                .sum(sumSeconds.sum())
                .labels(labels)
                .build())
        .build();
  }
}
