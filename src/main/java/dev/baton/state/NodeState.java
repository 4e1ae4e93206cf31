package dev.baton.state;

import dev.baton.logging.StateLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one node knows about itself, shared by its verticles (each on its own event loop), one part
 * per concern: its {@link RoleState role}, how {@link RedisHealth Redis treats it}, its {@link
 * Counters counters}, what it {@link Publishing publishes}, and its advertised HTTP address.
 */
public final class NodeState {
  private static final Logger LOG = LoggerFactory.getLogger(NodeState.class);

  private final String nodeId;
  private final StateLog stateLog;
  private final RoleState role;
  private final RedisHealth redis;
  private final Counters counters = new Counters();
  private final Publishing publishing = new Publishing();
  private volatile String httpAddress = "";

  public NodeState(String nodeId) {
    this.nodeId = nodeId;
    this.stateLog = new StateLog(LOG, nodeId);
    this.role = new RoleState(nodeId);
    this.redis = new RedisHealth(stateLog);
  }

  public String nodeId() {
    return nodeId;
  }

  public RoleState roles() {
    return role;
  }

  public RedisHealth redis() {
    return redis;
  }

  public Counters counters() {
    return counters;
  }

  public Publishing publishing() {
    return publishing;
  }

  /** Logs conditions once per change, with repeats counted; shared by the node's verticles. */
  public StateLog stateLog() {
    return stateLog;
  }

  public String httpAddress() {
    return httpAddress;
  }

  public void httpAddress(String address) {
    this.httpAddress = address;
  }
}
