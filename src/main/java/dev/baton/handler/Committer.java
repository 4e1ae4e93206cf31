package dev.baton.handler;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Scripts;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Commits a batch of handled messages with one script call: per message XACK, and only when the
 * XACK returned 1 its effect (error record, dead letter, counters) and XDEL. Two handlers racing
 * for one message can both call this; exactly one of them gets a 1.
 */
public final class Committer {
  /** What to do with one message. */
  public enum Kind {
    OK("ok"),
    ERROR("error"),
    DEAD("dead");

    final String wire;

    Kind(String wire) {
      this.wire = wire;
    }
  }

  /** One message's outcome; {@code payload} is the error record JSON or the dead-letter reason. */
  public record Outcome(String id, Kind kind, String payload) {}

  private final RedisOps redis;
  private final Keys keys;
  private final String nodeId;
  private final String audit;

  public Committer(RedisOps redis, Keys keys, String nodeId, boolean audit) {
    this.redis = redis;
    this.keys = keys;
    this.nodeId = nodeId;
    this.audit = audit ? "1" : "0";
  }

  /**
   * Flags in order: true where this call committed the message, false where it was done before.
   * {@code reclaimed} marks messages taken over from another consumer (recorded in the ledger).
   */
  public Future<boolean[]> commit(List<Outcome> outcomes, boolean reclaimed) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture(new boolean[0]);
    }
    List<String> args = new ArrayList<>(4 + outcomes.size() * 3);
    args.add(Keys.HANDLERS_GROUP);
    args.add(nodeId);
    args.add(audit);
    args.add(reclaimed ? "1" : "0");
    for (Outcome o : outcomes) {
      args.add(o.id());
      args.add(o.kind().wire);
      args.add(o.payload() == null ? "" : o.payload());
    }
    return redis.eval(Scripts.COMMIT,
            List.of(keys.messages(), keys.errors(), keys.deadLetter(), keys.stats(), keys.auditCommitted()), args)
        .map(Committer::flags);
  }

  private static boolean[] flags(Response r) {
    boolean[] out = new boolean[r.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = r.get(i).toLong() == 1;
    }
    return out;
  }
}
