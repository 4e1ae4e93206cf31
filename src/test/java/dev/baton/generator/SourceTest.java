package dev.baton.generator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.election.Lease;
import dev.baton.plugin.ScriptedSource;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.state.PluginStats.TickOutcome;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The generator's source as a plug-in: ticks, their key, at-most-once publishing, refusals. */
@Timeout(120)
class SourceTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  @BeforeEach
  void reset() {
    ScriptedSource.reset();
  }

  private TestNode node(String id, JsonObject generator) {
    JsonObject settings = TestNode.fastSettings(REDIS.url(), prefix).put("nodeId", id);
    settings
        .getJsonObject("generator")
        .put("source", "java")
        .put("java", new JsonObject().put("class", ScriptedSource.class.getName()))
        .mergeIn(generator);
    return closer.add(TestNode.start(settings));
  }

  @Test
  void aSourcesTextsArePublishedOneEntryEachTickAfterTickUnderTheTicksKey() {
    TestNode solo = node("solo", new JsonObject());
    Await.until("solo generates", Duration.ofSeconds(10), solo::isGenerator);
    Await.until(
        "8 messages", Duration.ofSeconds(10), () -> solo.state().counters().published.get() >= 8);
    long epoch = solo.state().role().epoch();
    List<Replies.Entry> entries = REDIS.client().range(keys.messages());
    assertThat(entries.size()).isGreaterThanOrEqualTo(8);
    for (int i = 0; i < 8; i++) {
      Map<String, String> f = entries.get(i).fields();
      assertThat(f.get("text")).isEqualTo("tick " + (i / 2 + 1) + (i % 2 == 0 ? " a" : " b"));
      assertThat(f.get("seq")).isEqualTo(Long.toString(i + 1));
      assertThat(f.get("gen")).isEqualTo("solo");
      assertThat(f.get("epoch")).isEqualTo(Long.toString(epoch));
    }
    List<ScriptedSource.Call> calls = ScriptedSource.CALLS;
    for (int i = 0; i < 4; i++) {
      assertThat(calls.get(i).node()).isEqualTo("solo");
      assertThat(calls.get(i).tick().key()).isEqualTo(epoch + ":" + (i + 1));
    }
    assertThat(REDIS.client().str("GET", keys.tick())).startsWith(epoch + " ");
    assertThat(solo.state().plugins().ticks(TickOutcome.PUBLISHED).get()).isGreaterThanOrEqualTo(4);
  }

  @Test
  void aTickIsPublishedOnceHoweverOftenItsPublishIsRetried() throws Exception {
    RedisOps ops = new RedisOps(REDIS.client().client(), 2000);
    Lease.Attempt grant = new Lease(ops, keys, "a", 60_000).acquire(0).await(5, TimeUnit.SECONDS);
    Publisher p = new Publisher(ops, keys, "a", grant.epoch(), 1_000, false);
    Publisher.Outcome first = p.publishTick(1, 5, List.of("x", "y")).await(5, TimeUnit.SECONDS);
    assertThat(first.status()).isEqualTo(Publisher.Status.PUBLISHED);
    Publisher.Outcome again = p.publishTick(1, 5, List.of("x", "y")).await(5, TimeUnit.SECONDS);
    assertThat(again.status()).isEqualTo(Publisher.Status.ALREADY_PUBLISHED);
    assertThat(again.count()).isEqualTo(2);
    assertThat(again.lastId()).isEqualTo(first.lastId());
    assertThat(p.publishTick(1, 4, List.of("old")).await(5, TimeUnit.SECONDS).status())
        .as("an earlier tick of the epoch was published before it")
        .isEqualTo(Publisher.Status.ALREADY_PUBLISHED);
    assertThat(REDIS.client().num("XLEN", keys.messages())).isEqualTo(2);
    assertThat(p.publishTick(3, 6, List.of("z")).await(5, TimeUnit.SECONDS).status())
        .isEqualTo(Publisher.Status.PUBLISHED);
    assertThat(REDIS.client().num("XLEN", keys.messages())).isEqualTo(3);
    // a new epoch starts its ticks afresh
    REDIS.client().cmd("DEL", keys.leader());
    Lease.Attempt next =
        new Lease(ops, keys, "b", 60_000).acquire(grant.epoch()).await(5, TimeUnit.SECONDS);
    Publisher b = new Publisher(ops, keys, "b", next.epoch(), 1_000, false);
    assertThat(b.publishTick(1, 1, List.of("w")).await(5, TimeUnit.SECONDS).status())
        .isEqualTo(Publisher.Status.PUBLISHED);
    assertThat(p.publishTick(4, 7, List.of("late")).await(5, TimeUnit.SECONDS).status())
        .as("the old epoch is fenced")
        .isEqualTo(Publisher.Status.FENCED);
  }

  @Test
  void aSourceThatFailsOrDoesNotAnswerSkipsItsTickAndIsCounted() {
    ScriptedSource.SCRIPT =
        seq ->
            seq == 2
                ? Future.failedFuture(new IllegalStateException("upstream down"))
                : seq == 3 ? null : ScriptedSource.texts("tick " + seq);
    TestNode solo = node("solo", new JsonObject().put("timeoutMs", 200));
    Await.until(
        "tick 5 published",
        Duration.ofSeconds(15),
        () ->
            REDIS.client().range(keys.messages()).stream()
                .anyMatch(e -> "tick 5".equals(e.fields().get("text"))));
    assertThat(REDIS.client().range(keys.messages()))
        .extracting(e -> e.fields().get("text"))
        .startsWith("tick 1", "tick 4", "tick 5");
    assertThat(solo.state().plugins().ticks(TickOutcome.FAILED).get()).isEqualTo(1);
    assertThat(solo.state().plugins().ticks(TickOutcome.TIMEOUT).get()).isEqualTo(1);
  }

  @Test
  void textsOverMaxMessageBytesAreRefusedAndCountedNeverCut() {
    ScriptedSource.SCRIPT =
        seq ->
            seq == 1
                ? ScriptedSource.texts("short", "x".repeat(11), null, "ünï")
                : ScriptedSource.texts();
    TestNode solo = node("solo", new JsonObject().put("maxMessageBytes", 10));
    Await.until(
        "tick 1 answered",
        Duration.ofSeconds(10),
        () -> solo.state().plugins().refusedMessages.get() == 2);
    Await.until(
        "published",
        Duration.ofSeconds(10),
        () -> REDIS.client().num("XLEN", keys.messages()) == 2);
    assertThat(REDIS.client().range(keys.messages()))
        .extracting(e -> e.fields().get("text"))
        .containsExactly("short", "ünï");
    Await.until(
        "an empty tick counted",
        Duration.ofSeconds(10),
        () -> solo.state().plugins().ticks(TickOutcome.EMPTY).get() > 0);
  }

  @Test
  void onlyTheLeaseHolderCallsItsSourceUnderItsOwnEpoch() {
    TestNode a = node("a", new JsonObject());
    TestNode b = node("b", new JsonObject());
    Await.until("one generator", Duration.ofSeconds(10), () -> a.isGenerator() != b.isGenerator());
    Await.until("ten ticks", Duration.ofSeconds(10), () -> ScriptedSource.CALLS.size() >= 10);
    // every call was made by the node the lease was granted to, for that grant's epoch
    Map<Long, String> granted = new HashMap<>();
    for (Replies.Entry g : REDIS.client().range(keys.grants())) {
      granted.put(Long.parseLong(g.fields().get("epoch")), g.fields().get("node"));
    }
    for (ScriptedSource.Call c : ScriptedSource.CALLS) {
      assertThat(granted.get(c.tick().epoch()))
          .as("holder of epoch %s", c.tick().epoch())
          .isEqualTo(c.node());
    }
  }
}
