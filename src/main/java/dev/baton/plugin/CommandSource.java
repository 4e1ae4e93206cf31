package dev.baton.plugin;

import dev.baton.api.MessageSource;
import dev.baton.api.PluginContext;
import dev.baton.api.Tick;
import dev.baton.config.PluginSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code generator.source: command}: one long-lived child process running {@code
 * generator.command}, asked for each tick's messages in JSON Lines: Baton writes {@code
 * {"tick":"<epoch>:<seq>","deadlineMs":…}} to its stdin, the child answers {@code
 * {"tick":"<epoch>:<seq>","messages":["…",…]}} on its stdout. A retried tick is asked again with
 * the same key, so a source that answers a key the same way every time is idempotent. The child is
 * killed and restarted as {@link CommandHandler}'s are (an answer for another tick, garbage, an
 * exit, a missed deadline), and the tick fails with the matching {@link AttemptFailure}.
 */
public final class CommandSource implements MessageSource, Interruptible {
  /** Longest answer line (all of a tick's messages, JSON-escaped); a longer one is a bad answer. */
  static final int MAX_ANSWER_BYTES = 64 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(CommandSource.class);

  private final JsonLinesPool<List<String>> pool;
  private final long timeoutMs;

  /**
   * @param settings {@code generator}'s source settings; {@code command()} is the checked argv
   * @param timeoutMs how long a tick may take, then the child is killed
   */
  public CommandSource(PluginSettings settings, long timeoutMs) {
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("timeoutMs must be positive, got " + timeoutMs);
    }
    this.pool =
        new JsonLinesPool<>(
            LOG,
            "generator.command",
            settings.command(),
            1,
            "tick",
            "tick",
            MAX_ANSWER_BYTES,
            CommandSource::messages);
    this.timeoutMs = timeoutMs;
  }

  /** Starts the child; fails with a ConfigException naming generator.command if it cannot. */
  @Override
  public Future<Void> start(PluginContext context) {
    return pool.start(context.vertx(), context.nodeId());
  }

  @Override
  public Future<List<String>> next(Tick tick) {
    return pool.call(
        tick.key(),
        new JsonObject().put("tick", tick.key()).put("deadlineMs", tick.deadlineMs()),
        timeoutMs);
  }

  @Override
  public void cancel(Tick tick) {
    pool.cancel(tick.key());
  }

  @Override
  public Future<Void> stop() {
    return pool.stop();
  }

  /** The live child's pid, if any (for tests). */
  List<Long> pids() {
    return pool.pids();
  }

  /** An answer line's messages; the tick was checked by the pool. */
  static List<String> messages(JsonObject answer) {
    if (!(answer.getValue("messages") instanceof JsonArray list)) {
      throw new IllegalArgumentException("without a \"messages\" list");
    }
    List<String> texts = new ArrayList<>(list.size());
    for (Object m : list) {
      if (!(m instanceof String text)) {
        throw new IllegalArgumentException("whose messages are not all strings");
      }
      texts.add(text);
    }
    return texts;
  }
}
