package dev.baton.heartbeat;

import dev.baton.config.NodeConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Tells, from successive {@link Snapshot}s of what health.lua reads, whether the cluster is stalled
 * and why: {@value #NO_GENERATOR} (no live member has run the generator for several leases: the
 * lease key missing, held by a node that does not publish, set by hand without expiry or of the
 * wrong type), {@value #NOT_DRAINING} (the oldest uncommitted entry has not moved for two reclaim
 * periods while handlers live) or {@value #SKIPPED} (the oldest entry sits behind the group's
 * cursor, pending nowhere, for longer than a rescue takes). Durations are measured on the Redis
 * clock of the snapshots, so a paused node does not mistake its own pause for a stall. Not
 * thread-safe: one probe feeds it.
 */
public final class StallDetector {
  public static final String NO_GENERATOR = "no_generator";
  public static final String NOT_DRAINING = "not_draining";
  public static final String SKIPPED = "skipped";

  /** Every reason, in the order they are reported (and exported as metric labels). */
  public static final List<String> REASONS = List.of(NO_GENERATOR, NOT_DRAINING, SKIPPED);

  /**
   * One health.lua reply ({@code generators} and {@code handlers} are counted up to at least 1
   * each).
   */
  public record Snapshot(
      long nowMs,
      String leaderType,
      String leader,
      long leaderPttlMs,
      int generators,
      int handlers,
      String streamType,
      long entries,
      String oldestId,
      boolean oldestSkipped,
      long pending) {}

  private final long noGeneratorMs;
  private final long drainMs;
  private final long skippedMs;
  private final String leaderKey;
  private long noGeneratorSince = -1;
  private String oldest = "";
  private long oldestSince = -1;
  private long skippedSince = -1;

  public StallDetector(long noGeneratorMs, long drainMs, long skippedMs, String leaderKey) {
    this.noGeneratorMs = noGeneratorMs;
    this.drainMs = drainMs;
    this.skippedMs = skippedMs;
    this.leaderKey = leaderKey;
  }

  /**
   * Thresholds from the node's settings: no generator for three leases plus two heartbeats (roles
   * travel with heartbeats); the oldest entry stuck for two idle-reclaim periods plus two
   * heartbeats (a dead handler's entries wait one reclaim period); skipped entries left for a
   * reclaim period plus two heartbeats (a rescue follows every reclaim pass).
   */
  public static StallDetector of(NodeConfig config, String leaderKey) {
    long beats = 2 * config.heartbeat().intervalMs();
    long idle = config.handler().reclaimIdleMs();
    return new StallDetector(
        3 * config.election().leaseMs() + beats, 2 * idle + beats, idle + beats, leaderKey);
  }

  /** The stall reasons this snapshot confirms, each with a sentence for people; empty when none. */
  public Map<String, String> observe(Snapshot s) {
    Map<String, String> reasons = new LinkedHashMap<>();
    long now = s.nowMs();
    if (s.generators() == 0) {
      noGeneratorSince = noGeneratorSince < 0 ? now : noGeneratorSince;
      if (now - noGeneratorSince >= noGeneratorMs) {
        reasons.put(
            NO_GENERATOR,
            "no node has run the generator for "
                + seconds(now - noGeneratorSince)
                + ": "
                + lease(s));
      }
    } else {
      noGeneratorSince = -1;
    }
    if (s.entries() > 0 && s.handlers() > 0 && !s.oldestId().isEmpty()) {
      if (!s.oldestId().equals(oldest) || oldestSince < 0) {
        oldest = s.oldestId();
        oldestSince = now;
      } else if (now - oldestSince >= drainMs) {
        reasons.put(
            NOT_DRAINING,
            "the backlog does not drain: its oldest entry, "
                + oldest
                + ", has waited "
                + seconds(now - oldestSince)
                + " while handlers are live ("
                + s.entries()
                + " entries, "
                + s.pending()
                + " pending)");
      }
    } else {
      oldest = "";
      oldestSince = -1;
    }
    if (s.oldestSkipped()) {
      skippedSince = skippedSince < 0 ? now : skippedSince;
      if (now - skippedSince >= skippedMs) {
        reasons.put(
            SKIPPED,
            "stream entries behind the consumer group's cursor were never delivered (the oldest, "
                + s.oldestId()
                + ", for "
                + seconds(now - skippedSince)
                + ")"
                + (s.handlers() == 0 ? "; no handler is live to deliver them" : ""));
      }
    } else {
      skippedSince = -1;
    }
    return reasons;
  }

  /** Forgets what it saw (Redis did not answer): the next snapshots start every duration afresh. */
  public void reset() {
    noGeneratorSince = -1;
    oldest = "";
    oldestSince = -1;
    skippedSince = -1;
  }

  private String lease(Snapshot s) {
    return switch (s.leaderType()) {
      case "none" -> "no node holds the lease";
      case "string" ->
          s.leaderPttlMs() == -1
              ? "the lease key "
                  + leaderKey
                  + " names '"
                  + s.leader()
                  + "' and has no expiry (set by hand?)"
              : "the lease names '" + s.leader() + "', which does not run the generator";
      default ->
          "the lease key "
              + leaderKey
              + " holds a "
              + s.leaderType()
              + ", not a node id (set by hand?)";
    };
  }

  private static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }
}
