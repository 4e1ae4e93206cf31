package dev.baton.plugin;

/**
 * A failed attempt of a known class: what the built-in plug-ins fail their futures with. Any other
 * failure of a plug-in's future counts as {@link FailureClass#CRASH}. No stack trace: it is an
 * outcome, not a bug.
 */
public final class AttemptFailure extends RuntimeException {
  private final FailureClass failureClass;

  public AttemptFailure(FailureClass failureClass, String reason) {
    super(reason, null, false, false);
    this.failureClass = failureClass;
  }

  public FailureClass failureClass() {
    return failureClass;
  }

  /** The class of any failure a plug-in's future ended with. */
  public static FailureClass classOf(Throwable t) {
    return t instanceof AttemptFailure f ? f.failureClass : FailureClass.CRASH;
  }

  /** {@code <class>: <reason>}, what a dead letter keeps of its last attempt. */
  public static String describe(Throwable t) {
    String why = t.getMessage();
    if (!(t instanceof AttemptFailure)) {
      why = t.getClass().getSimpleName() + (why == null ? "" : ": " + why);
    }
    return classOf(t).label() + ": " + why;
  }
}
