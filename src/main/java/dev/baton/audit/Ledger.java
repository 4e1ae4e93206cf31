package dev.baton.audit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What verify read of one cluster, as of the cutoff: the ledger's publishes and commits, the error
 * records by message, and the entries still in the message stream. Plain data, read by {@link
 * LedgerReader} and judged by {@link LedgerCheck}, so a check can be tried without Redis.
 *
 * @param exists whether there is a ledger at all (the published or committed stream exists)
 * @param published every message published, in ledger order, also those after the cutoff
 * @param commits the commits of each message id
 * @param errorRecords the ids of the error records (kept or drained) naming each message id
 * @param inStream the entry ids in the message stream when it was read
 */
record Ledger(
    long cutoff,
    boolean exists,
    Completeness.Judgement completeness,
    List<Published> published,
    Map<String, List<Commit>> commits,
    Map<String, Set<String>> errorRecords,
    Set<String> inStream) {

  /**
   * One published message, in publish (ledger) order, with the Redis ms of its ledger entry; {@code
   * replayOf} names the message a replay put back (null for a generator's publish).
   */
  record Published(String msg, long epoch, String gen, long atMs, String replayOf) {}

  /** One commit of a message, as read from the ledger: ok, error, dead (or unknown). */
  record Commit(String kind, long atMs) {
    boolean dead() {
      return "dead".equals(kind);
    }
  }

  /** An empty ledger to fill as the streams are read. */
  static Ledger filling(long cutoff, Completeness.Judgement completeness) {
    return new Ledger(
        cutoff,
        true,
        completeness,
        new ArrayList<>(),
        new HashMap<>(),
        new HashMap<>(),
        new HashSet<>());
  }

  /** No ledger in Redis: nothing read. */
  static Ledger none(long cutoff, Completeness.Judgement completeness) {
    return new Ledger(cutoff, false, completeness, List.of(), Map.of(), Map.of(), Set.of());
  }
}
