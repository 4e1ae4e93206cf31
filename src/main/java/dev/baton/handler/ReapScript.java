package dev.baton.handler;

import dev.baton.redis.Keys;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code reap.lua}, typed: removes the idle consumers of departed nodes. Its keys, arguments and
 * reply are stated here only.
 */
public final class ReapScript {
  public static final Script SCRIPT = Script.load("reap", "presence");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "reclaim.reap";

  private ReapScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.messages(), keys.heartbeats(), keys.presence());
  }

  /** A node is departed when its heartbeat is older than {@code heartbeatTimeoutMs}. */
  public static List<String> args(long heartbeatTimeoutMs) {
    return List.of(Keys.HANDLERS_GROUP, Long.toString(heartbeatTimeoutMs));
  }

  /** The names of the consumers removed. */
  static List<String> reply(Response r) {
    List<String> names = new ArrayList<>();
    if (r != null) {
      r.forEach(n -> names.add(n.toString()));
    }
    return names;
  }
}
