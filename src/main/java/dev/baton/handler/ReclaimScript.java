package dev.baton.handler;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code reclaim.lua}, typed: takes over entries left pending past the idle threshold and
 * dead-letters those delivered too often. Its keys, arguments and reply are stated here only.
 */
public final class ReclaimScript {
  public static final Script SCRIPT = Script.load("reclaim", "ledger", "dead-letter", "claims");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "reclaim";

  private ReclaimScript() {}

  /**
   * What one call took: the next cursor, the entries (with their delivery counts), the messages
   * dead-lettered.
   */
  record Reclaimed(String cursor, List<Dispatcher.Delivered> entries, long deadLettered) {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.messages(), keys.deadLetter(), keys.stats(), keys.auditCommitted());
  }

  /**
   * This {@code consumer} takes entries idle for {@code idleMs}, scanning from {@code from}, at
   * most {@code batch}; over {@code maxDeliveries} they are dead-lettered.
   */
  public static List<String> args(
      String consumer, long idleMs, String from, int batch, int maxDeliveries, boolean audit) {
    return List.of(
        Keys.HANDLERS_GROUP,
        consumer,
        Long.toString(idleMs),
        from,
        Integer.toString(batch),
        Integer.toString(maxDeliveries),
        Script.flag(audit));
  }

  static Reclaimed reply(Response r) {
    return new Reclaimed(
        Replies.str(r.get(0)),
        delivered(r.get(1), r.size() > 3 ? r.get(3) : null),
        Replies.toLong(r.get(2), 0));
  }

  /** Entries with their delivery counts ({@code counts} aligned with them; null: 1 each). */
  static List<Dispatcher.Delivered> delivered(Response entries, Response counts) {
    List<Dispatcher.Delivered> out = new ArrayList<>();
    if (entries != null) {
      for (int i = 0; i < entries.size(); i++) {
        int n = counts != null && i < counts.size() ? counts.get(i).toInteger() : 1;
        out.add(new Dispatcher.Delivered(entries.get(i), n));
      }
    }
    return out;
  }
}
