package dev.baton.generator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.audit.Verifier;
import dev.baton.audit.VerifyReport;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.Quiesce;
import dev.baton.support.RedisExtension;
import dev.baton.support.TcpProxy;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** With the delay removed, batches and pipelining keep every guarantee of the default cadence. */
@Timeout(180)
class ThroughputModeTest {
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  @RegisterExtension final Closer closer = new Closer();
  @RegisterExtension final RedisExtension redisServer = new RedisExtension();

  private TestNode node(String url, String id, int packSize, long maxMessages, long maxBacklog) {
    return node(
        url,
        id,
        packSize,
        maxMessages,
        maxBacklog,
        new JsonObject().put("leaseMs", 600).put("renewMs", 150));
  }

  private TestNode node(
      String url, String id, int packSize, long maxMessages, long maxBacklog, JsonObject election) {
    return closer.add(
        TestNode.start(
            TestNode.fastSettings(url, prefix)
                .put("nodeId", id)
                .put("election", election)
                .put("audit", new JsonObject().put("enabled", true))
                .put(
                    "generator",
                    new JsonObject()
                        .put("intervalMs", 0)
                        .put("batchSize", 200)
                        .put("packSize", packSize)
                        .put("maxInFlight", 4)
                        .put("maxMessages", maxMessages)
                        .put("maxBacklog", maxBacklog))
                .put(
                    "handler",
                    new JsonObject()
                        .put("batchSize", 150)
                        .put("maxInFlight", 3)
                        .put("errorProbability", 0.05))));
  }

  private VerifyReport verify() throws Exception {
    return new Verifier(new RedisOps(redisServer.client().client(), 60_000), keys)
        .verify()
        .await(60, TimeUnit.SECONDS);
  }

  /** Messages in the stream, counted from its entries (a pack holds n). */
  private long messagesInStream() {
    long n = 0;
    for (Replies.Entry e : redisServer.client().range(keys.messages())) {
      n += e.fields().containsKey("n") ? Long.parseLong(e.fields().get("n")) : 1;
    }
    return n;
  }

  @ParameterizedTest(name = "packSize {0}")
  @ValueSource(ints = {1, 32})
  void publishesExactlyMaxMessagesInBatchesAndEveryOneIsCommittedOnce(int packSize)
      throws Exception {
    // maxMessages counts per generator: a failover (a 600 ms lease lost on a starved machine) would
    // let a handler publish its own 30 000 on top, so here the lease outlasts any CPU starvation
    JsonObject longLease = new JsonObject().put("leaseMs", 10_000).put("renewMs", 2_000);
    TestNode generator =
        node(redisServer.url(), "fast-gen", packSize, 30_000, 1_000_000, longLease);
    Await.until("fast-gen generates", Duration.ofSeconds(10), generator::isGenerator);
    List<TestNode> handlers =
        List.of(
            node(redisServer.url(), "fh1", packSize, 30_000, 1_000_000, longLease),
            node(redisServer.url(), "fh2", packSize, 30_000, 1_000_000, longLease));
    Await.until(
        "30 000 committed",
        Duration.ofSeconds(60),
        () -> redisServer.client().num("HGET", keys.stats(), "processed") == 30_000);
    assertThat(generator.state().counters().published.get()).isEqualTo(30_000);
    assertThat(redisServer.client().num("XLEN", keys.messages())).isZero();
    VerifyReport v = verify();
    assertThat(v.passed()).as(v.text()).isTrue();
    assertThat(v.toJson().getLong("published")).isEqualTo(30_000);
    assertThat(
            handlers.stream()
                .mapToLong(h -> h.state().counters().latencyMs().getTotalCount())
                .sum())
        .isEqualTo(30_000);
    assertThat(handlers.stream().mapToLong(h -> h.state().counters().processed.get()).sum())
        .isEqualTo(30_000);
    assertThat(handlers.stream().mapToLong(h -> h.state().counters().errors.get()).sum())
        .isEqualTo(redisServer.client().num("XLEN", keys.errors()))
        .isEqualTo(v.toJson().getJsonObject("errors").getLong("records"));
    // 200 messages per call: one entry each, or 7 packs (6 of 32 and one of 8)
    long entries = redisServer.client().num("XLEN", keys.auditPublished());
    assertThat(entries).isEqualTo(packSize == 1 ? 30_000 : 150 * 7);
    assertThat(redisServer.client().num("HGET", keys.stats(), "backlog")).isZero();
  }

