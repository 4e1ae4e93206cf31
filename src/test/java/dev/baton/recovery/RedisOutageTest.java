package dev.baton.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redis dies, restarts from its AOF or empty, loses its scripts: the cluster carries on by itself.
 */
@Timeout(180)
class RedisOutageTest {
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T t) {
    resources.add(t);
    return t;
  }

  private List<TestNode> cluster(RedisServer redis, int n) {
    List<TestNode> nodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      nodes.add(
          track(
              TestNode.start(
                  TestNode.fastSettings(redis.url(), prefix)
                      .put("nodeId", "r" + i)
                      .put("generator", new JsonObject().put("intervalMs", 20))
                      .put("handler", new JsonObject().put("errorProbability", 0.1)))));
    }
    Await.until(
        "a generator",
        Duration.ofSeconds(10),
        () -> nodes.stream().anyMatch(TestNode::isGenerator));
    return nodes;
  }

  private static long sum(List<TestNode> nodes, ToLongFunction<TestNode> f) {
    return nodes.stream().mapToLong(f).sum();
  }

  private static long published(List<TestNode> nodes) {
    return sum(nodes, n -> n.state().counters().published.get());
  }

  private static long processed(List<TestNode> nodes) {
    return sum(nodes, n -> n.state().counters().processed.get());
  }

  @Test
  void afterAKillAndARestartFromAofEverythingAcknowledgedIsStillThereAndWorkResumes() {
    RedisServer redis = track(RedisServer.start(true));
    List<TestNode> nodes = cluster(redis, 3);
    Await.until("100 published", Duration.ofSeconds(20), () -> published(nodes) >= 100);

    redis.kill();
    Await.until(
        "every node notices",
        Duration.ofSeconds(10),
        () -> nodes.stream().noneMatch(n -> n.state().redis().up()));
    Await.until(
        "no generator is left while Redis is away",
        Duration.ofSeconds(10),
        () -> nodes.stream().noneMatch(TestNode::isGenerator));
    long publishedBefore = published(nodes);
    long processedBefore = processed(nodes);
    redis.restart();

    Await.until(
        "publishing and handling resume",
        Duration.ofSeconds(30),
        () -> published(nodes) > publishedBefore + 100 && processed(nodes) > processedBefore + 100);
    assertThat(nodes.stream().filter(TestNode::isGenerator).count()).isEqualTo(1);
    nodes.forEach(TestNode::close);

    try (TestRedis rc = new TestRedis(redis.url())) {
      long storedPublished = rc.num("HGET", keys.stats(), "published");
      long storedProcessed = rc.num("HGET", keys.stats(), "processed");
      long dead = rc.num("HGET", keys.stats(), "deadLettered");
      long uncommitted = rc.num("XLEN", keys.messages());
      // every publish a generator saw acknowledged survived the crash (AOF, appendfsync always) ...
      assertThat(storedPublished).isGreaterThanOrEqualTo(published(nodes));
      assertThat(storedProcessed).isGreaterThanOrEqualTo(processed(nodes));
      // ... and each message is either committed once or still waiting in the stream
      assertThat(storedProcessed + dead + uncommitted).isEqualTo(storedPublished);
      assertThat(rc.num("XLEN", keys.errors())).isEqualTo(rc.num("HGET", keys.stats(), "errors"));
    }
  }

  @Test
  void afterARestartWithNoDataTheClusterRebuildsItsStateAndEpochsKeepGrowing() {
    RedisServer redis = track(RedisServer.start(false));
    List<TestNode> nodes = cluster(redis, 3);
    Await.until("50 processed", Duration.ofSeconds(20), () -> processed(nodes) >= 50);
    long epochBefore =
        nodes.stream()
            .filter(TestNode::isGenerator)
            .findFirst()
            .orElseThrow()
            .state()
            .role()
            .epoch();

    redis.kill();
    Await.until(
        "every node notices",
        Duration.ofSeconds(10),
        () -> nodes.stream().noneMatch(n -> n.state().redis().up()));
    long processedBefore = processed(nodes);
    redis.restart(); // empty: no lease, no epoch counter, no stream, no group, no scripts

    Await.until(
        "handling resumes on a fresh stream and group",
        Duration.ofSeconds(30),
        () -> processed(nodes) > processedBefore + 50);
    TestNode generator = nodes.stream().filter(TestNode::isGenerator).findFirst().orElseThrow();
    assertThat(generator.state().role().epoch())
        .as("epochs keep growing across the loss")
        .isGreaterThan(epochBefore);
    assertThat(nodes).allSatisfy(n -> assertThat(n.state().role().maxVerticles()).isEqualTo(1));
  }

  @Test
  void nodesKeepRunningWhileRedisIsDownAndSayItOnce() {
    RedisServer redis = track(RedisServer.start(false));
    List<TestNode> nodes = cluster(redis, 2);
    int deployments = nodes.get(0).vertx().deploymentIDs().size();
    redis.kill();
    Await.until(
        "the nodes see Redis down",
        Duration.ofSeconds(10),
        () -> nodes.stream().noneMatch(n -> n.state().redis().up()));
    Await.until(
        "both settle as handlers waiting for Redis",
        Duration.ofSeconds(10),
        () -> nodes.stream().allMatch(TestNode::isHandler));
    assertThat(nodes.get(0).vertx().deploymentIDs()).hasSize(deployments);
    redis.restart();
    Await.until(
        "a generator again",
        Duration.ofSeconds(20),
        () -> nodes.stream().anyMatch(TestNode::isGenerator));
    Await.until(
        "Redis seen up again",
        Duration.ofSeconds(10),
        () -> nodes.stream().allMatch(n -> n.state().redis().up()));
  }

  @Test
  void aFrozenRedisCostsTheGeneratorItsLeaseAndEverythingResumesWhenItThaws() {
    RedisServer redis = track(RedisServer.start(false));
    List<TestNode> nodes = cluster(redis, 2);
    Await.until("20 processed", Duration.ofSeconds(20), () -> processed(nodes) >= 20);
    redis.pause(); // SIGSTOP: connections stay open, nothing answers
    try {
      Await.until(
          "the generator revokes itself",
          Duration.ofSeconds(10),
          () -> nodes.stream().noneMatch(TestNode::isGenerator));
    } finally {
      redis.resume();
    }
    long before = processed(nodes);
    Await.until(
        "a generator again and work goes on",
        Duration.ofSeconds(30),
        () -> nodes.stream().anyMatch(TestNode::isGenerator) && processed(nodes) > before + 20);
  }

  @Test
  void scriptsFlushedFromRedisAreReloadedTransparently() {
    RedisServer redis = track(RedisServer.start(false));
    List<TestNode> nodes = cluster(redis, 2);
    Await.until("20 processed", Duration.ofSeconds(20), () -> processed(nodes) >= 20);
    long before = processed(nodes);
    redis.command("SCRIPT", "FLUSH");
    Await.until("work goes on", Duration.ofSeconds(10), () -> processed(nodes) > before + 20);
  }
}
