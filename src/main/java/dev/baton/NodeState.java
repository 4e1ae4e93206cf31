package dev.baton;

import dev.baton.config.Secrets;
import dev.baton.logging.StateLog;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * What one node knows about itself, shared by its verticles (each on its own event loop, hence
 * volatile fields and atomic counters). Redis up/down transitions and refusals are logged here,
 * once per change however often they flap ({@link StateLog}).
 */
public final class NodeState {
  private static final Logger LOG = LoggerFactory.getLogger(NodeState.class);
  /** How long an error reply counts as Redis refusing this node's commands (/health, metrics). */
  public static final long REFUSING_WINDOW_MS = 5_000;
  private static final String UNREACHABLE = "unreachable";
  private static final String REFUSAL = "refusal:";

  /** The role verticle a node runs. */
  public enum Role {
    STARTING,
    GENERATOR,
    HANDLER;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Per-node counters, reported by /status. */
  public static final class Counters {
    public final AtomicLong published = new AtomicLong();
    public final AtomicLong processed = new AtomicLong();
    public final AtomicLong errors = new AtomicLong();
    public final AtomicLong reclaimed = new AtomicLong();
    public final AtomicLong deadLettered = new AtomicLong();
    /** Messages this node found behind the group's cursor, never delivered, and delivered itself. */
    public final AtomicLong skipped = new AtomicLong();
  }

  /** Where verticles report how long their Redis round trips took; the metrics registry listens. */
  public interface Latencies {
    /** A lease renewal took {@code nanos}; outcome {@code extended}, {@code lost} or {@code failed}. */
    void leaseRenewal(long nanos, String outcome);

    /** A commit call took {@code nanos}; outcome {@code ok} or {@code failed}. */
    void commit(long nanos, String outcome);
  }

  private static final Latencies IGNORED = new Latencies() {
    @Override
    public void leaseRenewal(long nanos, String outcome) {}

    @Override
    public void commit(long nanos, String outcome) {}
  };

  private final String nodeId;
  private final Counters counters = new Counters();
  /** Publish (Redis clock) to commit (this node's clock, the same machine's in practice), in ms. */
  private final org.HdrHistogram.SynchronizedHistogram latencyMs =
      new org.HdrHistogram.SynchronizedHistogram(3_600_000L, 3);
  private volatile Latencies latencies = IGNORED;
  private volatile Role role = Role.STARTING;
  private volatile boolean switching;
  private volatile long epoch;
  private volatile boolean redisUp = true;
  private final AtomicLong redisOutages = new AtomicLong();
  private volatile String redisProblem = "";
  private volatile String httpAddress = "";
  private volatile boolean watcher;
  private volatile long presenceSubscribers;
  private volatile boolean backlogPaused;
  private volatile long backlog;
  private volatile String lastPublishedId = "";
  private record Refusal(String message, long atMs) {}

  private final java.util.Map<String, Refusal> refusals = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile java.util.Map<String, String> stalled = java.util.Map.of();
  private final StateLog stateLog;
  private volatile String lastRefusal = "";
  private volatile long lastRefusalAtMs;
  private final java.util.concurrent.atomic.AtomicInteger roleVerticles = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger maxRoleVerticles = new java.util.concurrent.atomic.AtomicInteger();

  public NodeState(String nodeId) {
    this.nodeId = nodeId;
    this.stateLog = new StateLog(LOG, nodeId);
  }

  public String nodeId() {
    return nodeId;
  }

  /** Whether the heartbeats name this node the presence watcher. */
  public boolean watcher() {
    return watcher;
  }

  public void watcher(boolean watcher) {
    this.watcher = watcher;
  }

  /**
   * Records how many connections subscribe to this node's presence channel (0 when unknown); over
   * one means another process runs with this node id. Logs once when that starts and once when it ends.
   */
  public synchronized void presenceSubscribers(long count) {
    boolean was = presenceSubscribers > 1;
    presenceSubscribers = count;
    if (count > 1 && !was) {
      LOG.atError().addKeyValue("node", nodeId).log("{} connections subscribe to this node's presence channel: "
          + "another process runs with node id '{}'; this node competes for the lease no more until it is gone",
          count, nodeId);
    } else if (count <= 1 && was) {
      LOG.atInfo().addKeyValue("node", nodeId).log("no other process runs with node id '{}' any more", nodeId);
    }
  }

  /** Whether another process was last seen running with this node id. */
  public boolean duplicateNodeId() {
    return presenceSubscribers > 1;
  }

  public Counters counters() {
    return counters;
  }

  /** Publish-to-commit latencies of the messages this node committed (ms, 1 ms resolution). */
  public org.HdrHistogram.SynchronizedHistogram latencyMs() {
    return latencyMs;
  }

  public Latencies latencies() {
    return latencies;
  }

  public void latencies(Latencies observer) {
    this.latencies = observer;
  }

  public Role role() {
    return role;
  }

  public long epoch() {
    return epoch;
  }

  public boolean switching() {
    return switching;
  }

  public void beginSwitch() {
    switching = true;
  }

