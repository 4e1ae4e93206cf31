package dev.baton.generator;

import dev.baton.support.Closer;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.baton.support.RedisExtension;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.audit.Verifier;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.support.Await;
import dev.baton.support.Quiesce;
import dev.baton.support.TcpProxy;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** With the delay removed, batches and pipelining keep every guarantee of the default cadence. */
@Timeout(180)
class ThroughputModeTest {
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  @RegisterExtension
  final Closer closer = new Closer();
  @RegisterExtension
  final RedisExtension redisServer = new RedisExtension();

  private TestNode node(String url, String id, long maxMessages, long maxBacklog) {
    return closer.add(TestNode.start(TestNode.fastSettings(url, prefix).put("nodeId", id)
        .put("audit", new JsonObject().put("enabled", true))
        .put("generator", new JsonObject().put("intervalMs", 0).put("batchSize", 200).put("maxInFlight", 4)
            .put("maxMessages", maxMessages).put("maxBacklog", maxBacklog))
        .put("handler", new JsonObject().put("batchSize", 150).put("maxInFlight", 3).put("errorProbability", 0.05))));
  }

  private JsonObject verify() throws Exception {
    return new Verifier(new RedisOps(redisServer.client().client(), 60_000), keys).verify().await(60, TimeUnit.SECONDS);
  }

  @Test
  void publishesExactlyMaxMessagesInBatchesAndEveryOneIsCommittedOnce() throws Exception {
    TestNode generator = node(redisServer.url(), "fast-gen", 30_000, 1_000_000);
    Await.until("fast-gen generates", Duration.ofSeconds(10), generator::isGenerator);
    List<TestNode> handlers = List.of(node(redisServer.url(), "fh1", 30_000, 1_000_000),
        node(redisServer.url(), "fh2", 30_000, 1_000_000));
    Await.until("30 000 committed", Duration.ofSeconds(60), () -> redisServer.client().num("HGET", keys.stats(), "processed") == 30_000);
    assertThat(generator.state().counters().published.get()).isEqualTo(30_000);
    assertThat(redisServer.client().num("XLEN", keys.messages())).isZero();
    JsonObject v = verify();
    assertThat(Verifier.passed(v)).as(Verifier.text(v)).isTrue();
    assertThat(v.getLong("published")).isEqualTo(30_000);
    assertThat(handlers.stream().mapToLong(h -> h.state().latencyMs().getTotalCount()).sum()).isEqualTo(30_000);
  }

  @Test
  void theBacklogBoundHoldsAtFullSpeed() {
    TestNode generator = node(redisServer.url(), "bounded", 0, 2_000);
    Await.until("paused at the bound", Duration.ofSeconds(10), () -> generator.state().backlogPaused());
    // a batch is refused whole when the bound is reached, so the stream never exceeds it
    assertThat(redisServer.client().num("XLEN", keys.messages())).isLessThanOrEqualTo(2_000);
    node(redisServer.url(), "drainer", 0, 2_000);
    long before = generator.state().counters().published.get();
    Await.until("resumes as handlers drain", Duration.ofSeconds(20),
        () -> generator.state().counters().published.get() > before + 10_000);
    assertThat(redisServer.client().num("XLEN", keys.messages())).isLessThanOrEqualTo(2_000 + 200L * 4);
  }

  @Test
  void aFrozenFullSpeedGeneratorIsFencedWithNothingLostOrDuplicated() throws Exception {
    TcpProxy proxy = closer.add(new TcpProxy(redisServer.port()));
    TestNode frozen = node(proxy.url(), "frozen", 0, 1_000_000);
    Await.until("frozen generates", Duration.ofSeconds(10), frozen::isGenerator);
    TestNode other = node(redisServer.url(), "other", 0, 1_000_000);
    Await.until("messages flow", Duration.ofSeconds(10), () -> other.state().counters().processed.get() > 5_000);
    proxy.freeze(); // batches in flight and queued stay in the socket buffers
    Await.until("other takes over", Duration.ofSeconds(10), other::isGenerator);
    Await.until("other publishes", Duration.ofSeconds(10), () -> other.state().counters().published.get() > 5_000);
    proxy.heal();
    Await.until("frozen handles", Duration.ofSeconds(10), frozen::isHandler);
    Quiesce.holdBaton(redisServer.client(), keys);
    Quiesce.awaitDrained(redisServer.client(), keys, Duration.ofSeconds(60));
    JsonObject v = verify();
    assertThat(Verifier.passed(v)).as(Verifier.text(v)).isTrue();
    assertThat(v.getLong("overlap")).isZero();
  }
}
