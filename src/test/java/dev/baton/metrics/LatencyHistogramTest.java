package dev.baton.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
  private static HistogramSnapshot.HistogramDataPointSnapshot point(LatencyHistogram h) {
    return ((HistogramSnapshot) h.collect()).getDataPoints().get(0);
  }

  private static Map<Double, Long> buckets(LatencyHistogram h) {
    Map<Double, Long> out = new LinkedHashMap<>();
    for (ClassicHistogramBucket b : point(h).getClassicBuckets()) {
      out.put(b.getUpperBound(), b.getCount());
    }
    return out;
  }

  @Test
  void aPackCountsEachOfItsMessagesInTheBucketOfItsLatency() {
    LatencyHistogram h = new LatencyHistogram("n1");
    h.observe(3, 64); // one pack of 64 messages, 3 ms
    h.observe(1, 1); // exactly on a bound: counted in that bucket (le is "less or equal")
    h.observe(7_200_000, 2); // past the last bound

    Map<Double, Long> b = buckets(h);
    assertThat(b.get(0.001)).isEqualTo(1);
    assertThat(b.get(0.005)).isEqualTo(64);
    assertThat(b.get(Double.POSITIVE_INFINITY)).isEqualTo(2);
    assertThat(b.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(67);
    assertThat(point(h).getCount()).isEqualTo(67);
    assertThat(point(h).getSum()).isCloseTo(64 * 0.003 + 0.001 + 2 * 7200.0, offset(1e-9));
    assertThat(point(h).getLabels().get("node")).isEqualTo("n1");
  }

  @Test
  void nothingOrNoMessagesLeaveItEmpty() {
    LatencyHistogram h = new LatencyHistogram("n1");
    h.observe(5, 0);
    assertThat(point(h).getCount()).isZero();
    assertThat(buckets(h)).hasSize(LatencyHistogram.BOUNDS.length + 1);
  }
}
