package dev.baton.state;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's place in the cluster: its role and epoch (set by the role switch), whether the
 * heartbeats name it one of the two presence watchers, and whether another process runs with its
 * node id. Written on one event loop, read from any (volatile fields).
 */
public final class RoleState {
  private static final Logger LOG = LoggerFactory.getLogger(RoleState.class);

  private final String nodeId;
  private volatile Role role = Role.STARTING;
  private volatile boolean switching;
  private volatile long epoch;
  private volatile boolean watcher;
  private volatile long presenceSubscribers;
  private final AtomicInteger roleVerticles = new AtomicInteger();
  private final AtomicInteger maxRoleVerticles = new AtomicInteger();
  private final AtomicLong generatorGrants = new AtomicLong();

  RoleState(String nodeId) {
    this.nodeId = nodeId;
  }

  public Role role() {
    return role;
  }

  /** The epoch this node generates for, 0 unless it is the generator. */
  public long epoch() {
    return epoch;
  }

  public boolean switching() {
    return switching;
  }

  public void beginSwitch() {
    switching = true;
  }

  public void settled(Role newRole, long newEpoch) {
    if (newRole == Role.GENERATOR && (role != Role.GENERATOR || epoch != newEpoch)) {
      generatorGrants.incrementAndGet();
    }
    this.epoch = newRole == Role.GENERATOR ? newEpoch : 0;
    this.role = newRole;
    this.switching = false;
  }

  /**
   * Times this node became the generator of a new epoch (its first grant, a takeover after a
   * failover): the cluster's grants summed over its nodes.
   */
  public AtomicLong generatorGrants() {
    return generatorGrants;
  }

  /** Called by a role verticle (generator or handler) when it starts. */
  public void verticleStarted() {
    int now = roleVerticles.incrementAndGet();
    maxRoleVerticles.accumulateAndGet(now, Math::max);
  }

  /** Called by a role verticle when it stops. */
  public void verticleStopped() {
    roleVerticles.decrementAndGet();
  }

  /** Role verticles running now (0 only during a switch, never more than 1). */
  public int verticles() {
    return roleVerticles.get();
  }

  /** The most role verticles this node ever ran at once (the never-both invariant: 1). */
  public int maxVerticles() {
    return maxRoleVerticles.get();
  }

  /** Whether the heartbeats name this node one of the two presence watchers. */
  public boolean watcher() {
    return watcher;
  }

  public void watcher(boolean watcher) {
    this.watcher = watcher;
  }

  /**
   * Records how many connections subscribe to this node's presence channel (0 when unknown); over
   * one means another process runs with this node id. Logs once when that starts and once when it
   * ends.
   */
  public synchronized void presenceSubscribers(long count) {
    boolean was = presenceSubscribers > 1;
    presenceSubscribers = count;
    if (count > 1 && !was) {
      LOG.atError()
          .addKeyValue("node", nodeId)
          .log(
              "{} connections subscribe to this node's presence channel: "
                  + "another process runs with node id '{}'; this node competes for the lease no more until it is gone",
              count,
              nodeId);
    } else if (count <= 1 && was) {
      LOG.atInfo()
          .addKeyValue("node", nodeId)
          .log("no other process runs with node id '{}' any more", nodeId);
    }
  }

  /** Whether another process was last seen running with this node id. */
  public boolean duplicateNodeId() {
    return presenceSubscribers > 1;
  }
}
