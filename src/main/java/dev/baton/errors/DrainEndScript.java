package dev.baton.errors;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * {@code drain-end.lua}, typed: ends a drain run. Its keys, arguments and reply are stated here
 * only.
 */
public final class DrainEndScript {
  public static final Script SCRIPT = Script.load("drain-end");

  private DrainEndScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.errors(), keys.drainers());
  }

  public static List<String> args(String run) {
    return List.of(Keys.DRAIN_GROUP, run);
  }

  /** Whether the run still held records (their lease is then marked expired). */
  static boolean reply(Response r) {
    return Replies.toLong(r, 0) == 1;
  }
}
