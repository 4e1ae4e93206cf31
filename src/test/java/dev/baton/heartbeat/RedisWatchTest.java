package dev.baton.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.baton.redis.Keys;
import dev.baton.state.Degradations;
import dev.baton.state.NodeState;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.NodeHttp;
import dev.baton.support.NodeHttp.Health;
import dev.baton.support.RedisExtension;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * While it runs, a node notices a Redis that loses Baton's data or takes away what Baton needs, and
 * never calls itself healthy then: FLUSHALL mid-run, a key deleted by hand, keys evicted under a
 * full-speed run, a maxmemory-policy changed to one that evicts, a permission or the presence
 * channels taken away, Redis turned into a read-only replica. Each is said once in the log, shown
 * by /health and the metrics, and over by itself once Redis is fine again.
 */
@Timeout(180)
class RedisWatchTest {
  private static final Duration BOUND = Duration.ofSeconds(30);

  @RegisterExtension final RedisExtension redis = new RedisExtension(); // one server per test
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "w" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger stateLog = (Logger) LoggerFactory.getLogger(NodeState.class);

  @BeforeEach
  void captureLogs() {
    logs.setContext(stateLog.getLoggerContext());
    logs.start();
    stateLog.addAppender(logs);
  }

  @AfterEach
  void release() {
    stateLog.detachAppender(logs);
  }

  private long lines(TestNode node, String text) {
    return logs.list.stream()
        .filter(e -> e.getFormattedMessage().contains(text))
        .filter(
            e ->
                e.getKeyValuePairs() != null
                    && e.getKeyValuePairs().stream().anyMatch(kv -> node.id().equals(kv.value)))
        .count();
  }

  private TestNode node(String id, JsonObject overrides) {
    JsonObject settings =
        TestNode.fastSettings(redis.url(), prefix).put("nodeId", prefix + "-" + id);
    return closer.add(TestNode.start(settings.mergeIn(overrides, true)));
  }

  private TestNode node(String id) {
    return node(id, new JsonObject());
  }

  /** A generator and a handler committing, both healthy. */
  private List<TestNode> cluster() {
    return cluster(new JsonObject());
  }

  private List<TestNode> cluster(JsonObject overrides) {
    List<TestNode> nodes = new ArrayList<>(List.of(node("a", overrides), node("b", overrides)));
    Await.until(
        "a generator and a handler at work, both healthy",
        BOUND,
        () ->
            nodes.stream().anyMatch(TestNode::isGenerator)
                && nodes.stream().anyMatch(n -> n.state().counters().processed.get() > 0)
                && nodes.stream().allMatch(n -> NodeHttp.health(n).status() == 200));
    return nodes;
  }

  /** 503 with {@code reason} among the degraded ones (the status may be a worse state). */
  private static boolean degraded(TestNode n, String reason) {
    Health h = NodeHttp.health(n);
    return h.status() == 503 && h.degraded(reason) != null;
  }

  @Test
  void flushallMidRunIsReportedOnceByEveryNodeAndOverByItself() {
    // held long enough to see it on both nodes one after the other
    List<TestNode> nodes =
        cluster(new JsonObject().put("redis", new JsonObject().put("dataLostHoldMs", 15_000)));
    for (TestNode n : nodes) {
      assertThat(NodeHttp.metric(n, "baton_redis_data_lost_total", null)).isZero();
      assertThat(NodeHttp.metric(n, "baton_degraded", "reason=\"redis_data_lost\"")).isZero();
    }

    redis.client().cmd("FLUSHALL");
    for (TestNode n : nodes) {
      Await.until(
          n.id() + " reports the data lost",
          BOUND,
          () -> degraded(n, Degradations.REDIS_DATA_LOST));
      assertThat(NodeHttp.health(n).degraded(Degradations.REDIS_DATA_LOST))
          .startsWith("Redis lost Baton's data: ")
          .contains(keys.marker());
      assertThat(NodeHttp.metric(n, "baton_redis_data_lost_total", null)).isEqualTo(1);
      assertThat(NodeHttp.metric(n, "baton_degraded", "reason=\"redis_data_lost\"")).isEqualTo(1);
    }
    // the loss is recorded where verify finds it
    assertThat(redis.client().str("HGET", keys.marker(), "lost")).isNotEmpty();

    long processed = nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum();
    Await.until(
        "the cluster works on, and each node is healthy again once the hold is over",
        BOUND,
        () ->
            nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum()
                    > processed + 5
                && nodes.stream().allMatch(n -> NodeHttp.health(n).status() == 200));
    for (TestNode n : nodes) {
      assertThat(lines(n, "Redis lost Baton's data")).as(n.id()).isEqualTo(1);
      assertThat(NodeHttp.metric(n, "baton_redis_data_lost_total", null)).isEqualTo(1);
    }
  }

