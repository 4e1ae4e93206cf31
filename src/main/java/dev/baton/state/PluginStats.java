package dev.baton.state;

import dev.baton.common.Clock;
import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * What this node's plug-ins did (reported by /status, /metrics and the page): the handler's
 * attempts by outcome and failed attempts by class, invocations in flight, and the source's ticks;
 * and whether the handler's plug-in is failing every attempt (then /health is not ok). Written by
 * the handler and the generator on their event loops, read by HTTP: atomics only.
 */
public final class PluginStats {
  /** An attempt's outcome as counted: ok, error, or failed (retried or dead-lettered). */
  public enum AttemptOutcome {
    OK,
    ERROR,
    FAILED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A source tick's outcome. */
  public enum TickOutcome {
    PUBLISHED,
    EMPTY,
    FAILED,
    TIMEOUT;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A plug-in is failing when none of its attempts (ticks) succeeded for {@code
   * handler.failingAfterMs} ({@code generator.failingAfterMs}) while at least this many failed.
   */
  public static final int FAILING_MIN_ATTEMPTS = 3;

  private final LongSupplier clockMs;
  private volatile long handlerFailingAfterMs = 30_000;
  private volatile long sourceFailingAfterMs = 30_000;

  private volatile String handlerType = "random";
  private volatile String sourceType = "random";
  public final AtomicLong attempts = new AtomicLong();
  private final Map<AttemptOutcome, AtomicLong> outcomes = new EnumMap<>(AttemptOutcome.class);
  private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
  public final AtomicLong inFlight = new AtomicLong();
  private final Map<TickOutcome, AtomicLong> ticks = new EnumMap<>(TickOutcome.class);
  public final AtomicLong refusedMessages = new AtomicLong();

  /** How long the attempts that waited for an answer took, in ms (the page and /status show it). */
  private final SynchronizedHistogram attemptMs = new SynchronizedHistogram(3_600_000L, 2);

  private long lastSuccessMs;
  private long failedSinceSuccess;
  private String lastFailure = "";
  private long sourceLastSuccessMs;
  private long sourceFailedSinceSuccess;
  private String sourceLastFailure = "";

  public PluginStats() {
    this(Clock::monotonicMs);
  }

  /** With a clock of its own, for tests. */
  public PluginStats(LongSupplier clockMs) {
    this.clockMs = clockMs;
    this.lastSuccessMs = clockMs.getAsLong();
    this.sourceLastSuccessMs = lastSuccessMs;
    for (AttemptOutcome o : AttemptOutcome.values()) {
      outcomes.put(o, new AtomicLong());
    }
    for (TickOutcome o : TickOutcome.values()) {
      ticks.put(o, new AtomicLong());
    }
  }

  /** An attempt that waited for its answer took {@code ms}. */
  public void attemptTook(long ms) {
    attemptMs.recordValue(Math.min(3_600_000L, Math.max(0, ms)));
  }

  /** The waited-for attempts' latencies so far: count, p50, p99, max (ms). */
  public long[] attemptLatency() {
    synchronized (attemptMs) {
      return new long[] {
        attemptMs.getTotalCount(),
        attemptMs.getValueAtPercentile(50),
        attemptMs.getValueAtPercentile(99),
        attemptMs.getMaxValue()
      };
    }
  }

  /** What the handler's plug-in and the generator's source did on this node (/status, the page). */
  public JsonObject toJson() {
    JsonObject byOutcome = new JsonObject();
    for (AttemptOutcome o : AttemptOutcome.values()) {
      byOutcome.put(o.label(), outcomes(o).get());
    }
    JsonObject byClass = new JsonObject();
    new TreeMap<>(failures).forEach((k, v) -> byClass.put(k, v.get()));
    long[] l = attemptLatency();
    JsonObject latency =
        new JsonObject().put("count", l[0]).put("p50", l[1]).put("p99", l[2]).put("max", l[3]);
    JsonObject byTick = new JsonObject();
    for (TickOutcome o : TickOutcome.values()) {
      byTick.put(o.label(), ticks(o).get());
    }
    return new JsonObject()
        .put(
            "handler",
            new JsonObject()
                .put("type", handlerType)
                .put("attempts", attempts.get())
                .put("outcomes", byOutcome)
                .put("failedAttempts", byClass)
                .put("inFlight", inFlight.get())
                .put("latencyMs", latency))
        .put(
            "source",
            new JsonObject()
                .put("type", sourceType)
                .put("ticks", byTick)
                .put("refusedMessages", refusedMessages.get()));
  }

  /** How long without a success, with failures, makes the handler and the source failing. */
  public void failingAfter(long handlerMs, long sourceMs) {
    this.handlerFailingAfterMs = handlerMs;
    this.sourceFailingAfterMs = sourceMs;
  }

  public void types(String handler, String source) {
    this.handlerType = handler;
    this.sourceType = source;
  }

  public String handlerType() {
    return handlerType;
  }

  public String sourceType() {
    return sourceType;
  }

  public AtomicLong outcomes(AttemptOutcome outcome) {
    return outcomes.get(outcome);
  }

  /** Failed attempts of that class ({@code timeout}, {@code crash}, …), created on first use. */
  public AtomicLong failures(String failureClass) {
    return failures.computeIfAbsent(failureClass, k -> new AtomicLong());
  }

  public Map<String, AtomicLong> failures() {
    return failures;
  }

  public AtomicLong ticks(TickOutcome outcome) {
    return ticks.get(outcome);
  }

  /** An attempt ended: ok or error (the plug-in works), or failed with {@code why}. */
  public synchronized void attemptEnded(AttemptOutcome outcome, String why) {
    outcomes.get(outcome).incrementAndGet();
    if (outcome == AttemptOutcome.FAILED) {
      failedSinceSuccess++;
      lastFailure = why;
    } else {
      lastSuccessMs = clockMs.getAsLong();
      failedSinceSuccess = 0;
    }
  }

  /** A call of the source ended: answered ({@code ok}), or failed or timed out with {@code why}. */
  public synchronized void sourceEnded(boolean ok, String why) {
    if (ok) {
      sourceLastSuccessMs = clockMs.getAsLong();
      sourceFailedSinceSuccess = 0;
    } else {
      sourceFailedSinceSuccess++;
      sourceLastFailure = why;
    }
  }

  /** Like {@link #failing()}, for the generator's source: null unless it fails every tick. */
  public synchronized String sourceFailing() {
    long quietMs = clockMs.getAsLong() - sourceLastSuccessMs;
    if (sourceFailedSinceSuccess >= FAILING_MIN_ATTEMPTS && quietMs >= sourceFailingAfterMs) {
      return "the "
          + sourceType
          + " source failed its last "
          + sourceFailedSinceSuccess
          + " ticks and answered none for "
          + quietMs / 1000
          + " s (last: "
          + sourceLastFailure
          + ")";
    }
    return null;
  }

  /**
   * Why the handler's plug-in counts as failing every attempt, or null when it does not: no attempt
   * succeeded for {@code handler.failingAfterMs} while at least {@value #FAILING_MIN_ATTEMPTS}
   * failed.
   */
  public synchronized String failing() {
    if (failedSinceSuccess >= FAILING_MIN_ATTEMPTS
        && clockMs.getAsLong() - lastSuccessMs >= handlerFailingAfterMs) {
      return "the "
          + handlerType
          + " handler failed its last "
          + failedSinceSuccess
          + " attempts and none succeeded for "
          + (clockMs.getAsLong() - lastSuccessMs) / 1000
          + " s (last: "
          + lastFailure
          + ")";
    }
    return null;
  }
}
