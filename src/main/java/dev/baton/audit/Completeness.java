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

  /** What ledger-state.lua read, in its reply's order. */
  record State(
      long[] entries,
      long sinceMs,
      String run,
      long evictedThen,
      boolean prior,
      long[] counts,
      long lostAt,
      String lost,
      String runNow,
      long evictedNow) {
    static State of(Response r) {
      return new State(
          new long[] {
            Replies.toLong(r.get(0), -1), Replies.toLong(r.get(1), -1), Replies.toLong(r.get(2), -1)
          },
          Replies.parseLong(Replies.str(r.get(3)), -1),
          Replies.str(r.get(4)),
          Replies.parseLong(Replies.str(r.get(5)), -1),
          "1".equals(Replies.str(r.get(6))),
          new long[] {
            Replies.parseLong(Replies.str(r.get(7)), 0),
            Replies.parseLong(Replies.str(r.get(8)), 0),
            Replies.parseLong(Replies.str(r.get(9)), 0)
          },
          Replies.parseLong(Replies.str(r.get(10)), -1),
          Replies.str(r.get(11)),
          Replies.str(r.get(12)),
          Replies.parseLong(Replies.str(r.get(13)), -1));
    }

    boolean anyEntries() {
      return entries[0] > 0 || entries[1] > 0 || entries[2] > 0;
    }

    boolean restarted() {
      return !run.equals(runNow);
    }
  }

  static Judgement judge(Keys keys, Response r) {
    State s = State.of(r);
    List<String> incomplete = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    if (s.sinceMs() < 0) {
      if (s.anyEntries()) {
        incomplete.add(
            "the ledger's counts in " + keys.stats() + " are gone (evicted, or deleted by hand)");
      }
      return new Judgement(incomplete, notes, -1);
    }
    if (s.prior()) {
      incomplete.add(
          "the ledger's counts in "
              + keys.stats()
              + " began anew while the ledger held entries: they had been lost");
    }
    countsMatch(keys, s, incomplete);
    evicted(s, incomplete);
    lost(s, incomplete, notes);
    restarted(s, notes);
    return new Judgement(incomplete, notes, s.sinceMs());
  }

  /** Each ledger stream holds exactly the entries its count says were written. */
  private static void countsMatch(Keys keys, State s, List<String> incomplete) {
    String[] names = {keys.auditPublished(), keys.auditCommitted(), keys.auditDrained()};
    long[] entries = s.entries();
    for (int i = 0; i < 3; i++) {
      if (entries[i] != s.counts()[i]) {
        incomplete.add(
            names[i]
                + (entries[i] < 0 ? " is no stream" : " holds " + entries[i] + " entries")
                + ", "
                + s.counts()[i]
                + " were written");
      }
    }
  }

  /** Redis evicted no key since the ledger began (since it started, after a restart). */
  private static void evicted(State s, List<String> incomplete) {
    if (s.evictedNow() < 0) {
      return;
    }
    long evicted =
        !s.restarted() && s.evictedThen() >= 0 ? s.evictedNow() - s.evictedThen() : s.evictedNow();
    if (evicted > 0) {
      incomplete.add(
          "Redis evicted "
              + evicted
              + (evicted == 1 ? " key" : " keys")
              + " since "
              + (!s.restarted() ? "the ledger began" : "it started, after the ledger began"));
    }
  }

  /** No loss recorded since the ledger began; one before it is a note. */
  private static void lost(State s, List<String> incomplete, List<String> notes) {
    if (s.lostAt() >= 0 && s.lostAt() >= s.sinceMs()) {
      incomplete.add(
          "a node saw Redis lose Baton's data at "
              + Instant.ofEpochMilli(s.lostAt())
              + ": "
              + s.lost());
    } else if (s.lostAt() >= 0) {
      notes.add(
          "Redis lost Baton's data at "
              + Instant.ofEpochMilli(s.lostAt())
              + ", before this ledger began: messages published before "
              + Instant.ofEpochMilli(s.sinceMs())
              + " are not judged");
    }
  }

  private static void restarted(State s, List<String> notes) {
    if (!s.run().isEmpty() && !s.runNow().isEmpty() && s.restarted()) {
      notes.add(
          "Redis restarted or failed over since the ledger began (run id "
              + s.run()
              + ", now "
              + s.runNow()
              + "): a restart with appendfsync always loses nothing; an asynchronous failover"
              + " can lose the last writes, which then count as never published");
    }
  }
}
