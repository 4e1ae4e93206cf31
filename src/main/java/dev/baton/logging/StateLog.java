package dev.baton.logging;

import dev.baton.common.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Logs conditions (Redis unreachable, a component's commands refused, a lease key without expiry…)
 * as one line when they begin and one when they end, however often they flap. A condition that ends
 * is logged as over only once it stayed over for {@link #DEFAULT_QUIET_MS}; if it comes back
 * before, nothing is logged and the flap is counted. Repeats and flaps are summarised in one line a
 * minute at most ("… (repeated 312 times in the last minute)"), and in the line that finally says
 * it is over.
 *
 * <p>Thread-safe (verticles on different event loops report here); every method is cheap when
 * nothing is wrong, since success is reported on hot paths.
 */
public final class StateLog {
  /** How long a condition must stay over before that is logged. */
  public static final long DEFAULT_QUIET_MS = 5_000;

  /** At most one summary of repeats per condition in this period. */
  public static final long SUMMARY_MS = 60_000;

  private final Logger log;
  private final String nodeId;
  private final LongSupplier clockMs;
  private final long quietMs;
  private final Map<String, Condition> conditions = new HashMap<>();

  /**
   * Conditions that are on or waiting to be logged as over: 0 lets {@link #over} return at once.
   */
  private volatile int open;

  private static final class Condition {
    String kind;
    String line;
    String overLine;
    long clearedAtMs = -1;
    long windowStartMs;
    long repeats;
    long total;
  }

  public StateLog(Logger log, String nodeId) {
    this(log, nodeId, Clock::monotonicMs, DEFAULT_QUIET_MS);
  }

  /** With a clock of its own, for tests. */
  public StateLog(Logger log, String nodeId, LongSupplier clockMs, long quietMs) {
    this.log = log;
    this.nodeId = nodeId;
    this.clockMs = clockMs;
    this.quietMs = quietMs;
  }

  /**
   * The condition {@code key} holds (again). Logged at {@code level} when it begins, or when its
   * {@code kind} changed (another kind of refusal is another state); otherwise only counted.
   *
   * @param line what to log when it begins, e.g. "Redis is unreachable: …"
   * @param overLine what to log once it is over, e.g. "Redis is reachable again"; null: nothing
   */
  public void on(String key, String kind, Level level, String line, String overLine) {
    long now = clockMs.getAsLong();
    String summary = null;
    boolean begins;
    synchronized (this) {
      Condition c = conditions.get(key);
      begins = c == null || !c.kind.equals(kind);
      if (c == null) {
        c = new Condition();
        conditions.put(key, c);
        open = conditions.size();
      }
      if (begins) {
        c.kind = kind;
        c.line = line;
        c.windowStartMs = now;
        c.repeats = 0;
        c.total = 0;
      } else {
        c.repeats++;
        c.total++;
        if (now - c.windowStartMs >= SUMMARY_MS) {
          summary = c.line + " (repeated " + times(c.repeats) + " in the last minute)";
          c.windowStartMs = now;
          c.repeats = 0;
        }
      }
      c.overLine = overLine;
      c.clearedAtMs = -1;
    }
    if (begins) {
      log.atLevel(level).addKeyValue(Logging.NODE_KEY, nodeId).log("{}", line);
    } else if (summary != null) {
      log.atLevel(level).addKeyValue(Logging.NODE_KEY, nodeId).log("{}", summary);
    }
    flush(now);
  }

  /**
   * The condition {@code key} does not hold now; logged as over once that lasted the quiet period.
   */
  public void over(String key) {
    if (open == 0) {
      return;
    }
    long now = clockMs.getAsLong();
    synchronized (this) {
      Condition c = conditions.get(key);
      if (c != null && c.clearedAtMs < 0) {
        c.clearedAtMs = now;
      }
    }
    flush(now);
  }

  /** Logs the end of conditions that stayed over for the quiet period; called by every report. */
  public void flush() {
    if (open != 0) {
      flush(clockMs.getAsLong());
    }
  }

  /**
   * Logs the end of every condition that is over now, quiet period or not: when the node stops, so
   * its log does not end on a state that no longer holds.
   */
  public void flushEnded() {
    if (open != 0) {
      flush(Long.MAX_VALUE);
    }
  }

  /** Whether {@code key} is on, or over for less than the quiet period. */
  public synchronized boolean isOn(String key) {
    return conditions.containsKey(key);
  }

  private void flush(long now) {
    List<String> ended = null;
    synchronized (this) {
      for (var it = conditions.entrySet().iterator(); it.hasNext(); ) {
        Condition c = it.next().getValue();
        if (c.clearedAtMs >= 0 && (now == Long.MAX_VALUE || now - c.clearedAtMs >= quietMs)) {
          it.remove();
          if (c.overLine == null) {
            continue;
          }
          if (ended == null) {
            ended = new ArrayList<>();
          }
          ended.add(
              c.total == 0
                  ? c.overLine
                  : c.overLine + " (repeated " + times(c.total) + " since it began)");
        }
      }
      open = conditions.size();
    }
    if (ended != null) {
      for (String line : ended) {
        log.atInfo().addKeyValue(Logging.NODE_KEY, nodeId).log("{}", line);
      }
    }
  }

  private static String times(long n) {
    return n == 1 ? "once" : n + " times";
  }
}
