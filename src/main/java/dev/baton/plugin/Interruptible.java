package dev.baton.plugin;

import dev.baton.api.Invocation;
import dev.baton.api.Tick;

/**
 * A built-in plug-in that can really end a call it is working on: reset the HTTP request, kill the
 * child process. Baton calls it when the call's time is up (it has then already counted the attempt
 * as timed out and ignores any later answer), and at the end of a stop's grace.
 */
public interface Interruptible {
  /** Ends the work on {@code invocation}; its future may then fail or never complete. */
  default void cancel(Invocation invocation) {}

  /** Ends a source's work on {@code tick}. */
  default void cancel(Tick tick) {}
}
