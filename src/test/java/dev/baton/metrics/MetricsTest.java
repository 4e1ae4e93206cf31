package dev.baton.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.support.TcpProxy;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** GET /metrics: Prometheus text with Baton's meters and Vert.x's, per node. */
@Timeout(120)
class MetricsTest {
  private static final String PREFIX = "met" + UUID.randomUUID().toString().substring(0, 8);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static RedisServer redis;
  private static TcpProxy proxy;
  private static TestNode generator;
  private static TestNode handler;

  @BeforeAll
  static void start() {
    redis = RedisServer.start();
    proxy = new TcpProxy(redis.port());
    generator = TestNode.start(TestNode.fastSettings(redis.url(), PREFIX).put("nodeId", "m-gen"));
    Await.until("m-gen generates", Duration.ofSeconds(10), generator::isGenerator);
    handler =
        TestNode.start(
            TestNode.fastSettings(proxy.url(), PREFIX)
                .put("nodeId", "m-handler")
                .put("handler", new JsonObject().put("errorProbability", 0.5)));
    Await.until(
        "m-handler committed errors",
        Duration.ofSeconds(20),
        () -> handler.state().counters().errors.get() > 0);
  }

  @AfterAll
  static void stop() {
    handler.close();
    generator.close();
    proxy.close();
    redis.close();
  }

  record Scrape(String contentType, String text) {
    /**
     * The value of the first sample named {@code name} whose labels include every {@code
     * label="value"} given.
     */
    Double value(String name, String... labels) {
      Pattern line =
          Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$", Pattern.MULTILINE);
      Matcher m = line.matcher(text);
      while (m.find()) {
        String set = m.group(1) == null ? "" : m.group(1);
        boolean all = true;
        for (String l : labels) {
          all &= set.contains(l);
        }
        if (all) {
          return Double.parseDouble(m.group(2));
        }
      }
      return null;
    }

    List<String> names() {
      List<String> out = new ArrayList<>();
      for (String l : text.split("\n")) {
        if (!l.startsWith("#") && !l.isBlank()) {
          out.add(l.substring(0, l.indexOf(l.contains("{") ? '{' : ' ')));
        }
      }
      return out;
    }
  }