  @Test
  void countersDeletedByHandAreALoss() {
    List<TestNode> nodes = cluster();
    // a counter deleted early may be back at its old value by the next beat: let it grow first
    Await.until(
        "some messages", BOUND, () -> redis.client().num("HGET", keys.stats(), "published") > 40);
    redis.client().cmd("DEL", keys.stats());
    for (TestNode n : nodes) {
      Await.until(
          n.id() + " reports the data lost",
          BOUND,
          () -> degraded(n, Degradations.REDIS_DATA_LOST));
      assertThat(NodeHttp.health(n).degraded(Degradations.REDIS_DATA_LOST))
          .contains(keys.stats() + " published went back from");
    }
  }

  @Test
  void theStreamDeletedAgainAndAgainIsALossAndOneLineOfTheHandler() {
    List<TestNode> nodes = cluster();
    TestNode handler = nodes.stream().filter(TestNode::isHandler).findFirst().orElseThrow();
    // a stream deleted early may hold as many entries as before by the next inspection, which
    // then sees entries-added grow and no loss (seen once on a loaded machine): let it grow first
    Await.until(
        "some messages", BOUND, () -> redis.client().num("HGET", keys.stats(), "published") > 100);
    for (int i = 0; i < 5; i++) {
      long processed = handler.state().counters().processed.get();
      redis.client().cmd("DEL", keys.messages());
      Await.until(
          "the handler recreated the group and commits again",
          BOUND,
          () -> handler.state().counters().processed.get() > processed + 2);
    }
    Await.until(
        "the loss is reported", BOUND, () -> handler.state().redisData().losses().get() > 0);
    assertThat(lines(handler, "consumer group missing (Redis lost its data?)")).isEqualTo(1);
  }

  @Test
  void keysEvictedUnderAFullSpeedRunAreReported() {
    redis.client().cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    JsonObject risky =
        new JsonObject()
            .put("redis", new JsonObject().put("acceptEvictionDataLoss", true))
            .put("generator", new JsonObject().put("intervalMs", 0).put("maxBacklog", 2_000_000));
    TestNode a = node("a", risky);
    TestNode b = node("b", risky);
    Await.until("a generator", BOUND, () -> a.isGenerator() || b.isGenerator());
    // accepted at start: the policy alone does not degrade, the gauge says it
    assertThat(NodeHttp.metric(a, "baton_redis_eviction_policy_unsafe", null)).isEqualTo(1);
    assertThat(NodeHttp.metric(a, "baton_redis_evicted_keys_total", null)).isZero();

    long used = Long.parseLong(redis.client().str("MEMORY", "USAGE", keys.marker()));
    redis.client().cmd("CONFIG", "SET", "maxmemory", Long.toString(2_500_000 + used));
    try {
      Await.until(
          "both nodes report evictions",
          BOUND,
          () ->
              NodeHttp.metric(a, "baton_redis_evicted_keys_total", null) > 0
                  && NodeHttp.metric(b, "baton_redis_evicted_keys_total", null) > 0);
      Await.until(
          "and never call themselves healthy meanwhile",
          BOUND,
          () -> degraded(a, Degradations.REDIS_EVICTING) || degraded(a, "redis_data_lost"));
      assertThat(lines(a, "Redis evicted")).isEqualTo(1);
    } finally {
      redis.client().cmd("CONFIG", "SET", "maxmemory", "0");
    }
  }

