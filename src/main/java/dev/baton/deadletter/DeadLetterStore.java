package dev.baton.deadletter;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;

/**
 * The dead letters of one cluster: read a page at a time, and put back by {@code replay.lua}, whose
 * arguments are built and whose reply is decoded here only.
 */
public final class DeadLetterStore {
  private final RedisOps redis;
  private final Keys keys;
  private final boolean audit;

  /** What became of one dead letter asked to be replayed. */
  public record Replay(String deadLetterId, String messageId, String entryId, String refusal) {
    public boolean replayed() {
      return refusal == null;
    }

    /** {@code messageId}, {@code deadLetterId} and either {@code entryId} or {@code refused}. */
    public JsonObject toJson() {
      JsonObject o = new JsonObject().put("messageId", messageId).put("deadLetterId", deadLetterId);
      return replayed() ? o.put("entryId", entryId) : o.put("refused", refusal);
    }
  }

  /**
   * @param audit record replays in the audit ledger even when there is none yet (they are recorded
   *     whenever one exists)
   */
  public DeadLetterStore(RedisOps redis, Keys keys, boolean audit) {
    this.redis = redis;
    this.keys = keys;
    this.audit = audit;
  }

  /** The id of the newest dead letter, or null when there is none. */
  public Future<String> last() {
    return redis
        .send(
            Request.cmd(Command.XREVRANGE)
                .arg(keys.deadLetter())
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1))
        .map(r -> r == null || r.size() == 0 ? null : r.get(0).get(0).toString());
  }

  /**
   * Up to {@code count} dead letters, oldest first, from {@code start} ({@code -}, or {@code (id}
   * for those after id) to {@code end} (an id, inclusive).
   */
  public Future<List<DeadLetter>> page(String start, String end, int count) {
    return redis
        .send(
            Request.cmd(Command.XRANGE)
                .arg(keys.deadLetter())
                .arg(start)
                .arg(end)
                .arg("COUNT")
                .arg(count))
        .map(
            r -> {
              List<DeadLetter> out = new ArrayList<>();
              for (Replies.Entry e : Replies.entries(r)) {
                out.add(DeadLetter.of(e));
              }
              return out;
            });
  }

  /** Replays these dead letters (entry ids), each at most once; what became of each, in order. */
  public Future<List<Replay>> replay(List<String> deadLetterIds) {
    return redis
        .eval(ReplayScript.SCRIPT, ReplayScript.keys(keys), ReplayScript.args(audit, deadLetterIds))
        .map(r -> ReplayScript.reply(deadLetterIds, r));
  }
}
