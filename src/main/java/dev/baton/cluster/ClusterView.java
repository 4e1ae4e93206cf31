package dev.baton.cluster;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.util.Map;

/**
 * A consistent snapshot of the cluster as Redis sees it: leader, members, backlog, totals. {@code
 * backlog} counts uncommitted messages, {@code streamLength} the stream entries holding them (a
 * pack is one entry) and {@code pending} the entries delivered and not yet committed.
 */
public record ClusterView(
    long serverTimeMs,
    String leader,
    long epoch,
    long leaderTtlMs,
    JsonArray members,
    long backlog,
    long streamLength,
    long pending,
    JsonObject totals) {

  private static final String BACKLOG = "backlog";

  /** The lease holder as {@code {"nodeId", "epoch"}}, or null when no node holds the lease. */
  public JsonObject leaderJson() {
    return leader == null ? null : leaderJson(leader, epoch);
  }

  /** A lease holder as /status and the page show it: {@code {"nodeId", "epoch"}}. */
  public static JsonObject leaderJson(String nodeId, long epoch) {
    return new JsonObject().put("nodeId", nodeId).put("epoch", epoch);
  }

  /**
   * The backlog as JSON for /status and the page: {@code length} in messages, {@code entries},
   * {@code pending} entries.
   */
  public JsonObject backlogJson() {
    return new JsonObject()
        .put("length", backlog)
        .put("entries", streamLength)
        .put("pending", pending);
  }

  public static Future<ClusterView> fetch(RedisOps redis, Keys keys) {
    return redis
        .eval(ViewScript.SCRIPT, ViewScript.keys(keys), ViewScript.args())
        .map(ClusterView::parse);
  }

  /** {@code view.lua}'s reply. */
  private static ClusterView parse(Response r) {
    long now = r.get(0).toLong();
    Map<String, String> seen = Replies.pairs(r.get(4));
    Map<String, String> infos = Replies.pairs(r.get(5));
    Map<String, String> presence = r.size() > 9 ? Replies.pairs(r.get(9)) : Map.of();
    JsonArray members = new JsonArray();
    seen.forEach(
        (id, ms) -> {
          JsonObject info = parseInfo(infos.get(id));
          members.add(
              new JsonObject()
                  .put("nodeId", id)
                  .put("role", info.getString("role", "unknown"))
                  .put("lastSeenMs", Math.max(0, now - (long) Double.parseDouble(ms)))
                  .put("presence", presenceLabel(presence.get(id)))
                  .put("http", info.getString("http", ""))
                  .put("intervalMs", number(info, "intervalMs"))
                  .put("processed", number(info, "processed"))
                  .put("processedPerSec", number(info, "processedPerSec"))
                  .put("publishedPerSec", number(info, "publishedPerSec"))
                  .put("handler", info.getString("handler"))
                  .put("source", info.getString("source")));
        });
    JsonObject totals = new JsonObject();
    Replies.pairs(r.get(8)).forEach((k, v) -> totals.put(k, Replies.parseLong(v, 0)));
    // the stats hash keeps the backlog in messages beside the totals; as publish.lua reads it
    long entries = r.get(6).toLong();
    Object counted = totals.remove(BACKLOG);
    long backlog = entries == 0 ? 0 : Math.max(entries, counted instanceof Long l ? l : 0);
    String leader = Replies.str(r.get(1));
    return new ClusterView(
        now,
        leader == null || leader.isEmpty() ? null : leader,
        r.get(2).toLong(),
        r.get(3).toLong(),
        members,
        backlog,
        entries,
        r.get(7).toLong(),
        totals);
  }

  /**
   * {@code present}, {@code gone} (its connection closed: it crashed, or its presence connection
   * broke) or {@code unknown} (presence off, or not yet registered on this server instance).
   */
  private static String presenceLabel(String state) {
    if ("present".equals(state)) {
      return "present";
    }
    return "vanished".equals(state) || "gone".equals(state) ? "gone" : "unknown";
  }

  private static JsonObject parseInfo(String json) {
    if (json == null) {
      return new JsonObject();
    }
    try {
      return new JsonObject(json);
    } catch (RuntimeException e) {
      return new JsonObject();
    }
  }

  /** A numeric field a node reported of itself, or null (older nodes, or not a number). */
  private static Number number(JsonObject info, String field) {
    return info.getValue(field) instanceof Number n ? n : null;
  }
}
