package dev.baton.audit;

import dev.baton.audit.Ledger.Commit;
import dev.baton.audit.Ledger.Published;
import dev.baton.redis.MessageId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The judging half of verify, pure (no Redis, no clock): a {@link Ledger} in, a {@link
 * VerifyReport} out, one method per verdict (epochs and split brain, lost, commits, replays, error
 * records). What each verdict means is stated on {@link Verifier}.
 */
final class LedgerCheck {
  private LedgerCheck() {}

  /** The epochs in publish order, the publishes that came after a newer epoch's, the replays. */
  record Epochs(List<VerifyReport.Epoch> epochs, List<String> overlap, long replayed) {}

  /** Published messages never committed: lost, or still pending in the stream. */
  record Lost(List<String> lost, long pending) {}

  /** The messages committed (once each) and what their commits show. */
  record Commits(
      long committed,
      List<String> duplicated,
      List<String> unexpected,
      long deadLettered,
      long foreignDeadLettered,
      Set<String> judgedErrors) {}

  static VerifyReport check(Ledger ledger) {
    long cutoff = ledger.cutoff();
    Set<String> everPublished = new HashSet<>(ledger.published().size() * 2);
    List<Published> published = new ArrayList<>(ledger.published().size());
    for (Published p : ledger.published()) {
      everPublished.add(p.msg());
      if (p.atMs() <= cutoff) {
        published.add(p);
      }
    }
    Set<String> publishedIds = new HashSet<>(published.size() * 2);
    published.forEach(p -> publishedIds.add(p.msg()));
    Epochs epochs = epochs(published);
    Lost lost = lost(published, ledger.commits(), ledger.inStream());
    Commits commits = commits(cutoff, ledger.commits(), publishedIds, everPublished);
    Map<String, List<String>> replaysOf = replaysOf(ledger.published());
    List<String> duplicated = new ArrayList<>(commits.duplicated());
    duplicated.addAll(replayedTooOften(replaysOf, publishedIds, ledger.commits()));
    VerifyReport.ErrorRecords errors =
        errorRecords(
            cutoff,
            recordsOf(ledger.errorRecords(), replaysOf, commits.judgedErrors()),
            commits.judgedErrors());
    Completeness.Judgement completeness = ledger.completeness();
    return new VerifyReport(
        ledger.exists(),
        completeness.incomplete(),
        completeness.notes(),
        completeness.sinceMs(),
        cutoff,
        published.size(),
        commits.committed(),
        lost.lost(),
        duplicated,
        commits.unexpected(),
        lost.pending(),
        epochs.replayed(),
        commits.deadLettered(),
        commits.foreignDeadLettered(),
        epochs.overlap(),
        epochs.epochs(),
        errors);
  }

  /**
   * Split brain: no epoch may publish after a newer one did. A replay keeps its message's epoch, so
   * it is counted apart, not as a publish of that epoch now.
   */
  static Epochs epochs(List<Published> published) {
    Map<Long, long[]> firstLastCount = new TreeMap<>();
    Map<Long, String> gens = new HashMap<>();
    long maxEpoch = Long.MIN_VALUE;
    List<String> overlap = new ArrayList<>();
    long replayed = 0;
    for (Published p : published) {
      if (p.replayOf() != null) {
        replayed++;
        continue;
      }
      long ms = MessageId.millis(p.msg());
      long[] e =
          firstLastCount.computeIfAbsent(
              p.epoch(),
              k -> {
                gens.put(k, p.gen()); // the first publish's generator names the epoch
                return new long[] {ms, ms, 0};
              });
      e[1] = ms;
      e[2]++;
      if (p.epoch() < maxEpoch) {
        overlap.add(p.msg() + " (epoch " + p.epoch() + " after epoch " + maxEpoch + ")");
      }
      maxEpoch = Math.max(maxEpoch, p.epoch());
    }
    List<VerifyReport.Epoch> epochs = new ArrayList<>(firstLastCount.size());
    firstLastCount.forEach(
        (epoch, e) -> epochs.add(new VerifyReport.Epoch(epoch, gens.get(epoch), e[0], e[1], e[2])));
    return new Epochs(epochs, overlap, replayed);
  }

  /**
   * A published message without a commit is pending while its entry is in the stream, else lost.
   */
  static Lost lost(
      List<Published> published, Map<String, List<Commit>> commits, Set<String> inStream) {
    List<String> lost = new ArrayList<>();
    long pending = 0;
    for (Published p : published) {
      if (!commits.containsKey(p.msg())) {
        if (inStream.contains(MessageId.entryId(p.msg()))) {
          pending++;
        } else {
          lost.add(p.msg());
        }
      }
    }
    return new Lost(lost, pending);
  }

