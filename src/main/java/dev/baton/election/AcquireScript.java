package dev.baton.election;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code acquire.lua}, typed: takes the lease, or takes it over from a holder whose presence
 * vanished. Its keys, arguments and reply are stated here only.
 */
public final class AcquireScript {
  public static final Script SCRIPT = Script.load("acquire", "presence");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "election.acquire";

  private AcquireScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.leader(), keys.epoch(), keys.grants(), keys.presence(), keys.messages());
  }

  /** {@code nodeId} asks for a lease of {@code leaseMs}, above {@code epochFloor}. */
  public static List<String> args(String nodeId, long leaseMs, long epochFloor, Lease.Mode mode) {
    return List.of(
        nodeId,
        Long.toString(leaseMs),
        Long.toString(epochFloor),
        Integer.toString(mode.wire()),
        Keys.HANDLERS_GROUP);
  }

  static Lease.Attempt reply(Response r) {
    List<String> absent = new ArrayList<>();
    if (r.size() > 5 && r.get(5) != null) {
      r.get(5).forEach(c -> absent.add(c.toString()));
    }
    return new Lease.Attempt(
        Replies.toLong(r.get(0), 0) == 1,
        Replies.toLong(r.get(1), 0),
        Replies.toLong(r.get(2), -2),
        Replies.str(r.get(3)),
        r.size() > 4 && r.get(4) != null ? r.get(4).toString() : "",
        absent);
  }
}
