package dev.baton.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.Monitor;
import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.support.TcpProxy;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The page's server side over plain HTTP: files from the jar, and the event stream's contents. */
@Timeout(120)
class DashboardTest {
  private static final String PREFIX = "t" + UUID.randomUUID().toString().substring(0, 8);
  private static final Keys KEYS = new Keys(PREFIX);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static RedisServer redis;
  private static TestRedis rc;
  private static TcpProxy proxy;
  private static TestNode generator;
  private static TestNode handler;

  @BeforeAll
  static void startCluster() {
    redis = RedisServer.start();
    rc = new TestRedis(redis.url());
    proxy = new TcpProxy(redis.port());
    generator =
        TestNode.start(TestNode.fastSettings(redis.url(), PREFIX).put("nodeId", "dash-gen"));
    Await.until("dash-gen generates", Duration.ofSeconds(10), generator::isGenerator);
    handler =
        TestNode.start(
            TestNode.fastSettings(proxy.url(), PREFIX)
                .put("nodeId", "dash-handler")
                .put("handler", new JsonObject().put("errorProbability", 0.5)));
    Await.until("dash-handler handles", Duration.ofSeconds(10), handler::isHandler);
  }

  @AfterAll
  static void stop() {
    handler.close();
    generator.close();
    proxy.close();
    rc.close();
    redis.close();
  }

