package dev.baton.election;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.audit.Verifier;
import dev.baton.audit.VerifyReport;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.Quiesce;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Presence with real nodes: registered before the first lease attempt, on Redis 7 (sharded) and 6.2
 * (plain Pub/Sub); a node whose presence connection breaks loses the baton at most once per break;
 * a Redis restart from its AOF starts no takeover at all, because every record names the old server
 * instance.
 */
@Timeout(180)
class PresenceTest {
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  private TestNode node(RedisServer redis, String id, JsonObject extra) {
    JsonObject settings = TestNode.fastSettings(redis.url(), prefix).put("nodeId", id);
    extra.forEach(
        e ->
            settings.put(
                e.getKey(),
                settings
                    .getJsonObject(e.getKey(), new JsonObject())
                    .mergeIn((JsonObject) e.getValue())));
    return closer.add(TestNode.start(settings));
  }

  private static String runId(TestRedis rc) {
    String info = rc.str("INFO", "server");
    int at = info.indexOf("run_id:") + "run_id:".length();
    return info.substring(at, at + 40);
  }

  private boolean present(TestRedis rc, String nodeId) {
    String record = rc.str("HGET", keys.presence(), nodeId);
    return record != null
        && record.startsWith(runId(rc) + " ")
        && rc.cmd("PUBSUB", "SHARDNUMSUB", keys.presenceChannel(nodeId)).get(1).toLong() == 1;
  }

  private long takeoversFrom(TestRedis rc, String nodeId) {
    return rc.range(keys.grants()).stream()
        .filter(g -> nodeId.equals(g.fields().get("from")))
        .count();
  }

  @Test
  void aNodeRegistersItsPresenceBeforeItsFirstLeaseAttempt() {
    RedisServer redis = closer.add(RedisServer.start());
    TestRedis rc = closer.add(new TestRedis(redis.url()));
    node(redis, "p1", new JsonObject());
    // start() completes after the first lease attempt: the record must already be there
    assertThat(rc.str("HGET", keys.presence(), "p1")).isEqualTo(runId(rc) + " s");
    assertThat(rc.cmd("PUBSUB", "SHARDNUMSUB", keys.presenceChannel("p1")).get(1).toLong())
        .isEqualTo(1);
    assertThat(rc.str("CLIENT", "LIST")).contains("name=baton-presence-p1");
  }

  @Test
  void onRedis62PresenceUsesPlainPubSub() {
    RedisServer redis = closer.add(RedisServer.startShipped());
    TestRedis rc = closer.add(new TestRedis(redis.url()));
    assertThat(rc.str("INFO", "server")).contains("redis_version:6.2");
    TestNode n = node(redis, "p1", new JsonObject());
    assertThat(rc.str("HGET", keys.presence(), "p1")).isEqualTo(runId(rc) + " n");
    assertThat(rc.cmd("PUBSUB", "NUMSUB", keys.presenceChannel("p1")).get(1).toLong()).isEqualTo(1);
    Await.until("p1 leads", Duration.ofSeconds(10), n::isGenerator);
  }

  @Test
  void presenceOffLeavesNoRecordAndNoSubscription() {
    RedisServer redis = closer.add(RedisServer.start());
    TestRedis rc = closer.add(new TestRedis(redis.url()));
    TestNode n =
        node(redis, "p1", new JsonObject().put("presence", new JsonObject().put("enabled", false)));
    Await.until("p1 leads", Duration.ofSeconds(10), n::isGenerator);
    assertThat(rc.str("HGET", keys.presence(), "p1")).isNull();
    assertThat(rc.cmd("PUBSUB", "SHARDNUMSUB", keys.presenceChannel("p1")).get(1).toLong())
        .isZero();
  }

