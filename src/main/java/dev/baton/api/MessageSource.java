package dev.baton.api;

import io.vertx.core.Future;
import java.util.List;

/**
 * Where the generator's messages come from ({@code generator.source: java}). Only the node that
 * holds the generator lease calls {@link #next}, once per tick ({@code generator.intervalMs}; as
 * fast as the backlog bound allows with {@code intervalMs} 0), never two calls at once. The answer
 * is zero or more message texts; each is published as one message (texts over {@code
 * generator.maxMessageBytes} in UTF-8 are refused and counted, never cut). A failed future or one
 * that misses {@link Tick#deadlineMs()} skips the tick.
 *
 * <p>Like a {@link MessageHandler}: called on an event loop, never block it; a public no-argument
 * constructor; found by {@code generator.java.class} or {@link java.util.ServiceLoader}.
 */
public interface MessageSource {
  default Future<Void> start(PluginContext context) {
    return Future.succeededFuture();
  }

  Future<List<String>> next(Tick tick);

  default Future<Void> stop() {
    return Future.succeededFuture();
  }
}
