package dev.baton.heartbeat;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * {@code heartbeat.lua}, typed: records the node in the cluster view. Its keys, arguments and reply
 * are stated here only.
 */
public final class HeartbeatScript {
  public static final Script SCRIPT = Script.load("heartbeat", "presence");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "heartbeat";

  private HeartbeatScript() {}

  /** How the beat uses presence: off, on, or on and this node checks every member (a watcher). */
  public enum Presence {
    OFF("0"),
    ON("1"),
    WATCHER("2");

    final String arg;

    Presence(String arg) {
      this.arg = arg;
    }
  }

  /**
   * The beat's reply: the Redis server time, the two watchers the beat named ('' for none), and how
   * many connections subscribe to this node's presence channel (0 when unknown; over 1: a
   * duplicate).
   */
  record Reply(long serverMs, String watcher, long ownSubscribers, String secondWatcher) {
    /** Whether the beat named {@code nodeId} one of the two watchers. */
    boolean watches(String nodeId) {
      return nodeId.equals(watcher) || nodeId.equals(secondWatcher);
    }
  }

  static Future<Reply> beat(
      RedisOps redis, Keys keys, String nodeId, JsonObject info, long timeoutMs, Presence mode) {
    return redis
        .eval(SCRIPT, keys(keys), args(nodeId, info, timeoutMs, mode))
        .map(HeartbeatScript::reply);
  }

  public static List<String> keys(Keys keys) {
    return List.of(keys.heartbeats(), keys.nodes(), keys.presence(), keys.leader());
  }

  public static List<String> args(String nodeId, JsonObject info, long timeoutMs, Presence mode) {
    return List.of(nodeId, info.encode(), Long.toString(timeoutMs), mode.arg);
  }

  static Reply reply(Response r) {
    String watcher = r.size() > 1 ? Replies.str(r.get(1)) : "";
    String second = r.size() > 3 ? Replies.str(r.get(3)) : "";
    return new Reply(
        Replies.toLong(r.get(0), 0),
        watcher == null ? "" : watcher,
        r.size() > 2 ? Replies.toLong(r.get(2), 0) : 0,
        second == null ? "" : second);
  }
}
