package dev.baton.cluster;

import dev.baton.redis.Keys;
import dev.baton.redis.Script;
import java.util.List;

/**
 * {@code view.lua}, typed: the cluster as Redis sees it, read in one call. Its keys and arguments
 * are stated here only; its reply is decoded by {@link ClusterView}, the record it becomes.
 */
public final class ViewScript {
  public static final Script SCRIPT = Script.load("view", "presence");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "status";

  private ViewScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(
        keys.leader(),
        keys.epoch(),
        keys.heartbeats(),
        keys.nodes(),
        keys.messages(),
        keys.stats(),
        keys.presence());
  }

  public static List<String> args() {
    return List.of(Keys.HANDLERS_GROUP);
  }
}