  @Test
  void aPolicyChangedWhileRunningDegradesUntilItIsSafeAgain() {
    List<TestNode> nodes = cluster();
    TestNode n = nodes.get(0);
    assertThat(NodeHttp.metric(n, "baton_redis_eviction_policy_unsafe", null)).isZero();
    redis.client().cmd("CONFIG", "SET", "maxmemory-policy", "volatile-lru");
    Await.until("degraded", BOUND, () -> degraded(n, Degradations.REDIS_EVICTING));
    assertThat(NodeHttp.health(n).degraded(Degradations.REDIS_EVICTING))
        .contains("volatile-lru", "maxmemory-policy noeviction");
    assertThat(NodeHttp.metric(n, "baton_redis_eviction_policy_unsafe", null)).isEqualTo(1);
    assertThat(NodeHttp.metric(n, "baton_degraded", "reason=\"redis_evicting\"")).isEqualTo(1);

    redis.client().cmd("CONFIG", "SET", "maxmemory-policy", "noeviction");
    Await.until("healthy again", BOUND, () -> NodeHttp.health(n).status() == 200);
    assertThat(NodeHttp.metric(n, "baton_redis_eviction_policy_unsafe", null)).isZero();
    assertThat(lines(n, "maxmemory-policy is now volatile-lru")).isEqualTo(1);
  }

  @Test
  void aPermissionTakenAwayIsRefusingAndPresenceTakenAwayIsDegraded() {
    redis.client().cmd("ACL", "SETUSER", "baton", "on", ">pw", "~*", "&*", "+@all");
    JsonObject asUser =
        new JsonObject().put("redis", new JsonObject().put("user", "baton").put("password", "pw"));
    TestNode a = node("a", asUser);
    TestNode b = node("b", asUser);
    Await.until(
        "both healthy",
        BOUND,
        () -> NodeHttp.health(a).status() == 200 && NodeHttp.health(b).status() == 200);

    redis.client().cmd("ACL", "SETUSER", "baton", "-xreadgroup");
    Await.until(
        "refusing, naming the command and the rule",
        BOUND,
        () -> {
          String refusal = NodeHttp.health(a).refusal("permissions");
          return refusal != null
              && refusal.contains("may not run XREADGROUP")
              && refusal.contains("ACL SETUSER baton +xreadgroup");
        });
    assertThat(NodeHttp.health(a).state()).isEqualTo("refusing");
    redis.client().cmd("ACL", "SETUSER", "baton", "+xreadgroup");

    redis.client().cmd("ACL", "SETUSER", "baton", "resetchannels");
    for (TestNode n : List.of(a, b)) {
      Await.until(
          n.id() + " says presence is refused",
          BOUND,
          () -> {
            Health h = NodeHttp.health(n);
            return h.status() == 503
                && h.degraded(Degradations.PRESENCE_REFUSED) != null
                && h.degraded(Degradations.PRESENCE_REFUSED)
                    .startsWith("presence refused: failover falls back to the lease")
                && h.refusal("permissions") == null;
          });
      assertThat(NodeHttp.metric(n, "baton_degraded", "reason=\"presence_refused\"")).isEqualTo(1);
    }
    redis.client().cmd("ACL", "SETUSER", "baton", "&*");
    Await.until(
        "healthy again",
        BOUND,
        () -> NodeHttp.health(a).status() == 200 && NodeHttp.health(b).status() == 200);
  }

  @Test
  void aNodeWhoseRedisBecomesAReadOnlyReplicaSaysSoWithTheFix() throws Exception {
    List<TestNode> nodes = cluster();
    try (RedisServer primary = RedisServer.start()) {
      redis.client().cmd("REPLICAOF", "127.0.0.1", Integer.toString(primary.port()));
      try {
        TestNode n = nodes.get(0);
        Await.until(
            "refusing, naming the fix",
            BOUND,
            () -> {
              String r = NodeHttp.health(n).refusal("replica");
              return r != null
                  && r.contains("read-only replica of 127.0.0.1:" + primary.port())
                  && r.contains("redis.type: sentinel");
            });
        assertThat(lines(n, "read-only replica")).isEqualTo(1);
      } finally {
        redis.client().cmd("REPLICAOF", "NO", "ONE");
      }
    }
  }
}
