package dev.baton.errors;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code drain-ack.lua}, typed: deletes the records a drain run printed and renews its lease. Its
 * keys, arguments and reply are stated here only.
 */
public final class DrainAckScript {
  public static final Script SCRIPT = Script.load("drain-ack", "ledger");

  private DrainAckScript() {}

  /** The ledger's other streams are read: a ledger in Redis decides whether drains are recorded. */
  public static List<String> keys(Keys keys) {
    return List.of(
        keys.errors(),
        keys.drainers(),
        keys.auditDrained(),
        keys.auditPublished(),
        keys.auditCommitted(),
        keys.stats());
  }

  /**
   * Run {@code run} (its lease {@code leaseMs}) deletes {@code records}, each as its error record
   * id and message id.
   */
  public static List<String> args(
      String run, long leaseMs, boolean audit, List<ErrorEntry> records) {
    List<String> args = new ArrayList<>(4 + records.size() * 2);
    args.add(Keys.DRAIN_GROUP);
    args.add(run);
    args.add(Long.toString(leaseMs));
    args.add(Script.flag(audit));
    for (ErrorEntry e : records) {
      args.add(e.errorId());
      args.add(e.isRaw() ? "" : String.valueOf(e.record().getValue("id", "")));
    }
    return args;
  }

  /** How many records were deleted. */
  static long reply(Response r) {
    return Replies.toLong(r, 0);
  }
}