  public void roleSettled(Role newRole, long newEpoch) {
    this.epoch = newRole == Role.GENERATOR ? newEpoch : 0;
    this.role = newRole;
    this.switching = false;
  }

  /** Called by a role verticle (generator or handler) when it starts. */
  public void roleVerticleStarted() {
    int now = roleVerticles.incrementAndGet();
    maxRoleVerticles.accumulateAndGet(now, Math::max);
  }

  /** Called by a role verticle when it stops. */
  public void roleVerticleStopped() {
    roleVerticles.decrementAndGet();
  }

  /** Role verticles running now (0 only during a switch, never more than 1). */
  public int roleVerticles() {
    return roleVerticles.get();
  }

  /** The most role verticles this node ever ran at once (the never-both invariant: 1). */
  public int maxRoleVerticles() {
    return maxRoleVerticles.get();
  }

  public boolean redisUp() {
    return redisUp;
  }

  /** How many times Redis became unreachable after it had answered (each outage counts once). */
  public AtomicLong redisOutages() {
    return redisOutages;
  }

  public String redisProblem() {
    return redisProblem;
  }

  /** Records that a Redis call succeeded; Redis coming back is logged once (see {@link StateLog}). */
  public void redisOk() {
    if (!redisUp) {
      redisUp = true;
      redisProblem = "";
    }
    stateLog.over(UNREACHABLE);
  }

  /** Records that a Redis call failed for want of Redis; logged once per outage, flaps counted. */
  public void redisFailed(Throwable cause) {
    String reason = Secrets.mask(String.valueOf(cause.getMessage()));
    if (redisUp) {
      redisUp = false;
      redisOutages.incrementAndGet();
      redisProblem = reason;
    }
    stateLog.on(UNREACHABLE, UNREACHABLE, Level.WARN, "Redis is unreachable: " + reason, "Redis is reachable again");
  }

  /**
   * Records a failed Redis call of one component: an unavailable Redis (see {@link #redisFailed}),
   * or an error reply such as OOM or WRONGTYPE: a refusal, logged once per kind of refusal and
   * component (flaps and repeats are counted, see {@link StateLog}), and reported by {@link
   * #refusing} for {@link #REFUSING_WINDOW_MS}.
   */
  public void failed(String component, Throwable cause) {
    if (!dev.baton.redis.RedisOps.isErrorReply(cause)) {
      redisFailed(cause);
      return;
    }
    String message = Secrets.mask(String.valueOf(cause.getMessage()).lines().findFirst().orElse(""));
    String kind = message.split(" ", 2)[0];
    lastRefusal = component + ": " + message;
    lastRefusalAtMs = System.currentTimeMillis();
    refusals.put(component, new Refusal(message, monotonicMs()));
    stateLog.on(REFUSAL + component, kind, Level.WARN, "Redis refuses the " + component + "'s commands: " + message,
        "Redis accepts the " + component + "'s commands again");
  }

  /** Records a successful Redis call of one component; the end of a refusal is logged once. */
  public void accepted(String component) {
    redisOk();
    stateLog.over(REFUSAL + component);
  }

  /**
   * The components whose Redis calls were refused (an error reply) in the last {@link
   * #REFUSING_WINDOW_MS}, with the latest reply: empty when Redis accepts everything this node sends.
   * A window rather than the last outcome, since a component can alternate (its reads accepted, its
   * writes refused).
   */
  public java.util.Map<String, String> refusing() {
    long now = monotonicMs();
    java.util.Map<String, String> out = new java.util.TreeMap<>();
    refusals.forEach((component, r) -> {
      if (now - r.atMs() <= REFUSING_WINDOW_MS) {
        out.put(component, r.message());
      }
    });
    return out;
  }

  /** What the cluster looks like from here (see {@code heartbeat.HealthProbe}): stall reasons and their detail. */
  public java.util.Map<String, String> stalled() {
    return stalled;
  }

  public void stalled(java.util.Map<String, String> reasons) {
    this.stalled = java.util.Map.copyOf(reasons);
  }

  /** Logs conditions once per change, with repeats counted; shared by the node's verticles. */
  public StateLog stateLog() {
    return stateLog;
  }

  private static long monotonicMs() {
    return System.nanoTime() / 1_000_000;
  }

  /** The latest error reply and how long ago (ms), or null when none in the last minute. */
  public io.vertx.core.json.JsonObject recentRefusal() {
    long ago = System.currentTimeMillis() - lastRefusalAtMs;
    return lastRefusal.isEmpty() || ago > 60_000 ? null
        : new io.vertx.core.json.JsonObject().put("message", lastRefusal).put("agoMs", ago);
  }

  public String httpAddress() {
    return httpAddress;
  }

  public void httpAddress(String address) {
    this.httpAddress = address;
  }

  /** Stream id of the last message this node published, "" before any. */
  public String lastPublishedId() {
    return lastPublishedId;
  }

  public void lastPublishedId(String id) {
    this.lastPublishedId = id;
  }

  public boolean backlogPaused() {
    return backlogPaused;
  }

  public long backlog() {
    return backlog;
  }

  public void backlog(long size, boolean paused) {
    this.backlog = size;
    this.backlogPaused = paused;
  }
}
