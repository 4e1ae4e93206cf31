package dev.baton.handler;

import dev.baton.redis.Keys;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code hold.lua}, typed: keeps a consumer's claims and counts a retry's attempt. Its keys,
 * arguments and reply are stated here only.
 */
public final class HoldScript {
  public static final Script SCRIPT = Script.load("hold");

  private HoldScript() {}

  /** An entry a consumer holds under its {@code deliveries}-th delivery. */
  public record Claim(String entryId, int deliveries) {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.messages());
  }

  /**
   * {@code consumer} keeps {@code claims}; with {@code retry} each starts a new attempt (its
   * delivery count raised).
   */
  public static List<String> args(String consumer, boolean retry, List<Claim> claims) {
    List<String> args = new ArrayList<>(3 + 2 * claims.size());
    args.add(Keys.HANDLERS_GROUP);
    args.add(consumer);
    args.add(retry ? "1" : "0");
    for (Claim c : claims) {
      args.add(c.entryId());
      args.add(Integer.toString(c.deliveries()));
    }
    return args;
  }

  /** Per claim its delivery count now, or 0 when it no longer holds. */
  static List<Integer> reply(Response r) {
    List<Integer> out = new ArrayList<>(r.size());
    r.forEach(c -> out.add(c == null ? 0 : c.toInteger()));
    return out;
  }
}
