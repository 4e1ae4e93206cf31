package dev.baton.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.FreePort;
import dev.baton.bench.NodeProcess;
import dev.baton.support.Await;
import dev.baton.support.PrometheusTools;
import dev.baton.support.RedisServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules and the dashboard against a real Prometheus (Debian's, on loopback, in a temporary
 * directory) scraping three real nodes (the fat jar) every second: every dashboard panel's query
 * and every alert's expression goes through Prometheus's HTTP query API, as Grafana and the rule
 * evaluator send them. A query that does not parse fails the test, and so does an empty answer
 * where the panel must show data: every query must return data. Then the alerts: none on the
 * healthy cluster, Redis unreachable once Redis is killed, no generator once the nodes are killed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class MonitoringIT {
  /** Prometheus scrapes and evaluates this often here (seconds). */
  private static final int SCRAPE_S = 1;

  /**
   * What Grafana puts for {@code $__rate_interval} at this scrape interval: max(interval + scrape,
   * 4 × scrape).
   */
  private static final String RATE_INTERVAL = 4 * SCRAPE_S + "s";

  private static final String JOB = "baton";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final String PREFIX = "mon" + UUID.randomUUID().toString().substring(0, 8);

  @TempDir static Path tmp;
  private static RedisServer redis;
  private static final List<NodeProcess> nodes = new ArrayList<>();
  private static Process prometheus;
  private static Path prometheusLog;
  private static int port;

  @BeforeAll
  static void startClusterAndPrometheus() throws Exception {
    Path binary = PrometheusTools.require(PrometheusTools.PROMETHEUS);
    redis = RedisServer.start();
    for (int i = 1; i <= 3; i++) {
      nodes.add(
          NodeProcess.start(
              Map.of(
                  "BATON_NODE_ID",
                  "mon" + i,
                  "BATON_REDIS_URL",
                  redis.url(),
                  "BATON_REDIS_KEY_PREFIX",
                  PREFIX,
                  "BATON_REDIS_EMBEDDED",
                  "off",
                  "BATON_GENERATOR_INTERVAL_MS",
                  "100",
                  "BATON_HANDLER_ERROR_PROBABILITY",
                  "0.3"),
              "-conf",
              "conf/node.json"));
    }
    port = FreePort.pick();
    String targets =
        nodes.stream()
            .map(n -> "'127.0.0.1:" + n.httpPort() + "'")
            .collect(Collectors.joining(", "));
    Path config = tmp.resolve("prometheus.yml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "global:",
            "  scrape_interval: " + SCRAPE_S + "s",
            "  evaluation_interval: " + SCRAPE_S + "s",
            "rule_files:",
            "  - '" + MonitoringFiles.RULES + "'",
            "scrape_configs:",
            "  - job_name: " + JOB,
            "    static_configs:",
            "      - targets: [" + targets + "]",
            ""));
    prometheusLog = tmp.resolve("prometheus.log");
    prometheus =
        new ProcessBuilder(
                binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + tmp.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(prometheusLog.toFile())
            .start();
    Await.until(
        "Prometheus is ready on port " + port,
        Duration.ofSeconds(60),
        () -> prometheus.isAlive() && status("/-/ready") == 200);
  }

  @AfterAll
  static void stopEverything() throws Exception {
    if (prometheus != null) {
      prometheus.destroy();
      if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly();
      }
    }
    nodes.forEach(NodeProcess::close);
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  @Order(1)
  void everyPanelQueryAndEveryAlertParsesAndThePanelsShowData() {
    Await.until(
        "Prometheus scrapes the three nodes",
        Duration.ofSeconds(90),
        () -> "3".equals(value("count(up{job=\"" + JOB + "\"} == 1)")));

    JsonObject dashboard = MonitoringFiles.dashboard();
    Map<String, JsonObject> targets = new LinkedHashMap<>();
    for (JsonObject panel : MonitoringFiles.panels(dashboard)) {
      for (Object t : panel.getJsonArray("targets", new JsonArray())) {
        targets.put(
            panel.getString("title") + " / " + ((JsonObject) t).getString("refId"), (JsonObject) t);
      }
    }
    assertThat(targets).hasSizeGreaterThan(30);
    // every query that must show data does, once the cluster has run a few scrapes (rates need two)
    Map<String, String> empty = new LinkedHashMap<>();
    try {
      Await.until(
          "every panel query that must show data returns some",
          Duration.ofSeconds(60),
          () -> {
            empty.clear();
            targets.forEach(
                (where, target) -> {
                  String expr = grafana(target.getString("expr"));
                  JsonArray result =
                      target.getBoolean("instant", false) ? instant(expr) : range(expr);
                  if (result.isEmpty()) {
                    empty.put(where, expr);
                  }
                });
            return empty.isEmpty();
          });
    } catch (AssertionError timedOut) {
      assertThat(empty).as("panel queries that still return nothing after 60 s").isEmpty();
    }
    // the alerts' expressions parse and evaluate (empty on a healthy cluster is right)
    MonitoringFiles.alertExpressions().forEach((alert, expr) -> instant(expr));

    // each metric a query names that is exported here has series in Prometheus
    Set<String> names = new LinkedHashSet<>();
    targets.values().forEach(t -> names.addAll(MonitoringFiles.metricNames(t.getString("expr"))));
    MonitoringFiles.alertExpressions()
        .values()
        .forEach(e -> names.addAll(MonitoringFiles.metricNames(e)));
    List<String> missing = new ArrayList<>();
    for (String name : names) {
      if (instant("count(" + name + ")").isEmpty()) {
        missing.add(name);
      }
    }
    assertThat(missing).as("metrics the queries use that no node exports").isEmpty();
  }

  @Test
  @Order(2)
  void theDashboardsVariablesFindTheJobAndEveryInstance() {
    // what Grafana's label_values(baton_role, job) and label_values(baton_role{job=~"$job"},
    // instance) ask
    assertThat(labelValues("job", "baton_role")).containsExactly(JOB);
    Set<String> instances =
        new LinkedHashSet<>(labelValues("instance", "baton_role{job=~\"" + JOB + "\"}"));
    Set<String> expected = new LinkedHashSet<>();
    nodes.forEach(n -> expected.add("127.0.0.1:" + n.httpPort()));
    assertThat(instances).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  @Order(3)
  void prometheusLoadsEveryRuleAndTheHealthyClusterFiresNone() {
    Await.until(
        "every rule evaluated without error",
        Duration.ofSeconds(30),
        () -> {
          List<JsonObject> rules = rules();
          return rules.size() == MonitoringFiles.rules().size()
              && rules.stream().allMatch(r -> "ok".equals(r.getString("health")));
        });
    Await.until(
        "no alert pending or firing on a healthy cluster",
        Duration.ofSeconds(30),
        () -> alerts().isEmpty());
  }

  @Test
  @Order(4)
  void killingRedisThenTheNodesMakesTheirAlertsPending() {
    redis.kill();
    Await.until(
        "BatonRedisUnreachable pending",
        Duration.ofSeconds(30),
        () -> alerts().stream().anyMatch(a -> is(a, "BatonRedisUnreachable", "pending")));
    nodes.forEach(NodeProcess::kill);
    Await.until(
        "BatonNoGenerator pending once no node is scraped",
        Duration.ofSeconds(30),
        () -> alerts().stream().anyMatch(a -> is(a, "BatonNoGenerator", "pending")));
    // the alert can turn pending once the generator's own node is no longer scraped, before
    // Prometheus has scraped the other two: every target is seen down within a few scrapes
    Await.until(
        "every node's target down",
        Duration.ofSeconds(30),
        () -> "3".equals(value("count(up{job=\"" + JOB + "\"} == 0)")));
  }

  private static boolean is(JsonObject alert, String name, String state) {
    return name.equals(alert.getJsonObject("labels").getString("alertname"))
        && state.equals(alert.getString("state"));
  }

  /** The query as Grafana sends it: the job chosen, every instance ("All"), the rate interval. */
  private static String grafana(String expr) {
    String q =
        expr.replace("$__rate_interval", RATE_INTERVAL)
            .replace("$job", JOB)
            .replace("$instance", ".+");
    assertThat(q).as("a Grafana variable left in " + expr).doesNotContain("$");
    return q;
  }

  /** The value of a query answering one sample, or null when it answers none. */
  private static String value(String expr) {
    JsonArray result = instant(expr);
    return result.isEmpty() ? null : result.getJsonObject(0).getJsonArray("value").getString(1);
  }

  private static JsonArray instant(String expr) {
    return api("/api/v1/query?query=" + encode(expr)).getJsonObject("data").getJsonArray("result");
  }

  /** The last 20 s at a 2 s step, as a dashboard's time series panel asks. */
  private static JsonArray range(String expr) {
    long end = System.currentTimeMillis() / 1000;
    return api("/api/v1/query_range?query="
            + encode(expr)
            + "&start="
            + (end - 20)
            + "&end="
            + end
            + "&step=2")
        .getJsonObject("data")
        .getJsonArray("result");
  }

  private static List<String> labelValues(String label, String match) {
    JsonArray values =
        api("/api/v1/label/" + label + "/values?match[]=" + encode(match)).getJsonArray("data");
    List<String> out = new ArrayList<>();
    values.forEach(v -> out.add((String) v));
    return out;
  }

  private static List<JsonObject> rules() {
    List<JsonObject> out = new ArrayList<>();
    for (Object g : api("/api/v1/rules?type=alert").getJsonObject("data").getJsonArray("groups")) {
      ((JsonObject) g).getJsonArray("rules").forEach(r -> out.add((JsonObject) r));
    }
    return out;
  }

  private static List<JsonObject> alerts() {
    List<JsonObject> out = new ArrayList<>();
    api("/api/v1/alerts")
        .getJsonObject("data")
        .getJsonArray("alerts")
        .forEach(a -> out.add((JsonObject) a));
    return out;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** A GET of Prometheus's API; fails the test (with Prometheus's error) unless it succeeds. */
  private static JsonObject api(String path) {
    HttpResponse<String> r = get(path);
    JsonObject body = new JsonObject(r.body());
    if (r.statusCode() != 200 || !"success".equals(body.getString("status"))) {
      throw new AssertionError(
          "Prometheus answered "
              + r.statusCode()
              + " to "
              + URLDecoder.decode(path, StandardCharsets.UTF_8)
              + ": "
              + body.getString("errorType")
              + ": "
              + body.getString("error"));
    }
    return body;
  }

  private static int status(String path) {
    try {
      return get(path).statusCode();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static HttpResponse<String> get(String path) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(
          "Prometheus did not answer " + path + "; its log:\n" + log(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String log() {
    try {
      return Files.readString(prometheusLog);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
