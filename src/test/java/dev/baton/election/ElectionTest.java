package dev.baton.election;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.Monitor;
import dev.baton.bus.Addresses;
import dev.baton.bus.Leadership;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.RedisExtension;
import dev.baton.support.TcpProxy;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(120)
class ElectionTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);

  private String key(String name) {
    return "{" + prefix + "}:" + name;
  }

  private TestNode node(String id, JsonObject overrides) {
    JsonObject settings = TestNode.fastSettings(REDIS.url(), prefix).put("nodeId", id);
    overrides.forEach(
        e -> {
          if (e.getValue() instanceof JsonObject o) {
            settings.getJsonObject(e.getKey(), new JsonObject()).mergeIn(o);
            if (!settings.containsKey(e.getKey())) {
              settings.put(e.getKey(), o);
            }
          } else {
            settings.put(e.getKey(), e.getValue());
          }
        });
    return closer.add(TestNode.start(settings));
  }

  private TestNode behindProxy(String id, TcpProxy proxy, JsonObject election) {
    return node(
        id,
        new JsonObject()
            .put("redis", new JsonObject().put("url", proxy.url()))
            .put("election", election));
  }

  @Test
  void fiveNodesGrantExactlyOneLeaseAndEveryGrantTakesAHigherEpoch() {
    List<TestNode> nodes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      nodes.add(node("e" + i, new JsonObject()));
    }
    Await.until(
        "one generator",
        Duration.ofSeconds(10),
        () -> nodes.stream().filter(TestNode::isGenerator).count() == 1);
    long previous = Long.parseLong(REDIS.client().str("GET", key("epoch")));
    for (int round = 0; round < 3; round++) {
      TestNode leader = nodes.stream().filter(TestNode::isGenerator).findFirst().orElseThrow();
      long leaderEpoch = leader.state().role().epoch();
      assertThat(leaderEpoch).isEqualTo(previous);
      leader.close();
      nodes.remove(leader);
      Await.until(
          "a new generator",
          Duration.ofSeconds(10),
          () -> nodes.stream().anyMatch(TestNode::isGenerator));
      assertThat(nodes.stream().filter(TestNode::isGenerator).count()).isEqualTo(1);
      TestNode next = nodes.stream().filter(TestNode::isGenerator).findFirst().orElseThrow();
      assertThat(next.state().role().epoch()).isGreaterThan(leaderEpoch);
      previous = next.state().role().epoch();
    }
  }

  @Test
  void followerTakesOverWhenLeaderDiesWithoutReleasing() {
    TcpProxy proxy = closer.add(new TcpProxy(REDIS.port()));
    JsonObject election = new JsonObject().put("leaseMs", 3000).put("renewMs", 1000);
    // the lease alone: with presence, the cut connection would hand the lease over at once
    // (PresenceTest and PresenceIT prove that path)
    JsonObject presenceOff = new JsonObject().put("enabled", false);
    TestNode leader =
        node(
            "doomed",
            new JsonObject()
                .put("redis", new JsonObject().put("url", proxy.url()))
                .put("election", election)
                .put("presence", presenceOff));
    Await.until("doomed leads", Duration.ofSeconds(10), leader::isGenerator);
    TestNode follower =
        node("heir", new JsonObject().put("election", election).put("presence", presenceOff));
    long epoch = leader.state().role().epoch();

    proxy.cut(); // its release on close can no longer reach Redis: a crash, as far as Redis knows
    leader.close();
    assertThat(REDIS.client().str("GET", key("leader"))).isEqualTo("doomed");

    Await.until(
        "the follower takes over once the lease lapsed",
        Duration.ofSeconds(10),
        follower::isGenerator);
    assertThat(follower.state().role().epoch()).isGreaterThan(epoch);
  }

  @Test
  void leaderRevokesWhenTheLeaseNoLongerNamesIt() {
    TestNode leader = node("l1", new JsonObject());
    Await.until("l1 leads", Duration.ofSeconds(10), leader::isGenerator);
    // another node took the lease behind its back (e.g. after a pause past its lease)
    REDIS.client().cmd("SET", key("leader"), "usurper", "PX", "60000");
    REDIS.client().cmd("INCR", key("epoch"));
    Await.until("l1 becomes a handler", Duration.ofSeconds(10), leader::isHandler);
    assertThat(REDIS.client().str("GET", key("leader"))).isEqualTo("usurper");
  }

  @Test
  void leaderCutOffFromRedisRevokesBeforeItsLeaseRunsOutInRedis() {
    TcpProxy proxy = closer.add(new TcpProxy(REDIS.port()));
    JsonObject election = new JsonObject().put("leaseMs", 3000).put("renewMs", 1000);
    TestNode leader = behindProxy("cutoff", proxy, election);
    Await.until("cutoff leads", Duration.ofSeconds(10), leader::isGenerator);
    ConcurrentLinkedQueue<Long> revokedAt = new ConcurrentLinkedQueue<>();
    Addresses.ELECTION
        .consume(
            leader.vertx().eventBus(),
            "cutoff",
            change -> {
              if (change instanceof Leadership.Revoked) {
                revokedAt.add(System.nanoTime());
              }
            })
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .join();

    proxy.freeze();
    long pttl = REDIS.client().num("PTTL", key("leader"));
    long expiresAt = System.nanoTime() + pttl * 1_000_000;
    assertThat(pttl).isPositive();

    Await.until("the leader revokes itself", Duration.ofSeconds(10), () -> !revokedAt.isEmpty());
    assertThat(revokedAt.peek())
        .as("revoked before the lease ran out in Redis")
        .isLessThan(expiresAt);
    proxy.heal();
  }

  @Test
  void gracefulStopReleasesTheLeaseSoAFollowerTakesOverAtOnce() {
    JsonObject longLease =
        new JsonObject()
            .put("election", new JsonObject().put("leaseMs", 15_000).put("renewMs", 5000));
    TestNode leader = node("g1", longLease);
    Await.until("g1 leads", Duration.ofSeconds(10), leader::isGenerator);
    TestNode follower = node("g2", longLease);
    Await.until("g2 settles as handler", Duration.ofSeconds(10), follower::isHandler);

    long stoppedAt = System.nanoTime();
    leader.close();
    Await.until("g2 takes over", Duration.ofSeconds(14), follower::isGenerator);
    long tookMs = (System.nanoTime() - stoppedAt) / 1_000_000;
    // without the release the follower would wait out most of the 15 s lease
    assertThat(tookMs).isLessThan(15_000 / 2);
  }

  @Test
  void followersCostAboutOneLeaseAttemptPerLeaseWhileALeaderRenewsAndTwoWatchersPoll() {
    JsonObject defaults =
        new JsonObject().put("election", new JsonObject().put("leaseMs", 1000).put("renewMs", 300));
    TestNode leader = node("f0", defaults);
    Await.until("f0 leads", Duration.ofSeconds(10), leader::isGenerator);
    List<TestNode> followers = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      followers.add(node("f" + i, defaults));
    }
    // the watchers are the two smallest present node ids that do not hold the lease
    Await.until(
        "f1 and f2 are named the watchers",
        Duration.ofSeconds(10),
        () ->
            followers.get(0).state().role().watcher() && followers.get(1).state().role().watcher());
    assertThat(followers.subList(2, 4)).noneMatch(f -> f.state().role().watcher());
    assertThat(leader.state().role().watcher()).isFalse();

    List<String> lines = Monitor.record(REDIS.port(), 3_000);
    Map<String, Long> attempts = new HashMap<>();
    for (String line : lines) {
      if (line.contains(AcquireScript.SCRIPT.sha1())) {
        for (int i = 1; i <= 4; i++) {
          if (line.contains("\"f" + i + "\"")) {
            attempts.merge("f" + i, 1L, Long::sum);
          }
        }
      }
    }
    for (int i = 3; i <= 4; i++) {
      double perSecond = attempts.getOrDefault("f" + i, 0L) / 3.0;
      // a follower sleeps for the holder's remaining lease: ~1 to 1.5 attempts a second here
      assertThat(perSecond).as("f" + i + " attempts per second").isGreaterThan(0.3).isLessThan(3.0);
    }
    // each watcher asks every presence.watchMs (50 ms): about 20 a second, 40 for the cluster
    for (int i = 1; i <= 2; i++) {
      assertThat(attempts.getOrDefault("f" + i, 0L) / 3.0)
          .as("f" + i + " (a watcher) attempts per second")
          .isGreaterThan(5.0)
          .isLessThan(30.0);
    }
  }
}
