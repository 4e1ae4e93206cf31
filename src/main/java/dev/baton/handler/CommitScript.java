package dev.baton.handler;

import dev.baton.redis.Keys;
import dev.baton.redis.Script;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code commit.lua}, typed: commits a batch of judged entries, each fenced by its claim. Its keys,
 * arguments and reply are stated here only.
 */
public final class CommitScript {
  public static final Script SCRIPT = Script.load("commit", "ledger", "dead-letter");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "commit";

  private CommitScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(
        keys.messages(), keys.errors(), keys.deadLetter(), keys.stats(), keys.auditCommitted());
  }

  /**
   * The arguments committing {@code entries} as {@code consumer}'s ({@code reclaimed}: taken over
   * from another consumer). Plain entries travel first as (id, deliveries) (a cadence's messages),
   * then the others as id, deliveries, n, kinds, payloads.
   */
  public static List<Object> args(
      String consumer, boolean audit, boolean reclaimed, List<Committer.Judged> entries) {
    int plain = 0;
    int args = 5;
    for (Committer.Judged j : entries) {
      if (j.size() != Math.max(1, j.packSize)) {
        throw new IllegalArgumentException(
            j.entryId + ": " + j.size() + " of " + j.packSize + " messages judged");
      }
      plain += j.plain() ? 1 : 0;
      args += j.plain() ? 2 : 4 + j.payloads().size();
    }
    List<Object> list = new ArrayList<>(args);
    list.add(Keys.HANDLERS_GROUP);
    list.add(consumer);
    list.add(Script.flag(audit));
    list.add(Script.flag(reclaimed));
    list.add(Integer.toString(plain));
    for (Committer.Judged j : entries) {
      if (j.plain()) {
        list.add(j.entryId);
        list.add(Integer.toString(j.deliveries));
      }
    }
    for (Committer.Judged j : entries) {
      if (!j.plain()) {
        list.add(j.entryId);
        list.add(Integer.toString(j.deliveries));
        list.add(Integer.toString(j.packSize));
        list.add(j.kinds());
        list.addAll(j.payloads());
      }
    }
    return list;
  }

  /**
   * Decodes {@code '<plain entries committed>:<one flag per other entry>'}, the flags in the order
   * the entries that are not plain were sent.
   */
  static Committer.Result reply(String reply, List<Committer.Judged> entries) {
    List<Committer.Judged> others = entries.stream().filter(j -> !j.plain()).toList();
    int colon = reply.indexOf(':');
    List<Committer.EntryResult> results = new ArrayList<>(others.size());
    for (int i = 0; i < others.size(); i++) {
      int at = colon + 1 + i;
      results.add(
          new Committer.EntryResult(others.get(i), at < reply.length() && reply.charAt(at) == '1'));
    }
    return new Committer.Result(
        entries.size() - others.size(), Long.parseLong(reply.substring(0, colon)), results);
  }
}
