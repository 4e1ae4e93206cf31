package dev.baton.audit;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the audit ledger is complete for the window verify judges: read at one instant ({@code
 * ledger-state.lua}) and judged here. The scripts that write the ledger count every entry in the
 * stats hash and note where the ledger began (lib/ledger.lua); the nodes record in the cluster
 * marker the last time they saw Redis lose Baton's data. The ledger is complete only when each
 * ledger stream holds exactly the entries its count says, its counts never began anew while it held
 * entries, Redis evicted no key since it began, and no loss was recorded since it began. A ledger
 * judged incomplete is never reported OK: what Redis lost may include publishes and commits whose
 * absence would otherwise look like nothing happened.
 */
final class Completeness {
  /** The judgement: reasons it is incomplete (empty when complete), and notes for people. */
  record Judgement(List<String> incomplete, List<String> notes, long sinceMs) {
    boolean complete() {
      return incomplete.isEmpty();
    }

    /** "the ledger is incomplete: Redis lost data (…)", or null when complete. */
    String sentence() {
      return complete()
          ? null
          : "the ledger is incomplete: Redis lost data (" + String.join("; ", incomplete) + ")";
    }
  }

  private Completeness() {}

  static Future<Judgement> judge(RedisOps redis, Keys keys) {
    return redis
        .eval(LedgerStateScript.SCRIPT, LedgerStateScript.keys(keys), LedgerStateScript.args())
        .map(r -> judge(keys, r));
  }

  static Judgement judge(Keys keys, Response r) {
    long[] entries = {
      Replies.toLong(r.get(0), -1), Replies.toLong(r.get(1), -1), Replies.toLong(r.get(2), -1)
    };
    String since = Replies.str(r.get(3));
    String run = Replies.str(r.get(4));
    long evictedThen = Replies.parseLong(Replies.str(r.get(5)), -1);
    boolean prior = "1".equals(Replies.str(r.get(6)));
    long[] counts = {
      Replies.parseLong(Replies.str(r.get(7)), 0),
      Replies.parseLong(Replies.str(r.get(8)), 0),
      Replies.parseLong(Replies.str(r.get(9)), 0)
    };
    long lostAt = Replies.parseLong(Replies.str(r.get(10)), -1);
    String lost = Replies.str(r.get(11));
    String runNow = Replies.str(r.get(12));
    long evictedNow = Replies.parseLong(Replies.str(r.get(13)), -1);

    List<String> incomplete = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    long sinceMs = Replies.parseLong(since, -1);
    boolean anyEntries = entries[0] > 0 || entries[1] > 0 || entries[2] > 0;
    if (sinceMs < 0) {
      if (anyEntries) {
        incomplete.add(
            "the ledger's counts in " + keys.stats() + " are gone (evicted, or deleted by hand)");
      }
      return new Judgement(incomplete, notes, -1);
    }
    if (prior) {
      incomplete.add(
          "the ledger's counts in "
              + keys.stats()
              + " began anew while the ledger held entries: they had been lost");
    }
    String[] names = {keys.auditPublished(), keys.auditCommitted(), keys.auditDrained()};
    for (int i = 0; i < 3; i++) {
      if (entries[i] != counts[i]) {
        incomplete.add(
            names[i]
                + (entries[i] < 0 ? " is no stream" : " holds " + entries[i] + " entries")
                + ", "
                + counts[i]
                + " were written");
      }
    }
    if (evictedNow >= 0) {
      long evicted = run.equals(runNow) && evictedThen >= 0 ? evictedNow - evictedThen : evictedNow;
      if (evicted > 0) {
        incomplete.add(
            "Redis evicted "
                + evicted
                + (evicted == 1 ? " key" : " keys")
                + " since "
                + (run.equals(runNow) ? "the ledger began" : "it started, after the ledger began"));
      }
    }
    if (lostAt >= 0 && lostAt >= sinceMs) {
      incomplete.add(
          "a node saw Redis lose Baton's data at " + Instant.ofEpochMilli(lostAt) + ": " + lost);
    } else if (lostAt >= 0) {
      notes.add(
          "Redis lost Baton's data at "
              + Instant.ofEpochMilli(lostAt)
              + ", before this ledger began: messages published before "
              + Instant.ofEpochMilli(sinceMs)
              + " are not judged");
    }
    if (!run.isEmpty() && !runNow.isEmpty() && !run.equals(runNow)) {
      notes.add(
          "Redis restarted or failed over since the ledger began (run id "
              + run
              + ", now "
              + runNow
              + "): a restart with appendfsync always loses nothing; an asynchronous failover"
              + " can lose the last writes, which then count as never published");
    }
    return new Judgement(incomplete, notes, sinceMs);
  }
}
