package dev.baton.heartbeat;

import dev.baton.cluster.PageHistory;
import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * {@code health.lua}, typed: what tells whether the cluster works, read in one call. Its keys,
 * arguments and reply are stated here only.
 */
public final class HealthScript {
  public static final Script SCRIPT = Script.load("health");

  private HealthScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.leader(), keys.heartbeats(), keys.nodes(), keys.messages(), keys.stats());
  }

  /** A member is departed when its heartbeat is older than {@code heartbeatTimeoutMs}. */
  public static List<String> args(long heartbeatTimeoutMs) {
    return List.of(Keys.HANDLERS_GROUP, Long.toString(heartbeatTimeoutMs));
  }

  /**
   * Adds the reply's totals to the page's history: published and processed, and the backlog in
   * messages as /status counts it (the stream's entries at least: a pack holds many).
   */
  static void record(Response r, PageHistory history) {
    if (r.size() < 14) {
      return;
    }
    String streamType = Replies.str(r.get(6));
    if (!"stream".equals(streamType) && !"none".equals(streamType)) {
      return; // the messages key holds something else: no backlog the charts could show
    }
    long entries = r.get(7).toLong();
    long counted = Replies.parseLong(Replies.str(r.get(13)), 0);
    history.add(
        r.get(0).toLong(),
        Replies.parseLong(Replies.str(r.get(11)), 0),
        Replies.parseLong(Replies.str(r.get(12)), 0),
        entries == 0 ? 0 : Math.max(entries, counted));
  }

  /** The reply as the stall detector reads it. */
  static StallDetector.Snapshot snapshot(Response r) {
    return new StallDetector.Snapshot(
        r.get(0).toLong(),
        Replies.str(r.get(1)),
        Replies.str(r.get(2)),
        r.get(3).toLong(),
        r.get(4).toInteger(),
        r.get(5).toInteger(),
        Replies.str(r.get(6)),
        r.get(7).toLong(),
        Replies.str(r.get(8)),
        r.get(9).toLong() == 1,
        r.get(10).toLong());
  }
}