  private static HttpResponse<String> get(TestNode node, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThePageAndItsAssetsFromTheJarUnderAStrictContentPolicy() throws Exception {
    HttpResponse<String> page = get(handler, "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
    assertThat(page.headers().firstValue("content-security-policy"))
        .hasValueSatisfying(v -> assertThat(v).contains("default-src 'self'"));
    assertThat(page.body())
        .contains("assets/dashboard.js")
        .contains("assets/dashboard.css")
        .doesNotContain("src=\"http")
        .doesNotContain("href=\"http");

    HttpResponse<String> js = get(handler, "/assets/dashboard.js");
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("content-type"))
        .hasValueSatisfying(v -> assertThat(v).contains("javascript"));
    assertThat(js.body()).contains("new EventSource('events')");
    assertThat(get(handler, "/assets/dashboard.css").statusCode()).isEqualTo(200);

    // nothing else of the jar is reachable, and the API keeps its JSON errors
    assertThat(get(handler, "/assets/").statusCode()).isEqualTo(404);
    assertThat(get(handler, "/assets/..%2Flua%2Facquire.lua").statusCode()).isEqualTo(404);
    assertThat(get(handler, "/lua/acquire.lua").statusCode()).isEqualTo(404);
    HttpResponse<String> post =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + handler.httpPort() + "/"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(new JsonObject(post.body()).getInteger("status")).isEqualTo(405);
  }

  @Test
  void theStreamPushesClusterSnapshotsAboutTwiceASecond() throws Exception {
    try (Stream stream = Stream.open(handler)) {
      assertThat(stream.contentType).startsWith("text/event-stream");
      List<JsonObject> events = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        events.add(stream.next(Duration.ofSeconds(10)));
      }
      JsonObject e = events.get(events.size() - 1);
      assertThat(e.getJsonObject("node").getString("nodeId")).isEqualTo("dash-handler");
      assertThat(e.getJsonObject("node").getString("role")).isEqualTo("handler");
      assertThat(e.getString("redis")).isEqualTo("up");
      assertThat(e.getJsonObject("leader").getString("nodeId")).isEqualTo("dash-gen");
      assertThat(e.getJsonObject("leader").getLong("epoch"))
          .isEqualTo(generator.state().role().epoch());
      assertThat(e.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("nodeId")))
          .containsExactly("dash-gen", "dash-handler");
      JsonObject newestGrant = e.getJsonArray("grants").getJsonObject(0);
      assertThat(newestGrant.getString("node")).isEqualTo("dash-gen");
      assertThat(newestGrant.getLong("epoch")).isEqualTo(generator.state().role().epoch());
      assertThat(e.getJsonObject("backlog").fieldNames()).contains("length", "entries", "pending");
      assertThat(e.getJsonObject("totals").getLong("published")).isPositive();
      assertThat(e.getJsonObject("rates").getDouble("publishedPerSec")).isPositive();
      JsonArray history = e.getJsonArray("history");
      assertThat(history.size()).isGreaterThanOrEqualTo(5);
      // the newest point is this poll's, or the health probe's of the same moment
      assertThat(history.getJsonArray(history.size() - 1).getLong(0))
          .isBetween(e.getLong("serverTimeMs") - 1000, e.getLong("serverTimeMs") + 1000);

      long spanMs = e.getLong("serverTimeMs") - events.get(0).getLong("serverTimeMs");
      assertThat(spanMs / (events.size() - 1))
          .as("one snapshot per %d ms, not faster", Dashboard.PUSH_INTERVAL_MS)
          .isGreaterThanOrEqualTo(Dashboard.PUSH_INTERVAL_MS / 2);

      stream.until(
          Duration.ofSeconds(20),
          ev -> {
            JsonObject errors = ev.getJsonObject("errors");
            return errors.getLong("count") > 0
                && !errors.getJsonArray("latest").isEmpty()
                && errors
                    .getJsonArray("latest")
                    .getJsonObject(0)
                    .getString("handler")
                    .equals("dash-handler");
          });
    }
  }

  @Test
  void theStreamSaysWhenThisNodeLostRedisAndWhenItIsBack() throws Exception {
    try (Stream stream = Stream.open(handler)) {
      assertThat(stream.next(Duration.ofSeconds(10)).getString("redis")).isEqualTo("up");
      proxy.cut();
      JsonObject down;
      try {
        down = stream.until(Duration.ofSeconds(20), ev -> ev.getString("redis").equals("down"));
      } finally {
        proxy.heal();
      }
      assertThat(down.getString("redisProblem")).isNotBlank();
      assertThat(down.getJsonObject("leaderSeen").getString("nodeId")).isEqualTo("dash-gen");
      assertThat(down.getJsonObject("node").getString("nodeId")).isEqualTo("dash-handler");
      assertThat(down.containsKey("nodes"))
          .as("no stale cluster data passed off as current")
          .isFalse();
      stream.until(Duration.ofSeconds(20), ev -> ev.getString("redis").equals("up"));
    }
  }

  @Test
  void redisIsPolledForThePageOnlyWhileAPageIsOpen() throws Exception {
    String grantsRead = "\"xrevrange\" \"" + KEYS.grants() + "\"";
    Await.until(
        "no page, no polling",
        Duration.ofSeconds(20),
        () -> Monitor.record(redis.port(), 1_200).stream().noneMatch(l -> l.contains(grantsRead)));
    try (Stream stream = Stream.open(generator)) {
      stream.next(Duration.ofSeconds(10));
      assertThat(Monitor.record(redis.port(), 1_200)).anyMatch(l -> l.contains(grantsRead));
    }
    Await.until(
        "the closed page stops the polling",
        Duration.ofSeconds(20),
        () -> Monitor.record(redis.port(), 1_200).stream().noneMatch(l -> l.contains(grantsRead)));
  }

  @Test
  void theFirstSnapshotCarriesTheHistoryTheNodeKeptWhileNoPageWasOpen() throws Exception {
    // a cluster of its own, on which no page was ever opened: its history is the heartbeats' alone
    try (TestNode fresh =
        TestNode.start(
            TestNode.fastSettings(redis.url(), PREFIX + "-fresh").put("nodeId", "fresh"))) {
      Await.until(
          "five seconds of history, with messages published",
          Duration.ofSeconds(30),
          () -> {
            JsonArray kept = fresh.state().pageHistory().toJson();
            return spanMs(kept) >= 5_000
                && fresh.state().pageHistory().latest().publishedPerSec() > 0;
          });
      long keptSince = fresh.state().pageHistory().toJson().getJsonArray(0).getLong(0);
      try (Stream stream = Stream.open(fresh)) {
        JsonObject first = stream.next(Duration.ofSeconds(10));
        JsonArray history = first.getJsonArray("history");
        assertThat(history.getJsonArray(0).getLong(0))
            .as("the first point predates the page")
            .isLessThanOrEqualTo(keptSince);
        assertThat(spanMs(history)).isGreaterThanOrEqualTo(5_000);
        assertThat(history.stream().mapToDouble(p -> ((JsonArray) p).getDouble(1)).max().orElse(0))
            .as("published per second in the kept points")
            .isPositive();
        assertThat(first.getJsonObject("rates").getDouble("publishedPerSec")).isPositive();
      }
    }
  }

  private static long spanMs(JsonArray history) {
    return history.size() < 2
        ? 0
        : history.getJsonArray(history.size() - 1).getLong(0) - history.getJsonArray(0).getLong(0);
  }

  @Test
  void aNodeServesAtMost64OpenPagesAndSaysSoToThe65th() throws Exception {
    // a node of its own, so that no stream of another test is still closing
    try (TestNode crowded = TestNode.start(TestNode.fastSettings(redis.url(), PREFIX + "-crowd"))) {
      List<Socket> open = new ArrayList<>();
      try {
        for (int i = 0; i < Dashboard.MAX_PAGES; i++) {
          Socket s = rawGet(crowded, "/events");
          open.add(s);
          assertThat(response(s).status()).isEqualTo(200);
        }
        try (Socket extra = rawGet(crowded, "/events")) {
          Raw refused = response(extra);
          assertThat(refused.status()).isEqualTo(503);
          assertThat(new JsonObject(refused.body()).getString("error"))
              .contains("too many open dashboards");
        }
      } finally {
        for (Socket s : open) {
          s.close();
        }
      }
      Await.until(
          "closed pages free their places",
          Duration.ofSeconds(20),
          () -> {
            try (Socket again = rawGet(crowded, "/events")) {
              return response(again).status() == 200;
            } catch (IOException e) {
              return false;
            }
          });
    }
  }

  record Raw(int status, String body) {}

  /** Reads a raw HTTP/1.1 response's status and, when it has a Content-Length, its body. */
  private static Raw response(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    int status = Integer.parseInt(line(in).split(" ")[1]);
    int length = -1;
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(header.substring(15).trim());
      }
    }
    String body = length < 0 ? "" : new String(in.readNBytes(length), StandardCharsets.UTF_8);
    return new Raw(status, body);
  }

  private static Socket rawGet(TestNode node, String path) throws IOException {
    Socket s = new Socket("127.0.0.1", node.httpPort());
    s.setSoTimeout(10_000);
    OutputStream out = s.getOutputStream();
    out.write(
        ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  /** One open event stream, read on its own thread; closing it closes the connection. */
  static final class Stream implements AutoCloseable {
    private final BlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
    private final InputStream body;
    final String contentType;

    private Stream(HttpResponse<InputStream> response) {
      this.body = response.body();
      this.contentType = response.headers().firstValue("content-type").orElse("");
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    if (line.startsWith("data: ")) {
                      events.add(new JsonObject(line.substring(6)));
                    }
                  }
                } catch (IOException closed) {
                  // the test closed the stream
                }
              },
              "sse-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static Stream open(TestNode node) throws Exception {
      HttpResponse<InputStream> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/events"))
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertThat(r.statusCode()).isEqualTo(200);
      return new Stream(r);
    }

    JsonObject next(Duration bound) throws InterruptedException {
      JsonObject e = events.poll(bound.toMillis(), TimeUnit.MILLISECONDS);
      if (e == null) {
        throw new AssertionError("no event within " + bound.toMillis() + " ms");
      }
      return e;
    }

    JsonObject until(Duration bound, Predicate<JsonObject> condition) throws InterruptedException {
      long deadline = System.nanoTime() + bound.toNanos();
      while (System.nanoTime() < deadline) {
        JsonObject e =
            events.poll(
                Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        if (e != null && condition.test(e)) {
          return e;
        }
      }
      throw new AssertionError("no matching event within " + bound.toMillis() + " ms");
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }
}
