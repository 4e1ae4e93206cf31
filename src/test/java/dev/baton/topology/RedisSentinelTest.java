package dev.baton.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisSentinels;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nodes behind Redis Sentinel (one master, one replica, three sentinels). When the master is killed
 * the sentinels promote the replica; the nodes follow it, there is again exactly one generator, and
 * errors still drain, each exactly once.
 */
@Timeout(180)
class RedisSentinelTest {
  private static final String PREFIX = "se" + UUID.randomUUID().toString().substring(0, 8);
  private static final Keys KEYS = new Keys(PREFIX);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static RedisSentinels sentinels;

  @BeforeAll
  static void start() {
    sentinels = RedisSentinels.start();
  }

  @AfterAll
  static void stop() {
    sentinels.close();
  }

  private static TestNode node(String id) {
    JsonObject settings =
        TestNode.fastSettings(sentinels.sentinelUrls().get(0), PREFIX)
            .put("nodeId", id)
            .put("handler", new JsonObject().put("errorProbability", 0.5));
    settings
        .getJsonObject("redis")
        .put("type", "sentinel")
        .put("masterName", RedisSentinels.MASTER)
        .put("endpoints", new JsonArray(sentinels.sentinelUrls()));
    return TestNode.start(settings);
  }

  /**
   * The drain's answer, or null on a 503 (for a moment after a failover a client may still name the
   * dead master).
   */
  private static JsonObject drain(TestNode node) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + node.httpPort() + "/errors/drain"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 503) {
        return null;
      }
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      return new JsonObject(r.body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static long sum(List<TestNode> nodes, ToLongFunction<TestNode> f) {
    return nodes.stream().mapToLong(f).sum();
  }

  @Test
  void nodesFollowThePromotedReplicaWithOneGeneratorAndErrorsStillDrain() {
    List<TestNode> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        nodes.add(node("se-" + i));
      }
      Await.until(
          "one generator",
          Duration.ofSeconds(20),
          () -> nodes.stream().filter(TestNode::isGenerator).count() == 1);
      Await.until(
          "errors stored",
          Duration.ofSeconds(20),
          () -> sum(nodes, n -> n.state().counters().errors.get()) > 5);
      TestNode before = nodes.stream().filter(TestNode::isGenerator).findFirst().orElseThrow();
      long epochBefore = before.state().role().epoch();

      long killedAt = System.nanoTime();
      sentinels.master().kill();
      Await.until(
          "the sentinels promote the replica",
          Duration.ofSeconds(30),
          () -> sentinels.masterPort() == sentinels.replica().port());
      Await.until(
          "one generator, under a new epoch",
          Duration.ofSeconds(30),
          () -> {
            List<TestNode> gens = nodes.stream().filter(TestNode::isGenerator).toList();
            return gens.size() == 1 && gens.get(0).state().role().epoch() > epochBefore;
          });
      try (TestRedis promoted = new TestRedis(sentinels.replica().url())) {
        // presence follows the nodes to the promoted replica; the old master's records are stale
        // there
        String info = promoted.str("INFO", "server");
        String runId = info.substring(info.indexOf("run_id:") + 7, info.indexOf("run_id:") + 47);
        Await.until(
            "every node registered its presence on the promoted replica",
            Duration.ofSeconds(30),
            () ->
                nodes.stream()
                    .allMatch(
                        n -> (runId + " s").equals(promoted.str("HGET", KEYS.presence(), n.id()))));
        assertThat(promoted.range(KEYS.grants()))
            .as("no takeover by presence after the promotion")
            .noneMatch(g -> g.fields().containsKey("from"));
        long publishedOnPromoted = Long.parseLong(promoted.str("HGET", KEYS.stats(), "published"));
        Await.until(
            "the new generator publishes on the promoted replica",
            Duration.ofSeconds(30),
            () ->
                Long.parseLong(promoted.str("HGET", KEYS.stats(), "published"))
                    > publishedOnPromoted + 5);
        System.out.printf(
            "sentinel failover: first publish on the promoted replica %d ms after the master was killed%n",
            (System.nanoTime() - killedAt) / 1_000_000);
        long processed = sum(nodes, n -> n.state().counters().processed.get());
        Await.until(
            "handlers process on the promoted replica",
            Duration.ofSeconds(30),
            () -> sum(nodes, n -> n.state().counters().processed.get()) > processed + 20);
        assertThat(nodes.stream().filter(TestNode::isGenerator).count()).isEqualTo(1);

        JsonObject drained =
            Await.value(
                "a drain on the promoted replica",
                Duration.ofSeconds(20),
                () -> drain(nodes.get(0)));
        JsonArray records = drained.getJsonArray("drained");
        assertThat(drained.getLong("count")).isPositive().isEqualTo(records.size());
        Set<String> messages = new HashSet<>();
        Map<Long, Set<String>> generatorsByEpoch = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
          JsonObject e = records.getJsonObject(i);
          // each message judged an error once, and each epoch published by one node only
          assertThat(
                  messages.add(
                      e.getString("gen") + "/" + e.getLong("epoch") + "/" + e.getLong("seq")))
              .as(e.encode())
              .isTrue();
          generatorsByEpoch
              .computeIfAbsent(e.getLong("epoch"), k -> new HashSet<>())
              .add(e.getString("gen"));
          String id = e.getString("errorId");
          assertThat(promoted.cmd("XRANGE", KEYS.errors(), id, id).size()).isZero();
        }
        assertThat(generatorsByEpoch.values()).allSatisfy(gens -> assertThat(gens).hasSize(1));
        assertThat(generatorsByEpoch.keySet())
            .anySatisfy(epoch -> assertThat(epoch).isGreaterThan(epochBefore));
      }
      assertThat(nodes).allSatisfy(n -> assertThat(n.state().role().maxVerticles()).isEqualTo(1));
    } finally {
      nodes.forEach(TestNode::close);
    }
  }
}
