package dev.baton.state;

import dev.baton.cluster.PageHistory;
import dev.baton.logging.StateLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one node knows about itself, shared by its verticles (each on its own event loop), one part
 * per concern: its {@link RoleState role}, how {@link RedisHealth Redis treats it}, what keeps it
 * from calling itself healthy although it works ({@link Degradations}), its {@link Counters
 * counters}, what it {@link Publishing publishes}, the live page's {@link PageHistory history}, and
 * its advertised HTTP address.
 */
public final class NodeState {
  private static final Logger LOG = LoggerFactory.getLogger(NodeState.class);

  private final String nodeId;
  private final StateLog stateLog;
  private final RoleState role;
  private final RedisHealth redis;
  private final Degradations degradations = new Degradations();
  private final RedisData redisData = new RedisData();
  private final Counters counters = new Counters();
  private final Publishing publishing = new Publishing();
  private final RedisClock redisClock = new RedisClock();
  private final PluginStats plugins = new PluginStats();
  private final PageHistory pageHistory = new PageHistory();
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

  public RoleState role() {
    return role;
  }

  public RedisHealth redis() {
    return redis;
  }

  /** The reasons /health says {@code degraded} for (data lost, evictions, presence refused…). */
  public Degradations degradations() {
    return degradations;
  }

  /** Whether Redis keeps Baton's data: losses noticed, keys evicted, the eviction policy. */
  public RedisData redisData() {
    return redisData;
  }

  public Counters counters() {
    return counters;
  }

  public Publishing publishing() {
    return publishing;
  }

  /** The Redis server's clock as this node reads it (deadlines handed to plug-ins). */
  public RedisClock redisClock() {
    return redisClock;
  }

  /** What the handler's plug-in and the generator's source did. */
  public PluginStats plugins() {
    return plugins;
  }

  /** The last minute of the live page's charts, fed by the health probe and by open pages. */
  public PageHistory pageHistory() {
    return pageHistory;
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
