package dev.baton.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code inspect.lua}, typed: what a node must know of the Redis it works with (its role, its
 * eviction policy and count, the cluster marker and the counters that never go back, the
 * permissions Baton needs), read in one call at start and after every heartbeat.
 */
public final class Inspection {
  private Inspection() {}

  /** The cluster marker's fields: its id, when it was written, and the last loss recorded in it. */
  public record Marker(String id, boolean created, long sinceMs, long lostAtMs, String lost) {}

  /** What the stream holds: whether it and the handlers' group exist, its ever-growing counts. */
  public record Stream(boolean exists, long entriesAdded, String lastId, boolean groupExists) {}

  /**
   * One reply. {@code role} is {@code master}, {@code slave} or "" (INFO denied); {@code policy} ""
   * and numbers -1 when unknown; counters "" when absent. {@code permissionsChecked}: 1 checked, 0
   * not asked, -1 this Redis cannot tell (before 7.0); {@code denied} the checks refused.
   */
  public record Facts(
      long serverMs,
      String role,
      boolean readOnlyReplica,
      String primary,
      String policy,
      long maxmemory,
      long evictedKeys,
      String runId,
      Marker marker,
      String epoch,
      String published,
      String processed,
      Stream stream,
      int permissionsChecked,
      List<Permissions.Denied> denied) {

    /** Whether Redis's maxmemory-policy can evict Baton's keys (every policy but noeviction). */
    public boolean evictingPolicy() {
      return !policy.isEmpty() && !Permissions.SAFE_POLICY.equals(policy);
    }
  }

  /**
   * Runs the inspection; with {@code permissions} null, asks for none.
   *
   * @param permissions what Baton needs of Redis, checked without running anything (Redis 7)
   */
  public static Future<Facts> run(RedisOps redis, Keys keys, Permissions permissions) {
    return redis
        .eval(
            InspectScript.SCRIPT,
            InspectScript.keys(keys),
            InspectScript.args(UUID.randomUUID().toString(), permissions))
        .map(r -> facts(r, permissions));
  }

  /**
   * The permissions alone, naming no key (for when Redis refused the keys of {@link #run}: it then
   * tells which of Baton's needs it denies).
   */
  public static Future<Facts> permissionsOnly(RedisOps redis, Permissions permissions) {
    return redis
        .eval(InspectScript.SCRIPT, List.of(), InspectScript.args("", permissions))
        .map(r -> facts(r, permissions));
  }

  static Facts facts(Response r, Permissions permissions) {
    List<Integer> denied = new ArrayList<>();
    Response d = r.get(21);
    if (d != null && permissions != null) {
      for (Response each : d) {
        denied.add((int) Replies.toLong(each, 0) - 1);
      }
    }
    return new Facts(
        Replies.toLong(r.get(0), 0),
        str(r.get(1)),
        Replies.toLong(r.get(2), 0) == 1,
        str(r.get(3)),
        str(r.get(4)),
        Replies.toLong(r.get(5), -1),
        Replies.toLong(r.get(6), -1),
        str(r.get(7)),
        new Marker(
            str(r.get(8)),
            Replies.toLong(r.get(9), 0) == 1,
            Replies.parseLong(str(r.get(10)), -1),
            Replies.parseLong(str(r.get(11)), -1),
            str(r.get(12))),
        str(r.get(13)),
        str(r.get(14)),
        str(r.get(15)),
        new Stream(
            Replies.toLong(r.get(16), 0) == 1,
            Replies.toLong(r.get(17), -1),
            str(r.get(18)),
            Replies.toLong(r.get(19), 0) == 1),
        (int) Replies.toLong(r.get(20), 0),
        permissions == null ? List.of() : permissions.denied(denied));
  }

  private static String str(Response r) {
    String s = Replies.str(r);
    return s == null ? "" : s;
  }
}
