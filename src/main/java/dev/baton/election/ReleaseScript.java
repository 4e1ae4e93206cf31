package dev.baton.election;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * {@code release.lua}, typed: gives the lease up while it names this node and epoch, and announces
 * it. Its keys, arguments and reply are stated here only.
 */
public final class ReleaseScript {
  public static final Script SCRIPT = Script.load("release");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "election.release";

  private ReleaseScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.leader(), keys.epoch());
  }

  /** {@code events} is the channel the release is announced on ({@link Keys#events()}). */
  public static List<String> args(String nodeId, long epoch, String events) {
    return List.of(nodeId, Long.toString(epoch), events);
  }

  /** Whether the lease was released. */
  static boolean reply(Response r) {
    return Replies.toLong(r, 0) == 1;
  }
}
