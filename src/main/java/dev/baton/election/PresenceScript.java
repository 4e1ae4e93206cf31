package dev.baton.election;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * {@code presence.lua}, typed: registers a node's presence on this server instance. Its keys,
 * arguments and reply are stated here only.
 */
public final class PresenceScript {
  public static final Script SCRIPT = Script.load("presence", "presence");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "presence.register";

  private PresenceScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.presence());
  }

  /**
   * {@code mode} says how its subscribers are counted: {@code s} sharded Pub/Sub, {@code n} plain.
   */
  public static List<String> args(String nodeId, String mode) {
    return List.of(nodeId, mode);
  }

  /** The subscribers of the node's channel (negative: the server cannot count them). */
  static long reply(Response r) {
    return Replies.toLong(r, 0);
  }
}
