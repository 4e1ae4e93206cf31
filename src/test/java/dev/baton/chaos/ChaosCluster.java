package dev.baton.chaos;

import dev.baton.bench.NodeProcess;
import dev.baton.bench.Proc;
import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.Quiesce;
import dev.baton.support.RedisServer;
import dev.baton.support.TcpProxy;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Five real node processes (the fat jar), each reaching Redis through a TCP proxy the test
 * controls, against a redis-server the suite starts (AOF, appendfsync always, unless asked for an
 * empty-on-restart one). Fast cadence and short leases, the audit ledger on.
 */
final class ChaosCluster implements AutoCloseable {
  static final long LEASE_MS = 500;
  static final long RENEW_MS = 150;
  static final long INTERVAL_MS = 10;
  static final long RECLAIM_IDLE_MS = 1_000;

  final RedisServer redis;
  final TestRedis rc;
  final String prefix = "chaos" + UUID.randomUUID().toString().substring(0, 6);
  final Keys keys = new Keys(prefix);
  final List<Member> members = new ArrayList<>();
  private final Map<String, String> extraEnv;
  private int nextId = 1;

  /** One node: its process and the proxy between it and Redis. */
  static final class Member {
    final String id;
    final TcpProxy proxy;
    NodeProcess process;
    boolean stopped;

    Member(String id, TcpProxy proxy) {
      this.id = id;
      this.proxy = proxy;
    }

    boolean alive() {
      return process != null && process.process().isAlive();
    }
  }

  ChaosCluster(boolean persistent) {
    this(persistent, Map.of());
  }

  /**
   * {@code extraEnv}: more BATON_* settings for every node, over the suite's (e.g. packed
   * throughput mode).
   */
  ChaosCluster(boolean persistent, Map<String, String> extraEnv) {
    this.redis = RedisServer.start(persistent);
    this.rc = new TestRedis(redis.url());
    this.extraEnv = new HashMap<>(extraEnv);
  }

  /** More BATON_* settings for the nodes started from now on. */
  void setEnv(Map<String, String> env) {
    extraEnv.putAll(env);
  }

  void start(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      add();
    }
    Await.until("a generator publishing", Duration.ofSeconds(60), () -> latestEpoch() > 0);
  }

  Member add() throws IOException {
    Member m = new Member("c" + nextId++, new TcpProxy(redis.port()));
    Map<String, String> env = new HashMap<>();
    env.put("BATON_NODE_ID", m.id);
    env.put("BATON_REDIS_URL", m.proxy.url());
    env.put("BATON_REDIS_KEY_PREFIX", prefix);
    env.put("BATON_REDIS_EMBEDDED", "off");
    env.put("BATON_REDIS_COMMAND_TIMEOUT_MS", "500");
    env.put("BATON_AUDIT_ENABLED", "true");
    env.put("BATON_ELECTION_LEASE_MS", Long.toString(LEASE_MS));
    env.put("BATON_ELECTION_RENEW_MS", Long.toString(RENEW_MS));
    env.put("BATON_GENERATOR_INTERVAL_MS", Long.toString(INTERVAL_MS));
    env.put("BATON_HANDLER_RECLAIM_IDLE_MS", Long.toString(RECLAIM_IDLE_MS));
    env.put("BATON_HANDLER_BLOCK_MS", "500");
    env.put("BATON_HEARTBEAT_INTERVAL_MS", "200");
    env.put("BATON_HEARTBEAT_TIMEOUT_MS", "1000");
    env.putAll(extraEnv);
    m.process = NodeProcess.start(env, "-conf", "conf/node.json");
    members.add(m);
    return m;
  }

  List<Member> live() {
    return members.stream().filter(m -> !m.stopped && m.alive()).toList();
  }

  /** The member the lease names, if it is one of ours and alive. */
  Member leader() {
    String id = rc.str("GET", keys.leader());
    return live().stream().filter(m -> m.id.equals(id)).findFirst().orElse(null);
  }

  /** Waits until a live member holds the lease and has published under its epoch. */
  Member awaitPublishingLeader(Duration bound) {
    return Await.value(
        "a live generator publishing",
        bound,
        () -> {
          Member m = leader();
          if (m == null) {
            return null;
          }
          String epoch = rc.str("GET", keys.epoch());
          return epoch != null && Long.parseLong(epoch) == latestEpoch() ? m : null;
        });
  }

  /** Epoch of the newest message in the ledger (0 when none). */
  long latestEpoch() {
    List<Replies.Entry> last =
        Replies.entries(rc.cmd("XREVRANGE", keys.auditPublished(), "+", "-", "COUNT", "1"));
    return last.isEmpty() ? 0 : Long.parseLong(last.get(0).fields().get("epoch"));
  }

  /** Redis server time in ms (the clock the ledger ids use). */
  long serverMs() {
    List<String> t = rc.strings("TIME");
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }

  /** Messages published (a pack counts its messages). */
  long published() {
    return rc.num("HGET", keys.stats(), "published");
  }

  /**
   * Whether Redis holds entries delivered to {@code m} and not yet committed; none while the stream
   * and its group do not exist yet (the first handler creates them, later on a loaded machine).
   */
  boolean holdsEntries(Member m) {
    try {
      return rc.cmd("XPENDING", keys.messages(), Keys.HANDLERS_GROUP, "-", "+", "1", m.id).size()
          > 0;
    } catch (IllegalStateException e) {
      if (String.valueOf(e.getMessage()).contains("NOGROUP")) {
        return false;
      }
      throw e;
    }
  }

  void kill(Member m) {
    m.process.kill();
    m.stopped = true;
  }

  void signal(Member m, String sig) {
    Proc.signal(m.process.pid(), sig);
  }

  String role(Member m) {
    return m.process.role();
  }

  /** Stops generation, waits for every message to be committed, and runs `verify --json`. */
  JsonObject quiesceAndVerify() throws Exception {
    Quiesce.holdBaton(rc, keys);
    Await.until(
        "every live node handles",
        Duration.ofSeconds(30),
        () -> live().stream().allMatch(m -> "handler".equals(role(m))));
    Quiesce.awaitDrained(rc, keys, Duration.ofSeconds(60));
    return verify();
  }

  JsonObject verify() throws Exception {
    return verifyOn(redis.url(), prefix);
  }

  /** {@code verify --json} from the jar against one Redis server, with its exit code. */
  static JsonObject verifyOn(String url, String prefix) throws Exception {
    Path out = Files.createTempFile("verify", ".json");
    ProcessBuilder pb =
        new ProcessBuilder(
                NodeProcess.javaBin(),
                "-jar",
                NodeProcess.JAR.toString(),
                "verify",
                "-conf",
                "conf/node.json",
                "--json")
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("BATON_REDIS_URL", url);
    pb.environment().put("BATON_REDIS_KEY_PREFIX", prefix);
    pb.environment().put("BATON_REDIS_EMBEDDED", "off");
    Process p = pb.start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("verify did not finish");
    }
    return new JsonObject(Files.readString(out, StandardCharsets.UTF_8))
        .put("exitCode", p.exitValue());
  }

  /** Logs of every node, for a failing assertion's message. */
  String logs() {
    StringBuilder sb = new StringBuilder();
    for (Member m : members) {
      String log = m.process.log();
      sb.append("==== ")
          .append(m.id)
          .append('\n')
          .append(log, Math.max(0, log.length() - 4000), log.length());
    }
    return sb.toString();
  }

  @Override
  public void close() {
    for (Member m : members) {
      if (m.process != null) {
        signal(m, "CONT");
        m.process.close();
      }
      m.proxy.close();
    }
    rc.close();
    redis.close();
  }
}
