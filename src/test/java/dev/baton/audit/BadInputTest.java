package dev.baton.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.Quiesce;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Hostile input and a Redis that answers with errors: a clear outcome, nothing lost, no crash. */
@Timeout(180)
class BadInputTest {
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final List<TestNode> nodes = new ArrayList<>();
  @RegisterExtension final RedisExtension redisServer = new RedisExtension();

  @BeforeEach
  void start() {
    for (int i = 0; i < 2; i++) {
      nodes.add(
          TestNode.start(
              TestNode.fastSettings(redisServer.url(), prefix)
                  .put("nodeId", "b" + i)
                  .put("audit", new JsonObject().put("enabled", true))
                  .put("generator", new JsonObject().put("intervalMs", 10))
                  .put("handler", new JsonObject().put("errorProbability", 0.2))));
    }
    Await.until(
        "a generator and a handler",
        Duration.ofSeconds(10),
        () ->
            nodes.stream().anyMatch(TestNode::isGenerator)
                && nodes.stream().anyMatch(TestNode::isHandler));
  }

  @AfterEach
  void stop() {
    nodes.forEach(TestNode::close);
  }

  private long processed() {
    return nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum();
  }

  private long published() {
    return nodes.stream().mapToLong(n -> n.state().counters().published.get()).sum();
  }

  private VerifyReport verify() throws Exception {
    return new Verifier(new RedisOps(redisServer.client().client(), 60_000), keys)
        .verify()
        .await(60, TimeUnit.SECONDS);
  }

  private String get(TestNode node, String path, String method) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path));
    b = method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.noBody()) : b.GET();
    HttpResponse<String> r =
        HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  @Test
  void entriesWrittenToTheStreamByAThirdPartyAreDeadLetteredWithAReasonAndNothingElseSuffers()
      throws Exception {
    Await.until("100 processed", Duration.ofSeconds(20), () -> processed() >= 100);
    Random random = new Random(7);
    List<Request> hostile = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      Request r = Request.cmd(Command.XADD).arg(keys.messages()).arg("*");
      switch (i % 6) {
        case 0 -> r.arg("foo").arg("bar");
        case 1 ->
            r.arg("gen")
                .arg("x")
                .arg("epoch")
                .arg("NaN")
                .arg("seq")
                .arg("1")
                .arg("ts")
                .arg("1")
                .arg("text")
                .arg("t");
        case 2 ->
            r.arg("gen")
                .arg("x")
                .arg("epoch")
                .arg("1")
                .arg("seq")
                .arg("1")
                .arg("ts")
                .arg("1")
                .arg("text")
                .arg("y".repeat(1 << 20));
        case 3 -> {
          byte[] bytes = new byte[64];
          random.nextBytes(bytes);
          bytes[0] = (byte) 0xC3; // a lone UTF-8 lead byte: never valid text
          bytes[1] = (byte) 0x28;
          r.arg("gen")
              .arg("x")
              .arg("epoch")
              .arg("1")
              .arg("seq")
              .arg("1")
              .arg("ts")
              .arg("1")
              .arg("text")
              .arg(Buffer.buffer(bytes));
        }
        case 4 ->
            r.arg("gen")
                .arg("")
                .arg("epoch")
                .arg("1")
                .arg("seq")
                .arg("1")
                .arg("ts")
                .arg("1")
                .arg("text")
                .arg("t");
        default -> r.arg("text").arg("only text");
      }
      hostile.add(r);
    }
    redisServer.client().pipeline(hostile);
    long before = processed();
    Await.until("handlers keep going", Duration.ofSeconds(20), () -> processed() > before + 100);
    Quiesce.holdBaton(redisServer.client(), keys);
    Quiesce.awaitDrained(redisServer.client(), keys, Duration.ofSeconds(30));

    VerifyReport v = verify();
    assertThat(v.passed()).as(v.text()).isTrue();
    assertThat(v.toJson().getLong("foreignDeadLettered")).isEqualTo(60);
    List<Replies.Entry> dead = redisServer.client().range(keys.deadLetter());
    assertThat(dead).hasSize(60).allSatisfy(e -> assertThat(e.fields().get("reason")).isNotBlank());
    assertThat(dead)
        .extracting(e -> e.fields().get("reason"))
        .contains(
            "missing field 'gen'", "field 'epoch' is not a whole number: 'NaN'",
            "field 'text' has 1048576 bytes, more than 65536", "field 'text' is not valid UTF-8");
  }

  @Test
  void errorEntriesThatAreNotRecordsAreListedRawAndStillDrained() throws Exception {
    redisServer.client().cmd("XADD", keys.errors(), "*", "record", "{\"id\": \"cut sho");
    redisServer.client().cmd("XADD", keys.errors(), "*", "weird", "entry");
    TestNode node = nodes.get(0);
    JsonArray listed = new JsonObject(get(node, "/errors", "GET")).getJsonArray("errors");
    assertThat(listed.stream().map(o -> ((JsonObject) o).getString("raw")).toList())
        .contains("{\"id\": \"cut sho", "weird=entry");
    JsonArray drained = new JsonObject(get(node, "/errors/drain", "POST")).getJsonArray("drained");
    assertThat(drained.stream().map(o -> ((JsonObject) o).getString("raw")).toList())
        .contains("{\"id\": \"cut sho", "weird=entry");
    Await.until(
        "drained",
        Duration.ofSeconds(10),
        () ->
            redisServer.client().range(keys.errors()).stream()
                .noneMatch(e -> e.fields().containsKey("weird")));
  }

  @Test
  void aRedisOutOfMemoryIsReportedSurvivedAndLosesNothing() throws Exception {
    Await.until("100 processed", Duration.ofSeconds(20), () -> processed() >= 100);
    String info = redisServer.client().str("INFO", "memory");
    long used =
        Long.parseLong(
            info.lines()
                .filter(l -> l.startsWith("used_memory:"))
                .findFirst()
                .orElseThrow()
                .substring("used_memory:".length())
                .trim());
    redisServer.client().cmd("CONFIG", "SET", "maxmemory-policy", "noeviction");
    redisServer
        .client()
        .cmd(
            "CONFIG",
            "SET",
            "maxmemory",
            Long.toString(used / 2)); // every write that grows memory is refused
    TestNode generator = nodes.stream().filter(TestNode::isGenerator).findFirst().orElseThrow();
    Await.until(
        "the generator reports the refusal",
        Duration.ofSeconds(10),
        () -> {
          JsonObject refusal = generator.state().redis().recentRefusal();
          return refusal != null && refusal.getString("message").contains("OOM");
        });
    JsonObject status = new JsonObject(get(generator, "/status", "GET"));
    assertThat(status.getJsonObject("redisRefusal").getString("message")).contains("OOM");
    long publishedDuringOom = published();
    assertThat(nodes)
        .allSatisfy(n -> assertThat(n.vertx().deploymentIDs()).hasSize(5)); // nobody crashed

    redisServer.client().cmd("CONFIG", "SET", "maxmemory", "0");
    Await.until(
        "publishing resumes", Duration.ofSeconds(20), () -> published() > publishedDuringOom + 50);
    Quiesce.holdBaton(redisServer.client(), keys);
    Quiesce.awaitDrained(redisServer.client(), keys, Duration.ofSeconds(30));
    VerifyReport v = verify();
    assertThat(v.passed()).as(v.text()).isTrue();
    assertThat(v.toJson().getLong("published")).isEqualTo(published());
  }
}
