package dev.baton.bus;

import dev.baton.state.Role;
import java.util.List;

/** The messages of the event-bus addresses other than the election's ({@link Leadership}). */
public final class Events {
  private Events() {}

  /** Generator → election: a publish under this epoch was refused by the fence. */
  public record Fenced(long epoch) {}

  /** Node → anyone: the role verticle changed; {@code epoch} is 0 unless the role is generator. */
  public record RoleChanged(Role role, long epoch) {}

  /** Heartbeat → election: whether this node is now the presence watcher. */
  public record Watcher(boolean watching) {}

  /** Election → handler: consumers whose node's presence is gone and that hold entries. */
  public record Absent(List<String> consumers) {
    public Absent {
      consumers = List.copyOf(consumers);
    }
  }
}
