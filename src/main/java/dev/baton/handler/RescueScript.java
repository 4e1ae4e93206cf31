package dev.baton.handler;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * {@code rescue.lua}, typed: delivers the entries the group skipped (behind its cursor, pending
 * nowhere). Its keys, arguments and reply are stated here only.
 */
public final class RescueScript {
  public static final Script SCRIPT = Script.load("rescue");

  private RescueScript() {}

  /** What one call took: the next scan cursor, the entries, the messages in them. */
  record Rescued(String cursor, List<Dispatcher.Delivered> entries, long messages) {}

  public static List<String> keys(Keys keys) {
    return List.of(keys.messages(), keys.stats());
  }

  /**
   * This {@code consumer} takes the skipped entries of the next {@code batch} from {@code from}.
   */
  public static List<String> args(String consumer, String from, int batch) {
    return List.of(Keys.HANDLERS_GROUP, consumer, from, Integer.toString(batch));
  }

  static Rescued reply(Response r) {
    // rescue.lua sets the delivery count of what it takes to 1: a first delivery
    return new Rescued(
        Replies.str(r.get(0)),
        ReclaimScript.delivered(r.get(1), null),
        Replies.toLong(r.get(2), 0));
  }
}
