package dev.baton.errors;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code drain-claim.lua}, typed: a drain run's next batch of error records. Its keys, arguments
 * and reply are stated here only.
 */
public final class DrainClaimScript {
  public static final Script SCRIPT = Script.load("drain-claim", "claims");

  private DrainClaimScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.errors(), keys.drainers());
  }

  /**
   * Run {@code run} (its lease {@code leaseMs}) claims up to {@code batch} records up to {@code
   * snapshot}.
   */
  public static List<String> args(String run, long leaseMs, String snapshot, int batch) {
    return List.of(
        Keys.DRAIN_GROUP, run, Long.toString(leaseMs), snapshot, Integer.toString(batch));
  }

  static DrainScripts.Claim reply(Response reply) {
    List<ErrorEntry> records = new ArrayList<>();
    Response raw = reply.get(0);
    if (raw != null) {
      for (Response e : raw) {
        records.add(ErrorEntry.of(e));
      }
    }
    return new DrainScripts.Claim(
        records, Replies.str(reply.get(1)), reply.size() > 2 ? Replies.toLong(reply.get(2), 0) : 0);
  }
}
