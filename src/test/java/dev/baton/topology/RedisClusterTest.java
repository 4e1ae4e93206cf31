package dev.baton.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisCluster;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nodes on a real three-master Redis Cluster: every key shares the hash tag {@code {prefix}}, so
 * every script runs on the one master that owns that slot, and the node does all its duties.
 */
@Timeout(180)
class RedisClusterTest {
  private static final String PREFIX = "cl" + UUID.randomUUID().toString().substring(0, 8);
  private static final Keys KEYS = new Keys(PREFIX);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static RedisCluster cluster;
  private static TestRedis rc;

  @BeforeAll
  static void startCluster() {
    cluster = RedisCluster.start();
    rc =
        new TestRedis(
            new RedisOptions()
                .setType(RedisClientType.CLUSTER)
                .setEndpoints(new ArrayList<>(cluster.urls())));
  }

  @AfterAll
  static void stopCluster() {
    rc.close();
    cluster.close();
  }

  private static TestNode node(String id) {
    // one seed that does not own Baton's slot: the client must learn the topology and follow it
    RedisServer seed =
        cluster.nodes().stream()
            .filter(n -> n != cluster.owner(KEYS.messages()))
            .findFirst()
            .orElseThrow();
    JsonObject settings =
        TestNode.fastSettings(seed.url(), PREFIX)
            .put("nodeId", id)
            .put(
                "handler",
                new JsonObject()
                    .put("errorProbability", 0.3)
                    .put("reclaimIdleMs", 500)
                    .put("blockMs", 500));
    settings
        .getJsonObject("redis")
        .put("type", "cluster")
        .put("endpoints", new JsonArray(List.of(seed.url())));
    return TestNode.start(settings);
  }

  private static JsonObject http(TestNode node, String method, String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                  .method(method, HttpRequest.BodyPublishers.noBody())
                  .timeout(Duration.ofSeconds(20))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
      return new JsonObject(r.body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static long renewals(TestNode node) {
    Timer t =
        node.metrics().registry().find("baton.lease.renewal").tag("outcome", "extended").timer();
    return t == null ? 0 : t.count();
  }

  @Test
  void everyScriptWorksAndTheNodeDoesItsDutiesOnACluster() {
    TestNode a = node("cl-a");
    TestNode b = node("cl-b");
    List<TestNode> nodes = List.of(a, b);
    try {
      // acquire.lua, renew.lua
      Await.until(
          "one generator",
          Duration.ofSeconds(20),
          () -> nodes.stream().filter(TestNode::isGenerator).count() == 1);
      TestNode gen = a.isGenerator() ? a : b;
      TestNode handler = gen == a ? b : a;
      Await.until(
          "the generator renews its lease", Duration.ofSeconds(20), () -> renewals(gen) >= 3);
      // publish.lua, commit.lua
      Await.until(
          "messages handled, some judged errors",
          Duration.ofSeconds(30),
          () ->
              handler.state().counters().processed.get() > 20
                  && handler.state().counters().errors.get() > 0);
      assertThat(gen.state().counters().published.get()).isPositive();

      // heartbeat.lua, view.lua
      Await.until(
          "both nodes in the view",
          Duration.ofSeconds(10),
          () -> http(handler, "GET", "/status").getJsonArray("nodes").size() == 2);
      JsonObject status = http(handler, "GET", "/status");
      assertThat(status.getString("redis")).isEqualTo("up");
      assertThat(status.getJsonObject("leader").getString("nodeId")).isEqualTo(gen.id());

      // reclaim.lua: a consumer that takes a message and dies (added and taken in one script, so
      // the handler's blocked read cannot get it first)
      rc.cmd(
          "EVAL",
          "redis.call('XADD', KEYS[1], '*', 'gen', 'test', 'epoch', '1', 'seq', '1', 'ts', '1', 'text', 'x') "
              + "return redis.call('XREADGROUP', 'GROUP', ARGV[1], 'ghost', 'COUNT', 1, 'STREAMS', KEYS[1], '>')",
          "1",
          KEYS.messages(),
          Keys.HANDLERS_GROUP);
      Await.until(
          "the ghost's message is reclaimed",
          Duration.ofSeconds(20),
          () -> handler.state().counters().reclaimed.get() > 0);
      // reap.lua: once it holds nothing and its node never beat, the ghost consumer is removed
      Await.until(
          "the ghost consumer is reaped",
          Duration.ofSeconds(20),
          () ->
              !rc.cmd("XINFO", "CONSUMERS", KEYS.messages(), Keys.HANDLERS_GROUP)
                  .toString()
                  .contains("ghost"));

      // drain-claim.lua, drain-ack.lua, drain-end.lua
      JsonObject drained = http(handler, "POST", "/errors/drain");
      assertThat(drained.getLong("count")).isPositive();
      String firstId = drained.getJsonArray("drained").getJsonObject(0).getString("errorId");
      assertThat(rc.cmd("XRANGE", KEYS.errors(), firstId, firstId).size()).isZero();

      // every Baton key lives on the master that owns the hash tag's slot
      RedisServer owner = cluster.owner(KEYS.messages());
      for (RedisServer n : cluster.nodes()) {
        String keys = n.command("KEYS", "{" + PREFIX + "}*");
        if (n == owner) {
          assertThat(keys)
              .contains(
                  KEYS.messages(),
                  KEYS.errors(),
                  KEYS.leader(),
                  KEYS.epoch(),
                  KEYS.stats(),
                  KEYS.heartbeats(),
                  KEYS.nodes());
        } else {
          assertThat(keys).isEqualTo("[]");
        }
      }

      // release.lua (with its PUBLISH): a generator that stops gives the lease up
      long epoch = gen.state().role().epoch();
      gen.close();
      Await.until("the handler takes over", Duration.ofSeconds(20), handler::isGenerator);
      assertThat(handler.state().role().epoch()).isGreaterThan(epoch);
      long published = handler.state().counters().published.get();
      Await.until(
          "the new generator publishes",
          Duration.ofSeconds(10),
          () -> handler.state().counters().published.get() > published);
      assertThat(nodes).allSatisfy(n -> assertThat(n.state().role().maxVerticles()).isEqualTo(1));
      // the blocking reader and the subscriber never stalled (a cluster client can starve its own
      // pool)
      assertThat(handler.state().redis().outages().get()).isZero();
    } finally {
      nodes.forEach(TestNode::close);
    }
  }
}
