package dev.baton.bus;

/**
 * A change of this node's leadership as the election announces it on {@link Addresses#ELECTION}:
 * granted with a new epoch, or revoked with the reason. Typed records, not JSON: a listener cannot
 * mistake one for the other.
 */
public sealed interface Leadership permits Leadership.Granted, Leadership.Revoked {
  long epoch();

  /** The lease was granted with this epoch (the fencing token every publish carries). */
  record Granted(long epoch) implements Leadership {}

  /** This node leads no more: the lease lapsed, was taken, or a publish was fenced. */
  record Revoked(long epoch, String reason) implements Leadership {}
}
