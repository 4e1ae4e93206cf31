package dev.baton.api;

import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Objects;

/**
 * What a handler made of one attempt at a message:
 *
 * <ul>
 *   <li>{@link #ok()}: handled; Baton commits it as processed.
 *   <li>{@link #error(String, JsonObject)}: the message is bad; Baton commits it once as an error
 *       record that keeps the reason and the details (what {@code getErrors} and {@code GET
 *       /errors} show).
 *   <li>{@link #fail(String)}: this attempt failed (the handler could not do the work now); nothing
 *       is committed and the message is tried again after a backoff, up to {@code
 *       handler.maxDeliveries} attempts, then dead-lettered with this reason. A failed future, an
 *       exception or a timeout counts the same way.
 * </ul>
 */
public final class Outcome {
  /** The three outcomes. */
  public enum Kind {
    OK,
    ERROR,
    FAIL
  }

  /** Longest reason kept; a longer one is cut (it is a note for people, not data). */
  public static final int MAX_REASON_CHARS = 1_000;

  private static final Outcome OK = new Outcome(Kind.OK, null, null);

  private final Kind kind;
  private final String reason;
  private final JsonObject details;

  private Outcome(Kind kind, String reason, JsonObject details) {
    this.kind = kind;
    this.reason = reason;
    this.details = details;
  }

  public static Outcome ok() {
    return OK;
  }

  public static Outcome error(String reason) {
    return error(reason, null);
  }

  /** An error with a reason (required) and optional details, kept as JSON in the error record. */
  public static Outcome error(String reason, JsonObject details) {
    return new Outcome(Kind.ERROR, required(reason), details == null ? null : details.copy());
  }

  public static Outcome fail(String reason) {
    return new Outcome(Kind.FAIL, required(reason), null);
  }

  public Kind kind() {
    return kind;
  }

  /** Why (error and fail); null for ok. */
  public String reason() {
    return reason;
  }

  /** The error's details; null when none were given. */
  public JsonObject details() {
    return details;
  }

  private static String required(String reason) {
    Objects.requireNonNull(reason, "an error or a failure needs a reason");
    String r = reason.isBlank() ? "(no reason given)" : reason;
    return r.length() > MAX_REASON_CHARS ? r.substring(0, MAX_REASON_CHARS) + "…" : r;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Outcome other
        && kind == other.kind
        && Objects.equals(reason, other.reason)
        && Objects.equals(details, other.details);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, reason, details);
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(Locale.ROOT)
        + (reason == null ? "" : " (" + reason + ")")
        + (details == null ? "" : " " + details.encode());
  }
}
