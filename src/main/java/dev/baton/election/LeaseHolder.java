package dev.baton.election;

/** The lease holder and its epoch as this node last saw them: one immutable pair, never torn. */
public record LeaseHolder(String nodeId, long epoch) {
  public static final LeaseHolder NONE = new LeaseHolder("", 0);

  public boolean known() {
    return !nodeId.isEmpty();
  }
}
