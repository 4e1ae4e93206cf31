package dev.baton.api;

import io.vertx.core.json.JsonObject;

/**
 * One attempt at one message, as handed to a {@link MessageHandler}.
 *
 * <ul>
 *   <li>{@link #id()}: the message id, the same on every attempt and every node (the idempotency
 *       key);
 *   <li>{@link #text()}: the message;
 *   <li>{@link #ts()}: when it was published (Redis server clock, ms since the epoch);
 *   <li>{@link #attempt()}: 1 for the first attempt, then 2, 3, … (a retry, or a takeover of a
 *       crashed or frozen node's work);
 *   <li>{@link #deadlineMs()}: when this attempt times out (Redis server clock, ms since the
 *       epoch); an answer after it is ignored and the attempt counts as failed.
 * </ul>
 */
public interface Invocation {
  String id();

  String text();

  long ts();

  int attempt();

  long deadlineMs();

  /**
   * The wire form the HTTP and command plug-ins send: {@code
   * {"id","text","ts","attempt","deadlineMs"}}.
   */
  default JsonObject toJson() {
    return new JsonObject()
        .put("id", id())
        .put("text", text())
        .put("ts", ts())
        .put("attempt", attempt())
        .put("deadlineMs", deadlineMs());
  }

  /** An invocation with these values (for a plug-in's own tests). */
  static Invocation of(String id, String text, long ts, int attempt, long deadlineMs) {
    return new Invocation() {
      @Override
      public String id() {
        return id;
      }

      @Override
      public String text() {
        return text;
      }

      @Override
      public long ts() {
        return ts;
      }

      @Override
      public int attempt() {
        return attempt;
      }

      @Override
      public long deadlineMs() {
        return deadlineMs;
      }

      @Override
      public String toString() {
        return "Invocation" + toJson().encode();
      }
    };
  }
}
