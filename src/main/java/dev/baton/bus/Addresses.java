package dev.baton.bus;

import dev.baton.bus.Events.Absent;
import dev.baton.bus.Events.Fenced;
import dev.baton.bus.Events.RoleChanged;
import dev.baton.bus.Events.Watcher;

/**
 * Every event-bus address of a node and the type of what it carries: the one home of these
 * contracts. All stay within the JVM.
 */
public final class Addresses {
  /** Election → node: leadership granted or revoked. */
  public static final Address<Leadership> ELECTION =
      new Address<>("baton.election", Leadership.class);

  /** Generator → election: a publish was refused by the fence. */
  public static final Address<Fenced> FENCED =
      new Address<>("baton.generator.fenced", Fenced.class);

  /** Node → anyone: the role verticle changed. */
  public static final Address<RoleChanged> ROLE_CHANGED =
      new Address<>("baton.role.changed", RoleChanged.class);

  /** Heartbeat → election: whether this node is now the presence watcher. */
  public static final Address<Watcher> WATCHER =
      new Address<>("baton.presence.watcher", Watcher.class);

  /** Election → handler: consumers whose node's presence is gone and that hold entries. */
  public static final Address<Absent> ABSENT = new Address<>("baton.presence.absent", Absent.class);

  private Addresses() {}
}
