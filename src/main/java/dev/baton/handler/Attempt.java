package dev.baton.handler;

import dev.baton.api.Invocation;

/**
 * One attempt at message {@code index} of a {@link Work}, as the plug-in sees it: id and text are
 * made only when the plug-in asks for them (the built-in random judge never does).
 */
final class Attempt implements Invocation {
  final Work work;
  final int index;
  private final int attempt;
  private final long deadlineMs;
  final long startedNs;
  long timer = -1;

  /** Its outcome was taken (answered, or timed out): a later answer is ignored. */
  boolean over;

  private String id;
  private String text;

  Attempt(Work work, int index, int attempt, long deadlineMs) {
    this.work = work;
    this.index = index;
    this.attempt = attempt;
    this.deadlineMs = deadlineMs;
    this.startedNs = System.nanoTime();
  }

  @Override
  public String id() {
    if (id == null) {
      id = work.pack.messageId(index);
    }
    return id;
  }

  @Override
  public String text() {
    if (text == null) {
      text = work.pack.text(index);
    }
    return text;
  }

  @Override
  public long ts() {
    return work.pack.ts();
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
    return "attempt " + attempt + " at " + id();
  }
}
