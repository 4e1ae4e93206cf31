package dev.baton.api;

import io.vertx.core.Future;

/**
 * A handler of messages ({@code handler.type: java}). Baton calls {@link #handle} on a Vert.x event
 * loop: return at once, with a future, and never block the calling thread (run blocking work with
 * {@code vertx.executeBlocking}). At most {@code handler.concurrency} calls are outstanding per
 * node. An attempt that has not completed within {@code handler.timeoutMs} counts as failed and its
 * late answer is ignored.
 *
 * <p>Implementations need a public no-argument constructor; Baton finds them by {@code
 * handler.java.class} or, when that is empty, as the single implementation registered for {@link
 * java.util.ServiceLoader} ({@code META-INF/services/dev.baton.api.MessageHandler}).
 */
public interface MessageHandler {
  /** Called once before the first {@link #handle}; the node starts only when it succeeds. */
  default Future<Void> start(PluginContext context) {
    return Future.succeededFuture();
  }

  /** One attempt at one message: its outcome (a failed future is a failed attempt). */
  Future<Outcome> handle(Invocation invocation);

  /** Called once when the node stops, after the last {@link #handle} completed or timed out. */
  default Future<Void> stop() {
    return Future.succeededFuture();
  }
}
