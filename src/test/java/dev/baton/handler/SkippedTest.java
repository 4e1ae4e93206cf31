package dev.baton.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.state.NodeState;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Entries the consumer group skipped (its cursor moved past them: backlog, nothing pending, nothing
 * delivered) are found, logged once, delivered and committed exactly once (rescue.lua).
 */
@Timeout(120)
class SkippedTest {
  private static final String FOUND =
      "behind the consumer group's cursor that were never delivered";
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger nodeStateLog = (Logger) LoggerFactory.getLogger(NodeState.class);

  @BeforeEach
  void captureLogs() {
    logs.setContext(nodeStateLog.getLoggerContext());
    logs.start();
    nodeStateLog.addAppender(logs);
  }

  @AfterEach
  void release() {
    nodeStateLog.detachAppender(logs);
  }

  private long foundLines(String nodeId) {
    return logs.list.stream()
        .filter(e -> e.getFormattedMessage().contains(FOUND))
        .filter(
            e ->
                e.getKeyValuePairs() != null
                    && e.getKeyValuePairs().stream().anyMatch(kv -> nodeId.equals(kv.value)))
        .count();
  }

  /** n single messages and one pack of 3, added as a generator would; their entry ids. */
  private List<String> addMessages(int n) {
    List<Request> reqs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
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
              .arg("message " + i));
    }
    reqs.add(
        Request.cmd(Command.XADD)
            .arg(keys.messages())
            .arg("*")
            .arg("gen")
            .arg("test")
            .arg("epoch")
            .arg(1)
            .arg("seq")
            .arg(n + 1)
            .arg("ts")
            .arg(System.currentTimeMillis())
            .arg("n")
            .arg(3)
            .arg("texts")
            .arg("a b\nc d\ne f"));
    List<String> ids = new ArrayList<>();
    REDIS.client().pipeline(reqs).forEach(r -> ids.add(r.toString()));
    return ids;
  }

  private static JsonObject health(TestNode node) {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + node.httpPort() + "/health"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return new JsonObject(r.body()).put("code", r.statusCode());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void theRescueWritesNothingWhenTheStatsKeyIsCorrupt() throws Exception {
    REDIS.client().cmd("XGROUP", "CREATE", keys.messages(), Keys.HANDLERS_GROUP, "0", "MKSTREAM");
    addMessages(3);
    REDIS.client().cmd("XGROUP", "SETID", keys.messages(), Keys.HANDLERS_GROUP, "$");
    RedisOps ops = new RedisOps(REDIS.client().client(), 5_000);
    List<String> args = RescueScript.args("c1", "0-0", 100);
    for (Runnable corrupt :
        List.<Runnable>of(
            () -> REDIS.client().cmd("SET", keys.stats(), "not a hash"),
            () -> REDIS.client().cmd("HSET", keys.stats(), "skipped", "banana"))) {
      REDIS.client().cmd("DEL", keys.stats());
      corrupt.run();
      assertThatThrownBy(
              () ->
                  ops.eval(RescueScript.SCRIPT, RescueScript.keys(keys), args)
                      .await(5, TimeUnit.SECONDS))
          .hasMessageMatching("(WRONGTYPE|CORRUPT).*");
      assertThat(
              REDIS.client().cmd("XPENDING", keys.messages(), Keys.HANDLERS_GROUP).get(0).toLong())
          .isZero();
    }
    REDIS.client().cmd("DEL", keys.stats());
    Response r =
        ops.eval(RescueScript.SCRIPT, RescueScript.keys(keys), args).await(5, TimeUnit.SECONDS);
    assertThat(r.get(1).size()).isEqualTo(4); // and the same call on a sound state takes them
    assertThat(REDIS.client().cmd("XPENDING", keys.messages(), Keys.HANDLERS_GROUP).get(0).toLong())
        .isEqualTo(4);
    assertThat(REDIS.client().num("HGET", keys.stats(), "skipped")).isEqualTo(6);
  }

  @Test
  void skippedEntriesNobodyDeliversAreAStallUntilAHandlerTakesThem() {
    REDIS.client().cmd("XGROUP", "CREATE", keys.messages(), Keys.HANDLERS_GROUP, "0", "MKSTREAM");
    addMessages(20);
    REDIS.client().cmd("XGROUP", "SETID", keys.messages(), Keys.HANDLERS_GROUP, "$");
    TestNode gen =
        closer.add(
            TestNode.start(TestNode.fastSettings(REDIS.url(), prefix).put("nodeId", "sk-gen")));
    Await.until(
        "the generator's node reports the skipped entries",
        Duration.ofSeconds(30),
        () -> {
          JsonObject h = health(gen);
          return h.getInteger("code") == 503
              && h.getJsonObject("stalled", new JsonObject()).containsKey("skipped");
        });
    assertThat(health(gen).getJsonObject("stalled").getString("skipped"))
        .contains("never delivered", "no handler is live");

    TestNode handler =
        closer.add(
            TestNode.start(TestNode.fastSettings(REDIS.url(), prefix).put("nodeId", "sk-h")));
    Await.until(
        "they are delivered and health is back",
        Duration.ofSeconds(30),
        () ->
            handler.state().counters().skipped.get() == 23
                && health(gen).getInteger("code") == 200);
    assertThat(foundLines("sk-h")).isEqualTo(1);
  }

  @Test
  void entriesBehindTheGroupsCursorAreDeliveredExactlyOnceAndLoggedOnce() throws Exception {
    REDIS.client().cmd("SET", keys.leader(), "nobody", "PX", "600000"); // handlers only
    REDIS.client().cmd("XGROUP", "CREATE", keys.messages(), Keys.HANDLERS_GROUP, "0", "MKSTREAM");
    List<String> ids = addMessages(250); // more than one scan page (handler.batchSize 100)
    REDIS.client().cmd("XGROUP", "SETID", keys.messages(), Keys.HANDLERS_GROUP, "$");
    assertThat(REDIS.client().num("XLEN", keys.messages())).isEqualTo(251);
    assertThat(REDIS.client().cmd("XPENDING", keys.messages(), Keys.HANDLERS_GROUP).get(0).toLong())
        .isZero();

    List<TestNode> nodes = new ArrayList<>();
    for (String id : List.of("sk-a", "sk-b")) { // two handlers race for them
      JsonObject settings =
          TestNode.fastSettings(REDIS.url(), prefix)
              .put("nodeId", id)
              .put("audit", new JsonObject().put("enabled", true));
      settings.getJsonObject("handler").put("errorProbability", 0.2);
      nodes.add(closer.add(TestNode.start(settings)));
    }
    Await.until(
        "the skipped entries are committed",
        Duration.ofSeconds(30),
        () -> REDIS.client().num("XLEN", keys.messages()) == 0);

    // exactly once: one ledger commit per entry, every message counted once
    Map<String, Integer> commits = new HashMap<>();
    for (Replies.Entry e : REDIS.client().range(keys.auditCommitted())) {
      commits.merge(e.fields().get("msg"), 1, Integer::sum);
    }
    assertThat(commits.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(commits.values()).containsOnly(1);
    long messages = 250 + 3;
    assertThat(REDIS.client().num("HGET", keys.stats(), "processed")).isEqualTo(messages);
    assertThat(REDIS.client().num("HGET", keys.stats(), "skipped")).isEqualTo(messages);
    assertThat(nodes.stream().mapToLong(n -> n.state().counters().skipped.get()).sum())
        .isEqualTo(messages);
    assertThat(REDIS.client().num("XLEN", keys.errors()))
        .isEqualTo(nodes.stream().mapToLong(n -> n.state().counters().errors.get()).sum());

    // /status and /metrics count them
    TestNode a = nodes.get(0);
    HttpClient http = HttpClient.newHttpClient();
    JsonObject status =
        new JsonObject(
            http.send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + a.httpPort() + "/status"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(status.getJsonObject("counters").getLong("skipped"))
        .isEqualTo(a.state().counters().skipped.get());
    assertThat(status.getJsonObject("cluster").getLong("skipped")).isEqualTo(messages);
    String metrics =
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.httpPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .containsPattern(
            "baton_messages_skipped_total\\{node=\"sk-a\"\\} "
                + a.state().counters().skipped.get()
                + "\\.0");

    // logged once per node that found some, and not again once the episode is over
    for (TestNode n : nodes) {
      Await.until(
          n.id() + " sees no skipped entries any more",
          Duration.ofSeconds(30),
          () -> !n.state().stateLog().isOn("skipped"));
    }
    long found = foundLines("sk-a") + foundLines("sk-b");
    assertThat(found).isBetween(1L, 2L);
    assertThat(foundLines("sk-a")).isLessThanOrEqualTo(1);
    assertThat(foundLines("sk-b")).isLessThanOrEqualTo(1);
  }
}
