package dev.baton.tool;

/**
 * Every exit code of the jar, one meaning each, for the node and its tools alike (README, "Exit
 * codes").
 */
public final class ExitCodes {
  /** Done: the node stopped cleanly, or the tool did all it was asked. */
  public static final int OK = 0;

  /**
   * Redis was unreachable or failed during the run: a tool could not finish (getErrors, verify), or
   * a node could not stop cleanly (its lease left to lapse, or the stop timed out).
   */
  public static final int REDIS = 1;

  /** Bad configuration (the message names the setting). */
  public static final int CONFIG = 2;

  /**
   * getErrors, deadLetters: standard output was closed before everything was printed (or, for a
   * replay, reported).
   */
  public static final int OUTPUT_CLOSED = 3;

  /** verify: a guarantee does not hold (the report says which). */
  public static final int GUARANTEE_BROKEN = 4;

  /** verify: nothing to verify (no audit ledger, or nothing published or committed in it). */
  public static final int NOTHING_TO_VERIFY = 5;

  /**
   * The node refuses to start on this Redis: a read-only replica, a maxmemory-policy that can evict
   * Baton's keys, or an ACL that denies something Baton needs (the message names it and the fix).
   */
  public static final int REDIS_UNSUITABLE = 6;

  /**
   * deadLetters --replay: some of the dead letters asked for were not replayed (unknown, replayed
   * already, or not a message); the others were.
   */
  public static final int INCOMPLETE = 7;

  /** The node cannot start (the Redis binary missing, another process with its node id...). */
  public static final int START_FAILED = 15;

  private ExitCodes() {}
}
