package dev.baton.election;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.audit.Verifier;
import dev.baton.audit.VerifyReport;
import dev.baton.bench.NodeProcess;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.Quiesce;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Presence with real processes, killed as a power cut would: the lease and the idle reclaim are set
 * far longer than every bound here, so only presence can explain a fast takeover or claim; and a
 * frozen process keeps its connection, so presence leaves it to the lease.
 */
@Timeout(240)
class PresenceIT {
  @RegisterExtension final RedisExtension redis = new RedisExtension(true);
  private final String prefix = "it" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void stopNodes() {
    nodes.forEach(NodeProcess::close);
  }

  private NodeProcess node(String nodeId, long leaseMs) throws Exception {
    return node(nodeId, leaseMs, Map.of());
  }

  private NodeProcess node(String nodeId, long leaseMs, Map<String, String> extra)
      throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("BATON_NODE_ID", nodeId);
    env.put("BATON_REDIS_URL", redis.url());
    env.put("BATON_REDIS_KEY_PREFIX", prefix);
    env.put("BATON_REDIS_EMBEDDED", "off");
    env.put("BATON_ELECTION_LEASE_MS", Long.toString(leaseMs));
    env.put("BATON_ELECTION_RENEW_MS", Long.toString(leaseMs / 4));
    env.put("BATON_HANDLER_RECLAIM_IDLE_MS", "120000");
    env.put("BATON_GENERATOR_INTERVAL_MS", "50");
    env.put("BATON_HEARTBEAT_INTERVAL_MS", "200");
    env.put("BATON_HEARTBEAT_TIMEOUT_MS", "60000");
    env.put("BATON_AUDIT_ENABLED", "true");
    env.putAll(extra);
    NodeProcess p = NodeProcess.start(env, "-conf", "conf/node.json");
    nodes.add(p);
    return p;
  }

  private TestRedis rc() {
    return redis.client();
  }

  private NodeProcess byRole(String role, boolean watcher) {
    for (NodeProcess n : nodes) {
      JsonObject s = n.process().isAlive() ? n.status() : null;
      if (s != null
          && role.equals(s.getString("role"))
          && s.getBoolean("watcher", false) == watcher) {
        return n;
      }
    }
    return null;
  }

  private String id(NodeProcess n) {
    return Await.value("its status", Duration.ofSeconds(10), n::status).getString("nodeId");
  }

  private List<String> pendingOn(String consumer) {
    List<String> ids = new ArrayList<>();
    rc().cmd("XPENDING", keys.messages(), Keys.HANDLERS_GROUP, "-", "+", "1000", consumer)
        .forEach(p -> ids.add(p.get(0).toString()));
    return ids;
  }

  private void verifyClean() throws Exception {
    Quiesce.holdBaton(rc(), keys);
    Quiesce.awaitDrained(rc(), keys, Duration.ofSeconds(60));
    VerifyReport report =
        new Verifier(new RedisOps(rc().client(), 60_000), keys)
            .verify()
            .await(60, TimeUnit.SECONDS);
    assertThat(report.passed()).as(report.text()).isTrue();
  }

  @Test
  void killingTheGeneratorIsNoticedByPresenceLongBeforeItsLeaseRunsOut() throws Exception {
    long leaseMs = 60_000;
    for (int i = 1; i <= 3; i++) {
      node("k" + i, leaseMs);
    }
    NodeProcess generator =
        Await.value("a generator", Duration.ofSeconds(30), () -> byRole("generator", false));
    Await.value("a watcher", Duration.ofSeconds(30), () -> byRole("handler", true));
    String killed = id(generator);
    long epochBefore = rc().num("GET", keys.epoch());

    generator.kill();
    NodeProcess successor =
        Await.value(
            "a new generator, well inside the 60 s lease",
            Duration.ofSeconds(30),
            () -> byRole("generator", false));
    assertThat(successor).isNotSameAs(generator);
    assertThat(rc().num("GET", keys.epoch())).isGreaterThan(epochBefore);
    List<Replies.Entry> grants = rc().range(keys.grants());
    assertThat(grants.get(grants.size() - 1).fields()).containsEntry("from", killed);
    verifyClean();
  }

  /** Freezes {@code victim} until Redis delivered messages to it, then kills it: their ids. */
  /**
   * Freezes {@code victim} while it holds a blocked read, so that Redis delivers the next messages
   * to it regardless, then kills it. Frozen between two reads, or before its first (a loaded
   * machine widens both windows), it holds no read and gets nothing: then it is thawed, and frozen
   * again once it has handled another message, until Redis has delivered to it.
   */
  private List<String> killHolding(NodeProcess victim) {
    String victimId = id(victim);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      long before = processed(victim);
      Await.until(
          victimId + " handles a message",
          Duration.ofSeconds(30),
          () -> processed(victim) > before);
      victim.freeze();
      // its blocked read lasts handler.blockMs (2 s); messages come every 50 ms
      List<String> held = pendingWithin(victimId, Duration.ofMillis(2_500));
      if (held != null) {
        victim.kill();
        return held;
      }
      assertThat(System.nanoTime())
          .as("a freeze of %s with messages delivered to it, within 90 s", victimId)
          .isLessThan(deadline);
      victim.thaw();
    }
  }

  private static long processed(NodeProcess n) {
    JsonObject s = n.status();
    return s == null ? -1 : s.getJsonObject("counters").getLong("processed", -1L);
  }

  /** The messages pending on {@code consumer} once there are some, or null after {@code bound}. */
  private List<String> pendingWithin(String consumer, Duration bound) {
    try {
      return Await.value(
          "messages delivered to " + consumer,
          bound,
          () -> {
            List<String> p = pendingOn(consumer);
            return p.isEmpty() ? null : p;
          });
    } catch (AssertionError none) {
      return null;
    }
  }

  private boolean committed(String consumer, List<String> held) {
    return pendingOn(consumer).isEmpty()
        && held.stream().allMatch(id -> rc().cmd("XRANGE", keys.messages(), id, id).size() == 0);
  }

  @Test
  void aKilledWatchersMessagesAreClaimedByTheOtherWatcherBeforeAnyHeartbeat() throws Exception {
    // heartbeats every 30 s: after the first beats, nothing but the other watcher's polls can
    // notice the watcher's death before the next beat names a new watcher (the single watcher of
    // old left its messages stranded until then)
    Map<String, String> slowBeats =
        Map.of("BATON_HEARTBEAT_INTERVAL_MS", "30000", "BATON_HEARTBEAT_TIMEOUT_MS", "120000");
    for (int i = 1; i <= 4; i++) {
      node("w" + i, 3000, slowBeats);
      // one at a time, so each node's first beat sees the ones before it
      NodeProcess started = nodes.get(nodes.size() - 1);
      Await.until("w" + i + " answers", Duration.ofSeconds(30), () -> started.status() != null);
    }
    Await.value("a generator", Duration.ofSeconds(30), () -> byRole("generator", false));
    Await.until(
        "two watchers",
        Duration.ofSeconds(30),
        () ->
            nodes.stream()
                    .map(NodeProcess::status)
                    .filter(s -> s != null && s.getBoolean("watcher", false))
                    .count()
                == 2);
    List<String> watchers = new ArrayList<>();
    for (NodeProcess n : nodes) {
      JsonObject s = n.status();
      if (s != null && s.getBoolean("watcher", false)) {
        watchers.add(s.getString("nodeId"));
      }
    }
    NodeProcess watcher = byRole("handler", true);
    String watcherId = id(watcher);
    List<String> held = killHolding(watcher);
    Await.until(
        "the killed watcher's messages committed",
        Duration.ofSeconds(60),
        () -> committed(watcherId, held));
    // by the other watcher, named before the kill: with one watcher, only a node the next beat
    // named after the kill could claim them
    List<String> claimers = new ArrayList<>();
    for (Replies.Entry c : rc().range(keys.auditCommitted())) {
      if (held.contains(c.fields().get("msg")) && "1".equals(c.fields().get("reclaimed"))) {
        claimers.add(c.fields().get("handler"));
      }
    }
    assertThat(claimers).isNotEmpty();
    assertThat(watchers).as("watchers before the kill").contains(watcherId).hasSize(2);
    assertThat(claimers)
        .as("claimed by the other watcher " + watchers)
        .allMatch(c -> watchers.contains(c) && !c.equals(watcherId));
    verifyClean();
  }

  @Test
  void messagesHeldByAKilledHandlerAreClaimedByPresenceLongBeforeTheyGoIdle() throws Exception {
    // a generator, the two watchers and a handler that does not watch
    for (int i = 1; i <= 4; i++) {
      node("h" + i, 3000);
    }
    Await.value("a generator", Duration.ofSeconds(30), () -> byRole("generator", false));
    NodeProcess victim =
        Await.value(
            "a handler that is not the watcher",
            Duration.ofSeconds(30),
            () -> byRole("handler", false));
    Await.value("a watcher", Duration.ofSeconds(30), () -> byRole("handler", true));
    String victimId = id(victim);
    List<String> held = killHolding(victim);

    Await.until(
        "the killed handler's messages committed, with reclaimIdleMs at 120 s",
        Duration.ofSeconds(30),
        () -> committed(victimId, held));
    verifyClean();
  }

  @Test
  void aFrozenGeneratorKeepsItsPresenceAndTheLeaseDecides() throws Exception {
    for (int i = 1; i <= 3; i++) {
      node("f" + i, 2000);
    }
    NodeProcess generator =
        Await.value("a generator", Duration.ofSeconds(30), () -> byRole("generator", false));
    Await.value("a watcher", Duration.ofSeconds(30), () -> byRole("handler", true));
    long grantsBefore = rc().num("XLEN", keys.grants());

    generator.freeze();
    Await.until(
        "a new grant once the lease lapsed",
        Duration.ofSeconds(30),
        () -> rc().num("XLEN", keys.grants()) > grantsBefore);
    List<Replies.Entry> grants = rc().range(keys.grants());
    assertThat(grants.get(grants.size() - 1).fields())
        .as("granted by the lease, not by presence")
        .doesNotContainKey("from");
    generator.thaw();
    Await.until(
        "the thawed node steps down",
        Duration.ofSeconds(30),
        () -> "handler".equals(generator.role()));
    verifyClean();
  }

  @Test
  void aHolderFrozenAcrossARedisRestartIsNotTakenForDeadByItsStaleRecord() throws Exception {
    long leaseMs = 8_000;
    for (int i = 1; i <= 3; i++) {
      node("r" + i, leaseMs);
    }
    NodeProcess generator =
        Await.value("a generator", Duration.ofSeconds(30), () -> byRole("generator", false));
    Await.value("a watcher", Duration.ofSeconds(30), () -> byRole("handler", true));
    String holder = id(generator);
    long grantsBefore = rc().num("XLEN", keys.grants());

    // after the restart the holder's record survives (AOF) but its subscription does not, and
    // frozen it cannot subscribe again: only the per-server-instance rule keeps it from looking
    // dead
    generator.freeze();
    redis.server().restart();
    Await.until(
        "a new grant",
        Duration.ofSeconds(60),
        () -> rc().num("XLEN", keys.grants()) > grantsBefore);
    List<Replies.Entry> grants = rc().range(keys.grants());
    assertThat(grants.get(grants.size() - 1).fields())
        .as("the lease lapsed; no takeover from " + holder)
        .doesNotContainKey("from");
    generator.thaw();
    Await.until(
        "the thawed node steps down",
        Duration.ofSeconds(30),
        () -> "handler".equals(generator.role()));
    verifyClean();
  }
}
