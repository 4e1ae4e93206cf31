package dev.baton.plugin;

import dev.baton.api.Invocation;
import dev.baton.api.MessageHandler;
import dev.baton.api.Outcome;
import dev.baton.api.PluginContext;
import dev.baton.config.PluginSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code handler.type: command}: {@code handler.processes} long-lived child processes running
 * {@code handler.command}, each handed invocations as JSON Lines on its stdin ({@link
 * Invocation#toJson()}, one a line, many in flight) and answering on its stdout, in any order, one
 * line per invocation: {@code {"id","outcome":"ok"|"error"|"fail","reason"?,"details"?}}. An
 * invocation goes to the live child with the fewest in flight. A child that exits, closes its
 * stdout, answers garbage or misses a deadline is killed with its descendants and restarted after a
 * backoff; its invocations fail as attempts ({@link AttemptFailure}: crash, bad answer, timeout).
 * Each child gets the node's environment and working directory, plus {@code BATON_NODE_ID}; its
 * stderr goes to the node's log, a log line per line.
 */
public final class CommandHandler implements MessageHandler, Interruptible {
  /** Longest answer line; a longer one is a bad answer. */
  static final int MAX_ANSWER_BYTES = 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(CommandHandler.class);

  private final JsonLinesPool<Outcome> pool;
  private final long timeoutMs;

  /**
   * @param settings {@code handler}'s plug-in settings; {@code command()} is the checked argv
   * @param processes how many children to run
   * @param timeoutMs how long an attempt may take, then its child is killed
   */
  public CommandHandler(PluginSettings settings, int processes, long timeoutMs) {
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("timeoutMs must be positive, got " + timeoutMs);
    }
    this.pool =
        new JsonLinesPool<>(
            LOG,
            "handler.command",
            settings.command(),
            processes,
            "id",
            "invocation",
            MAX_ANSWER_BYTES,
            CommandHandler::outcome);
    this.timeoutMs = timeoutMs;
  }

  /** Starts the children; fails with a ConfigException naming handler.command if it cannot. */
  @Override
  public Future<Void> start(PluginContext context) {
    return pool.start(context.vertx(), context.nodeId());
  }

  @Override
  public Future<Outcome> handle(Invocation invocation) {
    return pool.call(invocation.id(), invocation.toJson(), timeoutMs);
  }

  @Override
  public void cancel(Invocation invocation) {
    pool.cancel(invocation.id());
  }

  @Override
  public Future<Void> stop() {
    return pool.stop();
  }

  /** The live children's pids (for tests). */
  List<Long> pids() {
    return pool.pids();
  }

  /** An answer line's outcome; the id was checked by the pool. */
  static Outcome outcome(JsonObject answer) {
    Object outcome = answer.getValue("outcome");
    Object reason = answer.getValue("reason");
    if (reason != null && !(reason instanceof String)) {
      throw new IllegalArgumentException("whose reason is not a string");
    }
    String why = (String) reason;
    if ("ok".equals(outcome)) {
      return Outcome.ok();
    }
    if ("fail".equals(outcome)) {
      return Outcome.fail(why == null ? "" : why);
    }
    if ("error".equals(outcome)) {
      if (why == null || why.isBlank()) {
        throw new IllegalArgumentException("of outcome error without a reason");
      }
      Object details = answer.getValue("details");
      if (details != null && !(details instanceof JsonObject)) {
        throw new IllegalArgumentException("whose details are not a JSON object");
      }
      return Outcome.error(why, (JsonObject) details);
    }
    throw new IllegalArgumentException(
        "whose outcome is not \"ok\", \"error\" or \"fail\" (got " + outcome + ")");
  }
}
