package dev.baton.plugin;

import java.util.Locale;

/**
 * Why an attempt failed, as counted ({@code baton_handler_failed_attempts_total{class}}) and shown
 * at the head of the reason a dead letter keeps.
 */
public enum FailureClass {
  /**
   * No answer within {@code handler.timeoutMs} (the work was ended: request reset, process killed).
   */
  TIMEOUT,
  /** The plug-in threw or failed its future, or its process exited or was killed. */
  CRASH,
  /** An answer that is not one (not JSON, an unknown outcome, another message's id…). */
  BAD_ANSWER,
  /** An HTTP answer other than 2xx. */
  HTTP_STATUS,
  /** The endpoint could not be reached (connection refused or reset, DNS, TLS). */
  UNREACHABLE,
  /** The plug-in answered {@code fail}. */
  FAIL;

  /** The metric label and the reason's prefix: {@code timeout}, {@code bad_answer}, … */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
