package dev.baton.generator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.election.Lease;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.Closer;
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

@Timeout(120)
class GeneratorTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  @Test
  void publishesRandomWordMessagesWithEveryFieldAndGrowingSeq() {
    // a lone node with no handler: the generator's messages stay in the stream to be read here
    JsonObject settings = TestNode.fastSettings(REDIS.url(), prefix).put("nodeId", "solo");
    TestNode solo = closer.add(TestNode.start(settings));
    Await.until("solo generates", Duration.ofSeconds(10), solo::isGenerator);
    // the node falls back to handling only if it loses the lease, so stop it after some messages
    Await.until(
        "10 messages", Duration.ofSeconds(10), () -> solo.state().counters().published.get() >= 10);
    List<Replies.Entry> entries = REDIS.client().range(keys.messages());
    // its own handler role is off while it generates, but the stream may have been consumed by no
    // one
    assertThat(entries.size()).isGreaterThanOrEqualTo(10);
    long seq = 0;
    for (Replies.Entry e : entries) {
      assertThat(e.fields()).containsKeys("gen", "epoch", "seq", "ts", "text");
      assertThat(e.fields().get("gen")).isEqualTo("solo");
      assertThat(Long.parseLong(e.fields().get("epoch"))).isEqualTo(solo.state().role().epoch());
      long s = Long.parseLong(e.fields().get("seq"));
      assertThat(s).isGreaterThan(seq);
      seq = s;
      assertThat(e.fields().get("text")).matches("[a-z]+( [a-z]+){2,7}");
      long ts = Long.parseLong(e.fields().get("ts"));
      long idMs = Long.parseLong(e.id().substring(0, e.id().indexOf('-')));
      assertThat(idMs - ts)
          .as("ts is the Redis clock at publish, like the stream id")
          .isBetween(0L, 1000L);
    }
  }

  @Test
  void aGeneratorWhoseLeaseWasTakenOverCannotPublish() throws Exception {
    RedisOps ops = new RedisOps(REDIS.client().client(), 2000);
    Lease a = new Lease(ops, keys, "a", 60_000);
    Lease.Attempt grant = a.acquire(0).await(5, TimeUnit.SECONDS);
    assertThat(grant.granted()).isTrue();
    Publisher publisherA = new Publisher(ops, keys, "a", grant.epoch(), 1_000, false);
    assertThat(publisherA.publish(1, List.of("before")).await(5, TimeUnit.SECONDS).status())
        .isEqualTo(Publisher.Status.PUBLISHED);

    // a's lease lapses while it is paused, and b is granted a newer epoch
    REDIS.client().cmd("DEL", keys.leader());
    Lease.Attempt b = new Lease(ops, keys, "b", 60_000).acquire(0).await(5, TimeUnit.SECONDS);
    assertThat(b.granted()).isTrue();
    assertThat(b.epoch()).isGreaterThan(grant.epoch());

    assertThat(publisherA.publish(2, List.of("after")).await(5, TimeUnit.SECONDS).status())
        .isEqualTo(Publisher.Status.FENCED);
    // even the same node, granted again, cannot publish under its old epoch
    REDIS.client().cmd("DEL", keys.leader());
    Lease.Attempt again = a.acquire(b.epoch()).await(5, TimeUnit.SECONDS);
    assertThat(again.granted()).isTrue();
    assertThat(publisherA.publish(2, List.of("stale")).await(5, TimeUnit.SECONDS).status())
        .isEqualTo(Publisher.Status.FENCED);
    assertThat(REDIS.client().range(keys.messages()))
        .extracting(e -> e.fields().get("text"))
        .containsExactly("before");
  }

  @Test
  void aFrozenGeneratorCannotPublishBesideItsSuccessorAndRejoinsAsHandler() {
    TcpProxy proxy = closer.add(new TcpProxy(REDIS.port()));
    JsonObject frozenSettings = TestNode.fastSettings(proxy.url(), prefix).put("nodeId", "frozen");
    TestNode frozen = closer.add(TestNode.start(frozenSettings));
    Await.until("frozen generates", Duration.ofSeconds(10), frozen::isGenerator);
    long oldEpoch = frozen.state().role().epoch();
    TestNode successor = closer.add(TestNode.start(REDIS.url(), prefix, "successor"));

    proxy.freeze(); // packets stop; the node keeps running and will retry everything it queued
    List<String> time = REDIS.client().strings("TIME");
    long frozenAtServerMs = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    Await.until("a successor generates", Duration.ofSeconds(10), successor::isGenerator);
    long successorEpoch = successor.state().role().epoch();
    assertThat(successorEpoch).isGreaterThan(oldEpoch);
    Await.until(
        "the successor published",
        Duration.ofSeconds(10),
        () -> successor.state().counters().published.get() > 3);
    proxy.heal();

    Await.until(
        "the old generator rejoins as a handler", Duration.ofSeconds(10), frozen::isHandler);
    Await.until(
        "it handles messages",
        Duration.ofSeconds(10),
        () -> frozen.state().counters().processed.get() > 0);
    // whatever it queued while frozen reached Redis after the heal, and the fence refused it all:
    // its last accepted message is older than the freeze (stream ids are Redis server time)
    String last = frozen.state().publishing().lastPublishedId();
    assertThat(Long.parseLong(last.substring(0, last.indexOf('-'))))
        .isLessThanOrEqualTo(frozenAtServerMs);
    assertThat(frozen.state().role().maxVerticles()).isEqualTo(1);
  }

  @Test
  void pausesAtTheBacklogBoundAndResumesWhenHandlersDrainIt() {
    JsonObject settings =
        TestNode.fastSettings(REDIS.url(), prefix)
            .put("nodeId", "gen")
            .put("generator", new JsonObject().put("intervalMs", 10).put("maxBacklog", 5));
    TestNode gen = closer.add(TestNode.start(settings));
    Await.until("gen generates", Duration.ofSeconds(10), gen::isGenerator);
    Await.until(
        "publishing paused at the bound",
        Duration.ofSeconds(10),
        () -> gen.state().publishing().paused());
    assertThat(REDIS.client().num("XLEN", keys.messages())).isEqualTo(5);
    long publishedWhilePaused = gen.state().counters().published.get();
    assertThat(publishedWhilePaused).isEqualTo(5);

    TestNode handler = closer.add(TestNode.start(REDIS.url(), prefix, "drainer"));
    Await.until(
        "the handler drains the backlog and publishing resumes",
        Duration.ofSeconds(10),
        () ->
            gen.state().counters().published.get() > publishedWhilePaused + 20
                && !gen.state().publishing().paused());
    assertThat(handler.state().counters().processed.get()).isPositive();
    assertThat(REDIS.client().num("XLEN", keys.messages())).isLessThanOrEqualTo(5);
  }
}
