package dev.baton.state;

import dev.baton.common.Clock;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What keeps a working node from calling itself healthy although Redis answers and the cluster
 * moves: each raised reason with a sentence for people ({@code /health} status {@code degraded},
 * {@code /status}, the gauge {@code baton_degraded{reason}}). A reason is raised until it is
 * cleared, and one raised with a hold time stays raised at least that long even when cleared
 * earlier (after Redis lost data, say, the node stays degraded for a while although it recovered at
 * once). Thread-safe: the heartbeat raises, HTTP reads.
 *
 * <p>Who raises what logs it (through {@code logging.StateLog}); this class only keeps the state.
 */
public final class Degradations {
  /** Redis lost Baton's data (eviction, FLUSHALL, a key deleted, a restart or failover). */
  public static final String REDIS_DATA_LOST = "redis_data_lost";

  /** Redis's maxmemory-policy can evict Baton's keys, or Redis evicted keys. */
  public static final String REDIS_EVICTING = "redis_evicting";

  /** Redis refuses the node's presence subscription: failover falls back to the lease. */
  public static final String PRESENCE_REFUSED = "presence_refused";

  /** The handler's plug-in failed every attempt for a while (see {@link PluginStats#failing()}). */
  public static final String HANDLER_FAILING = "handler_failing";

  /** The generator's source failed every tick for a while ({@link PluginStats#sourceFailing()}). */
  public static final String SOURCE_FAILING = "source_failing";

  /** The reasons every node knows from its start (their gauges exist at 0). */
  public static final List<String> REASONS =
      List.of(REDIS_DATA_LOST, REDIS_EVICTING, PRESENCE_REFUSED, HANDLER_FAILING, SOURCE_FAILING);

  private record Raised(String sentence, long holdUntilMs, boolean cleared) {}

  private final LongSupplier clockMs;
  private final Map<String, Raised> raised = new TreeMap<>();
  private final Set<String> known = new LinkedHashSet<>(REASONS);
  private final List<Consumer<String>> onNewReason = new CopyOnWriteArrayList<>();

  public Degradations() {
    this(Clock::monotonicMs);
  }

  /** With a clock of its own, for tests. */
  public Degradations(LongSupplier clockMs) {
    this.clockMs = clockMs;
  }

  /**
   * A condition: raises {@code reason} until {@link #clear}ed (and, if an earlier hold runs longer,
   * until that ends); a later raise replaces the sentence.
   */
  public void raise(String reason, String sentence) {
    raise(reason, sentence, 0);
  }

  /**
   * An event: raises {@code reason} for {@code holdMs} from now, after which it is over by itself
   * (unless it is raised as a condition and not cleared); a raise during an earlier hold extends
   * it.
   */
  public void raise(String reason, String sentence, long holdMs) {
    long now = clockMs.getAsLong();
    boolean isNew;
    synchronized (this) {
      Raised before = raised.get(reason);
      long holdUntil = Math.max(before == null ? now : before.holdUntilMs(), now + holdMs);
      boolean condition = holdMs <= 0 || (before != null && !before.cleared());
      raised.put(reason, new Raised(sentence, holdUntil, !condition));
      isNew = known.add(reason);
    }
    if (isNew) {
      onNewReason.forEach(listener -> listener.accept(reason));
    }
  }

  /** The condition behind {@code reason} is over; it stays raised until its hold time ends. */
  public synchronized void clear(String reason) {
    Raised r = raised.get(reason);
    if (r == null) {
      return;
    }
    if (r.holdUntilMs() <= clockMs.getAsLong()) {
      raised.remove(reason);
    } else {
      raised.put(reason, new Raised(r.sentence(), r.holdUntilMs(), true));
    }
  }

  /** Whether {@code reason} is raised now. */
  public boolean raised(String reason) {
    return active().containsKey(reason);
  }

  /** Every reason raised now, with its sentence, in reason order; empty when none. */
  public synchronized Map<String, String> active() {
    long now = clockMs.getAsLong();
    Map<String, String> out = new TreeMap<>();
    for (var it = raised.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      Raised r = e.getValue();
      if (r.cleared() && r.holdUntilMs() <= now) {
        it.remove();
      } else {
        out.put(e.getKey(), r.sentence());
      }
    }
    return out;
  }

  /** Every reason this node knows (raised or not): the gauges' labels. */
  public synchronized Set<String> reasons() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(known));
  }

  /**
   * Tells {@code listener} of each reason raised for the first time that is not one of {@link
   * #reasons()} yet (the metrics register its gauge then).
   */
  public void onNewReason(Consumer<String> listener) {
    onNewReason.add(listener);
  }
}
