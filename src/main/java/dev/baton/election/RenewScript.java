package dev.baton.election;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * {@code renew.lua}, typed: extends the lease while it names this node and epoch. Its keys,
 * arguments and reply are stated here only.
 */
public final class RenewScript {
  public static final Script SCRIPT = Script.load("renew");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "election.renew";

  private RenewScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.leader(), keys.epoch());
  }

  public static List<String> args(String nodeId, long epoch, long leaseMs) {
    return List.of(nodeId, Long.toString(epoch), Long.toString(leaseMs));
  }

  /** Whether the lease was extended. */
  static boolean reply(Response r) {
    return Replies.toLong(r, 0) == 1;
  }
}
