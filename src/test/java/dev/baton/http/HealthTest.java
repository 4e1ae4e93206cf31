package dev.baton.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.baton.redis.Keys;
import dev.baton.state.NodeState;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * /health and the metrics tell Redis unreachable, Redis refusing and a stalled cluster apart, for
 * the states where /health used to say 200: an errors key of the wrong type (nothing committed), a
 * lease key set by hand without expiry or as a hash (no generator), every write refused by OOM; and
 * they recover once the state is fixed. Each state is also logged once, not once per retry.
 */
@Timeout(120)
class HealthTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration BOUND = Duration.ofSeconds(30);

  @RegisterExtension
  final RedisExtension redis = new RedisExtension(); // one server per test: OOM must not leak

  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "h" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger nodeStateLog = (Logger) LoggerFactory.getLogger(NodeState.class);

  record Reply(int status, JsonObject json) {}

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

  private long lines(String nodeId, String text) {
    return logs.list.stream()
        .filter(e -> e.getFormattedMessage().contains(text))
        .filter(
            e ->
                e.getKeyValuePairs() != null
                    && e.getKeyValuePairs().stream().anyMatch(kv -> nodeId.equals(kv.value)))
        .count();
  }

  private TestNode node(String id) {
    return closer.add(
        TestNode.start(
            TestNode.fastSettings(redis.url(), prefix).put("nodeId", prefix + "-" + id)));
  }

  private static Reply health(TestNode node) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/health"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), new JsonObject(r.body()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static double metric(TestNode node, String name, String label) {
    try {
      String text =
          HTTP.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + node.httpPort() + "/metrics"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      Matcher m =
          Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
              .matcher(text);
      while (m.find()) {
        if (label == null || m.group(1).contains(label)) {
          return Double.parseDouble(m.group(2));
        }
      }
      throw new AssertionError("no sample " + name + " " + label);
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean healthy(TestNode... nodes) {
    for (TestNode n : nodes) {
      if (health(n).status() != 200) {
        return false;
      }
    }
    return true;
  }

  private void cluster(TestNode gen, TestNode handler) {
    Await.until(
        "a generator and a handler at work",
        BOUND,
        () ->
            gen.isGenerator()
                && handler.isHandler()
                && handler.state().counters().processed.get() > 0
                && healthy(gen, handler));
  }

  @Test
  void anErrorsKeyOfTheWrongTypeIsARefusalOnTheHandlerAndAStallEverywhere() {
    TestNode gen = node("gen");
    TestNode handler = node("handler");
    cluster(gen, handler);
    assertThat(metric(handler, "baton_redis_refusing", null)).isZero();
    assertThat(metric(gen, "baton_cluster_stalled", "reason=\"not_draining\"")).isZero();

    redis
        .client()
        .cmd("SET", keys.errors(), "not a stream"); // every commit is refused: nothing drains
    Await.until(
        "the handler reports Redis refusing",
        BOUND,
        () -> "refusing".equals(health(handler).json().getString("status")));
    Reply h = health(handler);
    assertThat(h.status()).isEqualTo(503);
    assertThat(h.json().getJsonObject("refusals").getString("handler")).contains("WRONGTYPE");
    assertThat(metric(handler, "baton_redis_refusing", null)).isEqualTo(1);
    assertThat(metric(handler, "baton_redis_up", null)).isEqualTo(1);

    Await.until(
        "the generator's node sees the backlog not draining",
        BOUND,
        () -> "stalled".equals(health(gen).json().getString("status")));
    Reply g = health(gen);
    assertThat(g.status()).isEqualTo(503);
    assertThat(g.json().getJsonObject("stalled").getString("not_draining"))
        .contains("oldest entry", "handlers are live");
    assertThat(metric(gen, "baton_cluster_stalled", "reason=\"not_draining\"")).isEqualTo(1);
    assertThat(metric(gen, "baton_cluster_stalled", "reason=\"no_generator\"")).isZero();
    // reads accepted, commits refused, many times a second: one line, not one per flip
    long refusedLines = lines(handler.id(), "Redis refuses the handler's commands");
    assertThat(refusedLines).isEqualTo(1);
    assertThat(lines(gen.id(), "the cluster is stalled")).isEqualTo(1);

    redis.client().cmd("DEL", keys.errors());
    Await.until("both recover", BOUND, () -> healthy(gen, handler));
    assertThat(metric(handler, "baton_redis_refusing", null)).isZero();
    assertThat(metric(gen, "baton_cluster_stalled", "reason=\"not_draining\"")).isZero();
  }

  @Test
  void aLeaseKeySetByHandWithoutExpiryOrAsAHashIsNoGenerator() {
    TestNode a = node("a");
    TestNode b = node("b");
    TestNode gen = a.isGenerator() ? a : b;
    TestNode other = gen == a ? b : a;
    cluster(gen, other);

    redis.client().cmd("SET", keys.leader(), "ghost"); // no TTL: nobody renews, nobody is granted
    Await.until(
        "both report no generator",
        BOUND,
        () ->
            "stalled".equals(health(a).json().getString("status"))
                && "stalled".equals(health(b).json().getString("status")));
    for (TestNode n : new TestNode[] {a, b}) {
      Reply r = health(n);
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.json().getJsonObject("stalled").getString("no_generator"))
          .contains("'ghost'", "no expiry");
      assertThat(metric(n, "baton_cluster_stalled", "reason=\"no_generator\"")).isEqualTo(1);
    }
    // followers meet the key every lease period: one warning each, not one per attempt
    Await.until(
        "a few lease periods passed",
        BOUND,
        () ->
            logs.list.stream()
                    .filter(e -> e.getFormattedMessage().contains("the cluster is stalled"))
                    .count()
                >= 2);
    assertThat(lines(a.id(), "the lease key has no expiry")).isLessThanOrEqualTo(1);
    assertThat(lines(b.id(), "the lease key has no expiry")).isLessThanOrEqualTo(1);
    assertThat(
            lines(a.id(), "the lease key has no expiry")
                + lines(b.id(), "the lease key has no expiry"))
        .isPositive();

    redis.client().cmd("DEL", keys.leader());
    redis.client().cmd("HSET", keys.leader(), "node", "ghost");
    Await.until(
        "a hash lease key is no generator",
        BOUND,
        () -> {
          JsonObject stalled = health(a).json().getJsonObject("stalled");
          return stalled != null && stalled.getString("no_generator", "").contains("holds a hash");
        });
    assertThat(health(a).status()).isEqualTo(503);

    redis.client().cmd("DEL", keys.leader());
    Await.until(
        "a generator again, and health",
        BOUND,
        () -> (a.isGenerator() || b.isGenerator()) && healthy(a, b));
    assertThat(metric(a, "baton_cluster_stalled", "reason=\"no_generator\"")).isZero();
  }

  @Test
  void everyWriteRefusedByOomIsRefusingNotUp() {
    TestNode gen = node("gen");
    TestNode handler = node("handler");
    cluster(gen, handler);

    redis.client().cmd("CONFIG", "SET", "maxmemory", "1");
    try {
      Await.until(
          "both report Redis refusing",
          BOUND,
          () ->
              "refusing".equals(health(gen).json().getString("status"))
                  && "refusing".equals(health(handler).json().getString("status")));
      Reply g = health(gen);
      assertThat(g.status()).isEqualTo(503);
      assertThat(g.json().getString("reason")).contains("OOM");
      assertThat(metric(gen, "baton_redis_refusing", null)).isEqualTo(1);
      assertThat(metric(gen, "baton_redis_up", null)).isEqualTo(1); // it answers: not an outage
    } finally {
      redis.client().cmd("CONFIG", "SET", "maxmemory", "0");
    }
    Await.until("both recover", BOUND, () -> healthy(gen, handler));
    assertThat(metric(gen, "baton_redis_refusing", null)).isZero();
  }
}
