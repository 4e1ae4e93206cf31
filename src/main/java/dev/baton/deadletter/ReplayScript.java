package dev.baton.deadletter;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code replay.lua}, typed: puts dead letters back in the message stream, each at most once. Its
 * keys, arguments and reply are stated here only.
 */
public final class ReplayScript {
  public static final Script SCRIPT = Script.load("replay", "ledger");

  private ReplayScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(
        keys.deadLetter(),
        keys.messages(),
        keys.stats(),
        keys.auditPublished(),
        keys.auditCommitted());
  }

  /** Replays {@code deadLetterIds} (entry ids of the dead-letter stream). */
  public static List<String> args(boolean audit, List<String> deadLetterIds) {
    List<String> args = new ArrayList<>(deadLetterIds.size() + 1);
    args.add(Script.flag(audit));
    args.addAll(deadLetterIds);
    return args;
  }

  /** What became of each of {@code deadLetterIds}, in order. */
  static List<DeadLetterStore.Replay> reply(List<String> deadLetterIds, Response reply) {
    List<DeadLetterStore.Replay> out = new ArrayList<>(deadLetterIds.size());
    for (int i = 0; i < deadLetterIds.size(); i++) {
      Response each = reply.get(i);
      String messageId = Replies.str(each.get(1));
      boolean replayed = "1".equals(Replies.str(each.get(0)));
      out.add(
          new DeadLetterStore.Replay(
              deadLetterIds.get(i),
              messageId == null || messageId.isEmpty() ? null : messageId,
              replayed ? Replies.str(each.get(2)) : null,
              replayed ? null : Replies.str(each.get(2))));
    }
    return out;
  }
}
