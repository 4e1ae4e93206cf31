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

  /**
   * One message's outcome; {@code payload} is the error record JSON or the dead-letter reason,
   * {@code ts} the message's publish time (0 when unknown).
   */
  public record Outcome(String id, Kind kind, String payload, long ts) {
    public Outcome(String id, Kind kind, String payload) {
      this(id, kind, payload, 0);
    }
  }

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
    // plain messages travel as bare ids (most of a batch), the others as id, kind, payload
    int plain = 0;
    for (Outcome o : outcomes) {
      plain += o.kind() == Kind.OK ? 1 : 0;
    }
    List<String> args = new ArrayList<>(5 + plain + (outcomes.size() - plain) * 3);
    args.add(Keys.HANDLERS_GROUP);
    args.add(nodeId);
    args.add(audit);
    args.add(reclaimed ? "1" : "0");
    args.add(Integer.toString(plain));
    int[] order = new int[outcomes.size()];
    int k = 0;
    for (int i = 0; i < outcomes.size(); i++) {
      if (outcomes.get(i).kind() == Kind.OK) {
        args.add(outcomes.get(i).id());
        order[k++] = i;
      }
    }
    for (int i = 0; i < outcomes.size(); i++) {
      Outcome o = outcomes.get(i);
      if (o.kind() != Kind.OK) {
        args.add(o.id());
        args.add(o.kind().wire);
        args.add(o.payload() == null ? "" : o.payload());
        order[k++] = i;
      }
    }
    return redis.eval(Scripts.COMMIT,
            List.of(keys.messages(), keys.errors(), keys.deadLetter(), keys.stats(), keys.auditCommitted()), args)
        .map(r -> flags(r, order));
  }

  /** The script answers one '1'/'0' per message in argument order; map it back to the caller's order. */
  private static boolean[] flags(Response r, int[] order) {
    String s = r.toString();
    boolean[] out = new boolean[order.length];
    for (int i = 0; i < order.length && i < s.length(); i++) {
      out[order[i]] = s.charAt(i) == '1';
    }
    return out;
  }
}