  @ParameterizedTest(name = "packSize {0}")
  @ValueSource(ints = {1, 32})
  void theBacklogBoundHoldsAtFullSpeedCountedInMessages(int packSize) {
    // a lease no CPU starvation costs: a node that lost it would drain the stream as a handler
    JsonObject longLease = new JsonObject().put("leaseMs", 10_000).put("renewMs", 2_000);
    TestNode generator = node(redisServer.url(), "bounded", packSize, 0, 2_000, longLease);
    Await.until(
        "paused at the bound",
        Duration.ofSeconds(10),
        () -> generator.state().publishing().paused());
    // a batch is refused whole when the bound is reached, so the stream never exceeds it
    assertThat(messagesInStream()).isEqualTo(2_000);
    assertThat(generator.state().publishing().backlog()).isEqualTo(2_000);
    assertThat(redisServer.client().num("XLEN", keys.messages()))
        .isEqualTo(packSize == 1 ? 2_000 : 10 * 7);
    node(redisServer.url(), "drainer", packSize, 0, 2_000);
    long before = generator.state().counters().published.get();
    Await.until(
        "resumes as handlers drain",
        Duration.ofSeconds(20),
        () -> generator.state().counters().published.get() > before + 10_000);
    assertThat(messagesInStream()).isLessThanOrEqualTo(2_000 + 200L * 4);
  }

  @Test
  void aNodeThatNoLongerGeneratesIsNotReportedPausedAtTheBound() {
    TestNode node = node(redisServer.url(), "demoted", 1, 0, 2_000);
    Await.until(
        "paused at the bound", Duration.ofSeconds(10), () -> node.state().publishing().paused());
    // another node takes the lease behind its back: this one becomes a handler
    redisServer.client().cmd("SET", keys.leader(), "usurper", "PX", "60000");
    Await.until("demoted to handler", Duration.ofSeconds(10), node::isHandler);
    assertThat(node.state().publishing().paused())
        .as("baton_publishing_paused of a handler")
        .isFalse();
  }

  @ParameterizedTest(name = "packSize {0}")
  @ValueSource(ints = {1, 32})
  void aFrozenFullSpeedGeneratorIsFencedWithNothingLostOrDuplicated(int packSize) throws Exception {
    TcpProxy proxy = closer.add(new TcpProxy(redisServer.port()));
    TestNode frozen = node(proxy.url(), "frozen", packSize, 0, 1_000_000);
    Await.until("frozen generates", Duration.ofSeconds(10), frozen::isGenerator);
    TestNode other = node(redisServer.url(), "other", packSize, 0, 1_000_000);
    Await.until(
        "messages flow",
        Duration.ofSeconds(10),
        () -> other.state().counters().processed.get() > 5_000);
    proxy.freeze(); // batches in flight and queued stay in the socket buffers
    Await.until("other takes over", Duration.ofSeconds(10), other::isGenerator);
    Await.until(
        "other publishes",
        Duration.ofSeconds(10),
        () -> other.state().counters().published.get() > 5_000);
    proxy.heal();
    Await.until("frozen handles", Duration.ofSeconds(10), frozen::isHandler);
    Quiesce.holdBaton(redisServer.client(), keys);
    Quiesce.awaitDrained(redisServer.client(), keys, Duration.ofSeconds(60));
    VerifyReport v = verify();
    assertThat(v.passed()).as(v.text()).isTrue();
    assertThat(v.toJson().getLong("overlap")).isZero();
    assertThat(v.toJson().getLong("published"))
        .isEqualTo(redisServer.client().num("HGET", keys.stats(), "published"));
  }
}
