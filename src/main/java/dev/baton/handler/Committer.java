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
   * What one commit call did: how many of the plain messages (kind OK) it committed, and for each
   * other message, in the caller's order of those, whether it committed it.
   */
  public record Result(int plainTotal, long plainCommitted, boolean[] others) {
    /** Whether this call committed every plain message it was given. */
    public boolean allPlainCommitted() {
      return plainCommitted == plainTotal;
    }
  }

  /** {@code reclaimed} marks messages taken over from another consumer (recorded in the ledger). */
  public Future<Result> commit(List<Outcome> outcomes, boolean reclaimed) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture(new Result(0, 0, new boolean[0]));
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
    for (Outcome o : outcomes) {
      if (o.kind() == Kind.OK) {
        args.add(o.id());
      }
    }
    for (Outcome o : outcomes) {
      if (o.kind() != Kind.OK) {
        args.add(o.id());
        args.add(o.kind().wire);
        args.add(o.payload() == null ? "" : o.payload());
      }
    }
    int plainTotal = plain;
    return redis.eval(Scripts.COMMIT,
            List.of(keys.messages(), keys.errors(), keys.deadLetter(), keys.stats(), keys.auditCommitted()), args)
        .map(r -> result(r.toString(), plainTotal, outcomes.size() - plainTotal));
  }

  private static Result result(String reply, int plainTotal, int otherCount) {
    int colon = reply.indexOf(':');
    boolean[] others = new boolean[otherCount];
    for (int i = 0; i < otherCount && colon + 1 + i < reply.length(); i++) {
      others[i] = reply.charAt(colon + 1 + i) == '1';
    }
    return new Result(plainTotal, Long.parseLong(reply.substring(0, colon)), others);
  }
}