  /**
   * Each message committed exactly once, and only if published; a foreign entry (written by a third
   * party) dead-lettered is as designed. Work after the cutoff on a message published after it is
   * the next run's.
   */
  static Commits commits(
      long cutoff,
      Map<String, List<Commit>> commits,
      Set<String> publishedIds,
      Set<String> everPublished) {
    List<String> duplicated = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    long committed = 0;
    long foreignDeadLettered = 0;
    long deadLettered = 0;
    Set<String> judgedErrors = new HashSet<>();
    for (Map.Entry<String, List<Commit>> c : commits.entrySet()) {
      String msg = c.getKey();
      List<Commit> each = c.getValue();
      boolean byCutoff = each.stream().anyMatch(x -> x.atMs() <= cutoff);
      if (!publishedIds.contains(msg) && !byCutoff) {
        continue;
      }
      committed++;
      Commit last = each.get(each.size() - 1);
      if (each.size() > 1) {
        duplicated.add(msg + " (" + each.size() + " commits)");
      }
      if (last.dead()) {
        deadLettered++;
      }
      if (!everPublished.contains(msg)) {
        if (last.dead()) {
          foreignDeadLettered++;
        } else {
          unexpected.add(msg);
        }
      }
      if ("error".equals(last.kind())) {
        judgedErrors.add(msg);
      }
    }
    return new Commits(
        committed, duplicated, unexpected, deadLettered, foreignDeadLettered, judgedErrors);
  }

  /** The replays (published entry ids) of each message put back, in publish order. */
  static Map<String, List<String>> replaysOf(List<Published> all) {
    Map<String, List<String>> replaysOf = new HashMap<>();
    for (Published p : all) {
      if (p.replayOf() != null) {
        replaysOf.computeIfAbsent(p.replayOf(), k -> new ArrayList<>()).add(p.msg());
      }
    }
    return replaysOf;
  }

  /**
   * A dead letter is replayed at most once: a message put back more often than it (or a replay of
   * it) was dead-lettered was handled more than once.
   */
  static List<String> replayedTooOften(
      Map<String, List<String>> replaysOf,
      Set<String> publishedIds,
      Map<String, List<Commit>> commits) {
    List<String> duplicated = new ArrayList<>();
    for (Map.Entry<String, List<String>> r : replaysOf.entrySet()) {
      String original = r.getKey();
      long replays = r.getValue().stream().filter(publishedIds::contains).count();
      if (replays == 0 || !commits.containsKey(original)) {
        continue; // the original's commit predates the ledger: nothing to compare with
      }
      long dead = deadCommits(commits.get(original));
      for (String replay : r.getValue()) {
        dead += deadCommits(commits.getOrDefault(replay, List.of()));
      }
      if (replays > dead) {
        duplicated.add(
            original + " (replayed " + replays + " times, dead-lettered " + dead + " times)");
      }
    }
    return duplicated;
  }

  private static long deadCommits(List<Commit> commits) {
    return commits.stream().filter(Commit::dead).count();
  }

  /**
   * The error records by the message they belong to. A replayed message keeps its id, so its error
   * record names the message it replays; it belongs to the replay judged an error (at most one of
   * them is: the others were dead-lettered).
   */
  static Map<String, Set<String>> recordsOf(
      Map<String, Set<String>> errorRecords,
      Map<String, List<String>> replaysOf,
      Set<String> judgedErrors) {
    if (replaysOf.isEmpty()) {
      return errorRecords;
    }
    Map<String, Set<String>> recordsOf = new HashMap<>(errorRecords.size() * 2);
    for (Map.Entry<String, Set<String>> r : errorRecords.entrySet()) {
      String owner = r.getKey();
      for (String replay : replaysOf.getOrDefault(owner, List.of())) {
        if (judgedErrors.contains(replay)) {
          owner = replay;
          break;
        }
      }
      recordsOf.computeIfAbsent(owner, k -> new HashSet<>()).addAll(r.getValue());
    }
    return recordsOf;
  }

  /**
   * Exactly one error record per message judged an error. A record made after the cutoff belongs to
   * a commit after it, unless its message was judged.
   */
  static VerifyReport.ErrorRecords errorRecords(
      long cutoff, Map<String, Set<String>> recordsOf, Set<String> judgedErrors) {
    List<String> missing = new ArrayList<>();
    for (String id : judgedErrors) {
      if (!recordsOf.containsKey(id)) {
        missing.add(id);
      }
    }
    List<String> extra = new ArrayList<>();
    List<String> duplicateRecords = new ArrayList<>();
    long records = 0;
    for (Map.Entry<String, Set<String>> r : recordsOf.entrySet()) {
      boolean judged = judgedErrors.contains(r.getKey());
      boolean byCutoff = r.getValue().stream().anyMatch(id -> MessageId.millis(id) <= cutoff);
      if (!judged && !byCutoff) {
        continue;
      }
      records++;
      if (!judged) {
        extra.add(r.getKey());
      }
      if (r.getValue().size() > 1) {
        duplicateRecords.add(r.getKey() + " (" + r.getValue().size() + " records)");
      }
    }
    return new VerifyReport.ErrorRecords(
        judgedErrors.size(), records, missing, extra, duplicateRecords);
  }
}
