package dev.baton.cluster;

import io.vertx.core.json.JsonArray;
import java.util.ArrayDeque;

/**
 * The last minute of the live page's series, kept by the node whether or not a page is open: for
 * each sample of the cluster totals (Redis clock), the published and processed rates and the
 * backlog. The heartbeat's health probe adds a sample every beat from what it reads anyway, and an
 * open page's poll adds its own, so a page opened at any time draws full charts at once. Samples
 * from the two readers may arrive out of order: one older than the newest is dropped, unless it is
 * far older (the Redis clock went back: another server), which starts afresh. Thread-safe: the
 * heartbeat and the HTTP verticle run on different threads.
 */
public final class PageHistory {
  public static final long HISTORY_MS = 60_000;
  public static final long RATE_WINDOW_MS = 3_000;

  /** A reply this much older than the newest sample means another clock, not a late reply. */
  private static final long CLOCK_JUMP_MS = 10_000;

  /** One point of the page's charts. */
  public record Point(long timeMs, double publishedPerSec, double processedPerSec, long backlog) {
    JsonArray toJson() {
      return new JsonArray().add(timeMs).add(publishedPerSec).add(processedPerSec).add(backlog);
    }
  }

  private final ArrayDeque<Point> points = new ArrayDeque<>();
  private RateWindow publishedRate = new RateWindow(RATE_WINDOW_MS);
  private RateWindow processedRate = new RateWindow(RATE_WINDOW_MS);

  /**
   * Adds a sample of the cluster totals taken at {@code timeMs} on the Redis clock; returns the
   * point it made, or null when the sample was older than the newest and dropped.
   */
  public synchronized Point add(long timeMs, long published, long processed, long backlog) {
    Point last = points.peekLast();
    if (last != null && timeMs <= last.timeMs()) {
      if (last.timeMs() - timeMs < CLOCK_JUMP_MS) {
        return null;
      }
      points.clear();
      publishedRate = new RateWindow(RATE_WINDOW_MS);
      processedRate = new RateWindow(RATE_WINDOW_MS);
    }
    publishedRate.add(timeMs, published);
    processedRate.add(timeMs, processed);
    Point p =
        new Point(
            timeMs, publishedRate.perSecondRounded(), processedRate.perSecondRounded(), backlog);
    points.addLast(p);
    while (points.peekFirst().timeMs() < timeMs - HISTORY_MS) {
      points.pollFirst();
    }
    return p;
  }

  /** The newest point, or null before the first sample. */
  public synchronized Point latest() {
    return points.peekLast();
  }

  /**
   * The points of the last minute, oldest first: {@code [timeMs, published/s, processed/s,
   * backlog]}.
   */
  public synchronized JsonArray toJson() {
    JsonArray out = new JsonArray();
    points.forEach(p -> out.add(p.toJson()));
    return out;
  }
}
