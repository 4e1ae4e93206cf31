package dev.baton.handler;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * {@code claim.lua}, typed: claims the entries pending on a consumer whose node's presence
 * vanished. Its keys, arguments and reply are stated here only.
 */
public final class ClaimScript {
  public static final Script SCRIPT =
      Script.load("claim", "presence", "ledger", "dead-letter", "claims");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "presence.claim";

  private ClaimScript() {}

  /** What one call took: the consumer's presence state, its entries, the messages dead-lettered. */
  record Claimed(String presence, List<Dispatcher.Delivered> entries, long deadLettered) {}

  public static List<String> keys(Keys keys) {
    return List.of(
        keys.messages(), keys.deadLetter(), keys.stats(), keys.auditCommitted(), keys.presence());
  }

  /**
   * This {@code consumer} takes up to {@code batch} entries pending on {@code from}; over {@code
   * maxDeliveries} they are dead-lettered.
   */
  public static List<String> args(
      String consumer, String from, int batch, int maxDeliveries, boolean audit) {
    return List.of(
        Keys.HANDLERS_GROUP,
        consumer,
        from,
        Integer.toString(batch),
        Integer.toString(maxDeliveries),
        Script.flag(audit));
  }

  static Claimed reply(Response r) {
    return new Claimed(
        Replies.str(r.get(0)),
        ReclaimScript.delivered(r.get(1), r.size() > 3 ? r.get(3) : null),
        Replies.toLong(r.get(2), 0));
  }
}
