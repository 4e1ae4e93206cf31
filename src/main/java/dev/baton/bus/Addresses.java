package dev.baton.bus;

/**
 * Every event-bus address. Several nodes may share one Vert.x instance (tests, the scale
 * benchmark), so each address is suffixed with the node id.
 */
public final class Addresses {
  /** Election → node: a {@code dev.baton.election.Leadership} record, granted or revoked. */
  public static final String ELECTION = "baton.election";

  /** Generator → election: a publish was refused by the fence, {@code {"epoch": n}}. */
  public static final String FENCED = "baton.generator.fenced";

  /** Node → anyone: the role verticle changed, {@code {"role": "...", "epoch": n}}. */
  public static final String ROLE_CHANGED = "baton.role.changed";

  /**
   * Heartbeat → election: whether this node is now the presence watcher, {@code {"watcher": bool}}.
   */
  public static final String WATCHER = "baton.presence.watcher";

  /**
   * Election → handler: consumers whose node's presence is gone and that hold entries, {@code
   * ["id", ...]}.
   */
  public static final String ABSENT = "baton.presence.absent";

  private Addresses() {}

  public static String of(String base, String nodeId) {
    return base + "." + nodeId;
  }
}