  private static Scrape scrape(TestNode node) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      return new Scrape(r.headers().firstValue("content-type").orElse(""), r.body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void generatorReportsItsRoleEpochPublishesAndLeaseRenewals() {
    Await.until(
        "a few renewals",
        Duration.ofSeconds(10),
        () ->
            scrape(generator).value("baton_lease_renewal_seconds_count", "outcome=\"extended\"")
                >= 2);
    Scrape s = scrape(generator);
    assertThat(s.contentType()).startsWith("text/plain; version=0.0.4");
    assertThat(s.value("baton_role", "role=\"generator\"", "node=\"m-gen\"")).isEqualTo(1.0);
    assertThat(s.value("baton_role", "role=\"handler\"")).isEqualTo(0.0);
    assertThat(s.value("baton_epoch"))
        .isEqualTo((double) generator.state().role().epoch())
        .isPositive();
    assertThat(s.value("baton_lease_grants_total", "node=\"m-gen\"")).isGreaterThanOrEqualTo(1.0);
    assertThat(scrape(handler).value("baton_lease_grants_total")).isEqualTo(0.0);
    assertThat(s.value("baton_messages_published_total")).isPositive();
    assertThat(s.value("baton_lease_renewal_seconds_bucket", "outcome=\"extended\"", "le=\"+Inf\""))
        .isPositive();
    assertThat(s.value("baton_redis_up")).isEqualTo(1.0);
    assertThat(s.value("baton_publishing_paused")).isEqualTo(0.0);
  }

  @Test
  void handlerReportsCountersCommitLatencyAndBacklog() {
    Scrape s = scrape(handler);
    assertThat(s.value("baton_role", "role=\"handler\"", "node=\"m-handler\"")).isEqualTo(1.0);
    assertThat(s.value("baton_epoch")).isEqualTo(0.0);
    assertThat(s.value("baton_messages_processed_total")).isPositive();
    assertThat(s.value("baton_messages_errors_total")).isPositive();
    assertThat(s.value("baton_commit_seconds_count", "outcome=\"ok\"")).isPositive();
    assertThat(s.value("baton_backlog_messages"))
        .isNotNull()
        .isNotNaN()
        .isGreaterThanOrEqualTo(0.0);
    assertThat(s.value("baton_backlog_entries")).isNotNull().isNotNaN().isGreaterThanOrEqualTo(0.0);
    assertThat(s.value("baton_backlog_pending")).isNotNull().isNotNaN().isGreaterThanOrEqualTo(0.0);

    // the exported counters are the node's own counters, not copies
    double reclaimed = s.value("baton_messages_reclaimed_total");
    double dead = s.value("baton_messages_dead_lettered_total");
    handler.state().counters().reclaimed.addAndGet(3);
    handler.state().counters().deadLettered.addAndGet(2);
    Scrape after = scrape(handler);
    assertThat(after.value("baton_messages_reclaimed_total")).isEqualTo(reclaimed + 3);
    assertThat(after.value("baton_messages_dead_lettered_total")).isEqualTo(dead + 2);
    handler.state().counters().reclaimed.addAndGet(-3);
    handler.state().counters().deadLettered.addAndGet(-2);
  }

  @Test
  void handlerReportsEveryMessagesPublishToCommitLatencyAndTheBacklogBound() {
    long before = handler.state().counters().latencyMs().getTotalCount();
    Scrape s = scrape(handler);
    long after = handler.state().counters().latencyMs().getTotalCount();
    double count = s.value("baton_message_latency_seconds_count", "node=\"m-handler\"");
    assertThat(count)
        .as("one observation per committed message")
        .isBetween((double) before, (double) after);
    assertThat(before).isPositive();
    assertThat(s.value("baton_message_latency_seconds_bucket", "le=\"+Inf\"")).isEqualTo(count);
    assertThat(s.value("baton_message_latency_seconds_sum")).isPositive();
    List<Double> cumulative = new ArrayList<>();
    Matcher m =
        Pattern.compile("(?m)^baton_message_latency_seconds_bucket\\{[^}]*\\} (\\S+)$")
            .matcher(s.text());
    while (m.find()) {
      cumulative.add(Double.parseDouble(m.group(1)));
    }
    assertThat(cumulative).hasSize(LatencyHistogram.BOUNDS.length + 1).isSorted();
    assertThat(s.value("baton_backlog_max_messages"))
        .isEqualTo((double) handler.config().generator().maxBacklog());
  }

  @Test
  void vertxReportsItsHttpServerPoolsAndJvm() {
    scrape(handler);
    Scrape s = scrape(handler);
    assertThat(s.value("vertx_http_server_requests_total", "route=\"/metrics\"", "code=\"200\""))
        .isPositive();
    assertThat(s.names())
        .contains("vertx_http_server_response_time_seconds_count", "jvm_memory_used_bytes");
    assertThat(s.value("vertx_pool_in_use", "pool_type=\"redis\"", "pool_name=\"baton-shared\""))
        .isNotNull();
    assertThat(s.value("vertx_pool_in_use", "pool_type=\"redis\"", "pool_name=\"baton-dedicated\""))
        .isNotNull();
  }

  @Test
  void nodesInOneJvmKeepTheirOwnMeters() {
    Scrape g = scrape(generator);
    Scrape h = scrape(handler);
    assertThat(g.text()).contains("node=\"m-gen\"").doesNotContain("node=\"m-handler\"");
    assertThat(h.text()).contains("node=\"m-handler\"").doesNotContain("node=\"m-gen\"");
    assertThat(g.value("baton_messages_published_total")).isPositive();
    assertThat(h.value("baton_messages_published_total")).isZero();
  }

  @Test
  void aRedisOutageShowsAsDownWithAnUnknownBacklog() {
    proxy.cut();
    try {
      Await.until(
          "the handler notices",
          Duration.ofSeconds(10),
          () -> scrape(handler).value("baton_redis_up") == 0.0);
      Scrape s = scrape(handler);
      assertThat(s.value("baton_backlog_messages")).isNaN();
      assertThat(s.value("baton_role", "role=\"handler\"")).isEqualTo(1.0);
    } finally {
      proxy.heal();
    }
    Await.until(
        "the handler recovers",
        Duration.ofSeconds(15),
        () -> scrape(handler).value("baton_redis_up") == 1.0);
    assertThat(scrape(handler).value("baton_backlog_messages")).isNotNaN();
  }
}
