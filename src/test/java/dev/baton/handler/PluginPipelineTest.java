package dev.baton.handler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.plugin.ScriptedHandler;
import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.state.Degradations;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The handler's pipeline over a plug-in (a Java one, {@link ScriptedHandler}, whose behaviour each
 * message's text scripts), against a real Redis: outcomes committed once, retries numbered and
 * backed off, the dead letter after handler.maxDeliveries, timeouts that end an attempt, the bound
 * on attempts in flight, and a claim that lasts as long as the work.
 */
@Timeout(120)
class PluginPipelineTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  @BeforeEach
  void reset() {
    ScriptedHandler.reset();
  }

  /** Adds messages with these texts straight to the stream, as a generator would; their ids. */
  private List<String> addMessages(String... texts) {
    List<Request> reqs = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      reqs.add(
          Request.cmd(Command.XADD)
              .arg(keys.messages())
              .arg("*")
              .arg("gen")
              .arg("test")
              .arg("epoch")
              .arg(1)
              .arg("seq")
              .arg(i + 1)
              .arg("ts")
              .arg(System.currentTimeMillis())
              .arg("text")
              .arg(texts[i]));
    }
    reqs.add(0, Request.cmd(Command.HINCRBY).arg(keys.stats()).arg("backlog").arg(texts.length));
    List<String> ids = new ArrayList<>();
    List<Response> replies = REDIS.client().pipeline(reqs);
    for (int i = 1; i < replies.size(); i++) {
      ids.add(replies.get(i).toString());
    }
    return ids;
  }

  /** A handler-only node running the scripted plug-in: the lease is held by nobody who renews. */
  private TestNode handlerNode(String id, JsonObject handler) {
    REDIS.client().cmd("SET", keys.leader(), "nobody", "PX", "600000");
    JsonObject settings = TestNode.fastSettings(REDIS.url(), prefix).put("nodeId", id);
    settings
        .getJsonObject("handler")
        .put("type", "java")
        .put("java", new JsonObject().put("class", ScriptedHandler.class.getName()))
        .put("retryBackoffMs", 20)
        .put("retryBackoffMaxMs", 100)
        .mergeIn(handler);
    return closer.add(TestNode.start(settings));
  }

  private long stat(String field) {
    return REDIS.client().num("HGET", keys.stats(), field);
  }

  private List<JsonObject> errorRecords() {
    List<JsonObject> out = new ArrayList<>();
    for (Replies.Entry e : REDIS.client().range(keys.errors())) {
      out.add(new JsonObject(e.fields().get("record")));
    }
    return out;
  }

  @Test
  void okErrorAndFailedAttemptsAreCommittedAsTheirOutcomesOnce() {
    TestNode node = handlerNode("h1", new JsonObject());
    List<String> ids = addMessages("ok one", "error two", "fail 2 three");
    Await.until("all three committed", Duration.ofSeconds(20), () -> stat("processed") == 3);

    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
    assertThat(REDIS.client().num("XLEN", keys.deadLetter())).isZero();
    List<JsonObject> records = errorRecords();
    assertThat(records).hasSize(1);
    JsonObject record = records.get(0);
    assertThat(record.getString("id")).isEqualTo(ids.get(1));
    assertThat(record.getString("text")).isEqualTo("error two");
    assertThat(record.getString("reason")).isEqualTo("scripted");
    assertThat(record.getJsonObject("details"))
        .isEqualTo(new JsonObject().put("word", "error").put("attempt", 1));
    assertThat(record.getInteger("attempt")).isEqualTo(1);
    assertThat(ScriptedHandler.callsOf(ids.get(0)))
        .extracting(ScriptedHandler.Call::attempt)
        .containsExactly(1);
    // two failed attempts, each retried with the next attempt number, then ok
    assertThat(ScriptedHandler.callsOf(ids.get(2)))
        .extracting(ScriptedHandler.Call::attempt)
        .containsExactly(1, 2, 3);
    assertThat(node.state().plugins().failures("fail").get()).isEqualTo(2);
    assertThat(node.state().counters().processed.get()).isEqualTo(3);
    assertThat(node.state().counters().errors.get()).isEqualTo(1);
  }

  @Test
  void aMessageFailingEveryAttemptIsDeadLetteredWithTheLastReasonAfterMaxDeliveries() {
    TestNode node = handlerNode("h1", new JsonObject().put("maxDeliveries", 3));
    List<String> ids = addMessages("failall", "ok");
    Await.until("dead-lettered", Duration.ofSeconds(20), () -> stat("deadLettered") == 1);
    Await.until("the other committed", Duration.ofSeconds(20), () -> stat("processed") == 1);

    assertThat(ScriptedHandler.callsOf(ids.get(0)))
        .extracting(ScriptedHandler.Call::attempt)
        .containsExactly(1, 2, 3);
    List<Replies.Entry> dead = REDIS.client().range(keys.deadLetter());
    assertThat(dead).hasSize(1);
    Map<String, String> f = dead.get(0).fields();
    assertThat(f.get("messageId")).isEqualTo(ids.get(0));
    assertThat(f.get("reason")).contains("attempt 3 failed (fail: always fails)");
    assertThat(f.get("attempts")).isEqualTo("3");
    assertThat(f.get("field:text")).isEqualTo("failall");
    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
    assertThat(node.state().counters().deadLettered.get()).isEqualTo(1);
  }

  @Test
  void aPluginThatFailsEveryAttemptMakesHealthDegradedUntilOneSucceeds() throws Exception {
    TestNode node =
        handlerNode(
            "h1",
            new JsonObject()
                .put("maxDeliveries", 1000)
                .put("failingAfterMs", 500)
                .put("retryBackoffMaxMs", 50));
    addMessages("failall");
    Await.until(
        "handler_failing raised",
        Duration.ofSeconds(20),
        () -> node.state().degradations().raised(Degradations.HANDLER_FAILING));
    assertThat(node.state().degradations().active().get(Degradations.HANDLER_FAILING))
        .contains("the java handler failed its last")
        .contains("fail: always fails");
    addMessages("ok");
    Await.until(
        "the plug-in succeeded again: handler_failing over",
        Duration.ofSeconds(20),
        () -> !node.state().degradations().raised(Degradations.HANDLER_FAILING));
  }

  @Test
  void anAttemptWithoutAnAnswerTimesOutAndIsRetried() {
    TestNode node = handlerNode("h1", new JsonObject().put("timeoutMs", 300));
    List<String> ids = addMessages("hang 1");
    Await.until("committed", Duration.ofSeconds(20), () -> stat("processed") == 1);
    List<ScriptedHandler.Call> calls = ScriptedHandler.callsOf(ids.get(0));
    assertThat(calls).extracting(ScriptedHandler.Call::attempt).containsExactly(1, 2);
    assertThat(node.state().plugins().failures("timeout").get()).isEqualTo(1);
    // the deadline handed to the plug-in is on the Redis clock, timeoutMs after the call
    long redisNow = Long.parseLong(REDIS.client().cmd("TIME").get(0).toString()) * 1000;
    assertThat(calls.get(0).deadlineMs()).isBetween(redisNow - 60_000, redisNow + 1_000);
  }

  @Test
  void aPluginThatThrowsFailsTheAttemptAsACrash() {
    TestNode node = handlerNode("h1", new JsonObject().put("maxDeliveries", 2));
    addMessages("throw");
    Await.until("dead-lettered", Duration.ofSeconds(20), () -> stat("deadLettered") == 1);
    assertThat(node.state().plugins().failures("crash").get()).isEqualTo(2);
    assertThat(REDIS.client().range(keys.deadLetter()).get(0).fields().get("reason"))
        .contains("crash: IllegalStateException: scripted exception");
  }

  @Test
  void atMostConcurrencyAttemptsRunAtOnceAndReadingWaitsForASlot() {
    int concurrency = 3;
    int commits = 2;
    TestNode node =
        handlerNode(
            "h1", new JsonObject().put("concurrency", concurrency).put("maxInFlight", commits));
    String[] texts = new String[30];
    Arrays.fill(texts, "slow 100");
    addMessages(texts);
    long[] mostPending = {0};
    Await.until(
        "all committed",
        Duration.ofSeconds(30),
        () -> {
          mostPending[0] = Math.max(mostPending[0], pendingOn("h1"));
          return stat("processed") == 30;
        });
    assertThat(ScriptedHandler.MAX_IN_FLIGHT.get("h1").get()).isEqualTo(concurrency);
    // An entry stays pending until its commit is done: besides the attempts under way, entries
    // whose attempts ended wait for their commit (reading goes on while fewer than maxInFlight
    // commits are outstanding: 4 pending was seen). Reading ahead of the free slots would leave
    // up to all 30 pending at once.
    assertThat(mostPending[0])
        .as("entries read ahead of the free slots")
        .isLessThanOrEqualTo((long) concurrency * (commits + 1));
    assertThat(node.state().plugins().inFlight.get()).isZero();
  }

  private long pendingOn(String consumer) {
    Response r =
        REDIS
            .client()
            .cmd("XPENDING", keys.messages(), Keys.HANDLERS_GROUP, "-", "+", "1000", consumer);
    return r.size();
  }

  @Test
  void workSlowerThanTheReclaimThresholdOnALiveNodeIsNeverTakenOverNorRunTwice() {
    JsonObject handler = new JsonObject().put("reclaimIdleMs", 300).put("timeoutMs", 10_000);
    TestNode h1 = handlerNode("h1", handler);
    TestNode h2 = handlerNode("h2", handler);
    Await.until("two handlers", Duration.ofSeconds(10), () -> h1.isHandler() && h2.isHandler());
    String[] texts = new String[6];
    Arrays.fill(texts, "slow 1500");
    List<String> ids = addMessages(texts);
    Await.until("all committed", Duration.ofSeconds(30), () -> stat("processed") == 6);
    for (String id : ids) {
      assertThat(ScriptedHandler.callsOf(id))
          .as("message %s, five reclaim thresholds long, runs once", id)
          .hasSize(1);
    }
    assertThat(REDIS.client().num("XLEN", keys.deadLetter())).isZero();
  }
}