  @Test
  void aBrokenPresenceConnectionCostsTheBatonAtMostOncePerBreakAndNothingElse() throws Exception {
    RedisServer redis = closer.add(RedisServer.start());
    TestRedis rc = closer.add(new TestRedis(redis.url()));
    JsonObject audit =
        new JsonObject()
            .put("audit", new JsonObject().put("enabled", true))
            .put("election", new JsonObject().put("leaseMs", 3000).put("renewMs", 1000));
    TestNode a = node(redis, "a", audit);
    Await.until("a leads", Duration.ofSeconds(10), a::isGenerator);
    TestNode b = node(redis, "b", audit);
    node(redis, "c", audit);
    Await.until("b watches", Duration.ofSeconds(10), () -> b.state().role().watcher());

    for (int round = 1; round <= 3; round++) {
      String holder = Replies.str(rc.cmd("GET", keys.leader()));
      long before = takeoversFrom(rc, holder);
      rc.cmd("CLIENT", "KILL", "ID", clientId(rc, "baton-presence-" + holder));
      Await.until(
          holder + " subscribed and registered again",
          Duration.ofSeconds(20),
          () -> present(rc, holder));
      assertThat(takeoversFrom(rc, holder) - before)
          .as("takeovers of " + holder + " for one break")
          .isLessThanOrEqualTo(1);
      Await.until(
          "a generator publishes",
          Duration.ofSeconds(20),
          () -> Replies.str(rc.cmd("GET", keys.leader())) != null);
    }

    Quiesce.holdBaton(rc, keys);
    Quiesce.awaitDrained(rc, keys, Duration.ofSeconds(30));
    VerifyReport report =
        new Verifier(new RedisOps(rc.client(), 60_000), keys).verify().await(60, TimeUnit.SECONDS);
    assertThat(report.passed()).as(report.text()).isTrue();
  }

  private static String clientId(TestRedis rc, String name) {
    for (String line : rc.str("CLIENT", "LIST").split("\n")) {
      if (line.contains(" name=" + name + " ")) {
        return line.substring(line.indexOf("id=") + 3, line.indexOf(' '));
      }
    }
    throw new AssertionError("no connection named " + name);
  }

  @Test
  void aRestartFromTheAofStartsNoTakeoverAndAtMostOneChangeOfGenerator() throws Exception {
    RedisServer redis = closer.add(RedisServer.start(true));
    TestRedis rc = closer.add(new TestRedis(redis.url()));
    // a lease that outlives the restart: right after it, the holder is not subscribed yet
    JsonObject settings =
        new JsonObject()
            .put("audit", new JsonObject().put("enabled", true))
            .put("redis", new JsonObject().put("commandTimeoutMs", 500))
            .put("election", new JsonObject().put("leaseMs", 6000).put("renewMs", 1000));
    TestNode a = node(redis, "a", settings);
    Await.until("a leads", Duration.ofSeconds(10), a::isGenerator);
    List<TestNode> others = List.of(node(redis, "b", settings), node(redis, "c", settings));
    Await.until("b watches", Duration.ofSeconds(10), () -> others.get(0).state().role().watcher());
    String runBefore = runId(rc);
    long grantsBefore = rc.num("XLEN", keys.grants());

    redis.restart();
    Await.until(
        "every node registered on the new server instance",
        Duration.ofSeconds(30),
        () ->
            !runId(rc).equals(runBefore)
                && present(rc, "a")
                && present(rc, "b")
                && present(rc, "c"));
    Await.until(
        "a generator publishes again",
        Duration.ofSeconds(20),
        () ->
            rc.num("HGET", keys.stats(), "published") > 0
                && Replies.str(rc.cmd("GET", keys.leader())) != null);

    List<Replies.Entry> grants = rc.range(keys.grants());
    assertThat(grants.subList((int) grantsBefore, grants.size()))
        .as("grants after the restart")
        .hasSizeLessThanOrEqualTo(1)
        .noneMatch(g -> g.fields().containsKey("from"));

    Quiesce.holdBaton(rc, keys);
    Quiesce.awaitDrained(rc, keys, Duration.ofSeconds(30));
    VerifyReport report =
        new Verifier(new RedisOps(rc.client(), 60_000), keys).verify().await(60, TimeUnit.SECONDS);
    assertThat(report.passed()).as(report.text()).isTrue();
  }
}
