package dev.baton.deadletter;

import dev.baton.redis.Keys;
import dev.baton.redis.Script;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code replay.lua}, typed: puts dead letters back in the message stream, each at most once. Its
 * keys and arguments are stated here only; its reply is decoded by {@link DeadLetterStore#replay}.
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
}
