package dev.baton.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisExtension;
import dev.baton.support.TcpProxy;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

@Timeout(120)
class HttpTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  private static final String PREFIX = "t" + UUID.randomUUID().toString().substring(0, 8);
  private static final Keys KEYS = new Keys(PREFIX);
  private static TcpProxy proxy;
  private static TestNode generator;
  private static TestNode handler;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  record Reply(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  @BeforeAll
  static void startCluster() {
    proxy = new TcpProxy(REDIS.port());
    generator =
        TestNode.start(
            TestNode.fastSettings(REDIS.url(), PREFIX)
                .put("nodeId", "web-gen")
                .put("handler", new JsonObject().put("errorProbability", 0.0)));
    Await.until("web-gen generates", Duration.ofSeconds(10), generator::isGenerator);
    handler =
        TestNode.start(
            TestNode.fastSettings(proxy.url(), PREFIX)
                .put("nodeId", "web-handler")
                .put("handler", new JsonObject().put("errorProbability", 0.0)));
    Await.until("web-handler handles", Duration.ofSeconds(10), handler::isHandler);
  }

  @AfterAll
  static void stop() {
    handler.close();
    generator.close();
    proxy.close();
  }

  @BeforeEach
  void clearErrors() {
    REDIS.client().cmd("DEL", KEYS.errors());
  }

  private static Reply get(TestNode node, String pathAndQuery) {
    return send(node, HttpRequest.newBuilder(uri(node, pathAndQuery)).GET());
  }

  private static Reply post(TestNode node, String path) {
    return send(
        node, HttpRequest.newBuilder(uri(node, path)).POST(HttpRequest.BodyPublishers.noBody()));
  }

  private static URI uri(TestNode node, String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + node.httpPort() + pathAndQuery);
  }

  private static Reply send(TestNode node, HttpRequest.Builder b) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> storeErrors(int n) {
    List<Request> reqs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      reqs.add(
          Request.cmd(Command.XADD)
              .arg(KEYS.errors())
              .arg("*")
              .arg("record")
              .arg(
                  new JsonObject()
                      .put("id", "m" + i)
                      .put("ts", 1_700_000_000_000L)
                      .put("text", "t" + i)
                      .encode()));
    }
    List<String> ids = new ArrayList<>();
    REDIS.client().pipeline(reqs).forEach(r -> ids.add(r.toString()));
    return ids;
  }

  @Test
  void aClientThatClosesItsConnectionBeforeTheAnswerIsNoError() throws Exception {
    Logger httpLog = (Logger) LoggerFactory.getLogger(HttpVerticle.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.setContext(httpLog.getLoggerContext());
    logs.start();
    httpLog.addAppender(logs);
    try {
      // as `curl … | head` does: read the start of the answer, then close (a reset, with data
      // unread)
      for (int i = 0; i < 20; i++) {
        for (String path : List.of("/metrics", "/assets/dashboard.js", "/status", "/")) {
          try (Socket s = new Socket("127.0.0.1", generator.httpPort())) {
            s.getOutputStream()
                .write(
                    ("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().read();
            s.setSoLinger(true, 0);
          }
        }
      }
      for (int i = 0; i < 5; i++) {
        assertThat(get(generator, "/status").status()).isEqualTo(200);
      }
      assertThat(
              logs.list.stream()
                  .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                  .map(ILoggingEvent::getFormattedMessage))
          .isEmpty();
    } finally {
      httpLog.detachAppender(logs);
    }
  }

  @Test
  void membersShowTheirAdvertisedAddressNeverAWildcard() throws Exception {
    String prefix = PREFIX + "-adv";
    try (TestNode named =
            TestNode.start(
                TestNode.fastSettings(REDIS.url(), prefix)
                    .put("nodeId", "adv-named")
                    .put(
                        "http",
                        new JsonObject().put("port", 0).put("advertise", "node-a.example.org")));
        TestNode wildcard =
            TestNode.start(
                TestNode.fastSettings(REDIS.url(), prefix)
                    .put("nodeId", "adv-any")
                    .put("http", new JsonObject().put("port", 0).put("host", "0.0.0.0")))) {
      String hostname = InetAddress.getLocalHost().getHostName();
      JsonArray nodes =
          Await.value(
              "both in the view",
              Duration.ofSeconds(10),
              () -> {
                JsonArray n = get(named, "/status").json().getJsonArray("nodes");
                return n.size() == 2 ? n : null;
              });
      Map<String, String> http = new HashMap<>();
      nodes.forEach(
          n -> http.put(((JsonObject) n).getString("nodeId"), ((JsonObject) n).getString("http")));
      assertThat(http)
          .containsEntry("adv-named", "http://node-a.example.org:" + named.httpPort())
          .containsEntry("adv-any", "http://" + hostname + ":" + wildcard.httpPort());
    }
  }

  @Test
  void statusReportsRoleLeaderRedisCountersAndMembers() {
    Await.until(
        "the handler processed something",
        Duration.ofSeconds(10),
        () -> handler.state().counters().processed.get() > 0);
    Await.until(
        "both nodes in the view",
        Duration.ofSeconds(10),
        () -> get(handler, "/status").json().getJsonArray("nodes").size() == 2);
    JsonObject s = get(handler, "/status").json();
    assertThat(s.getString("nodeId")).isEqualTo("web-handler");
    assertThat(s.getString("role")).isEqualTo("handler");
    assertThat(s.getValue("epoch")).isNull();
    assertThat(s.getJsonObject("leader").getString("nodeId")).isEqualTo("web-gen");
    assertThat(s.getJsonObject("leader").getLong("epoch"))
        .isEqualTo(generator.state().role().epoch());
    assertThat(s.getString("redis")).isEqualTo("up");
    assertThat(s.getJsonObject("counters").fieldNames())
        .contains("published", "processed", "errors", "reclaimed", "deadLettered");
    assertThat(s.getJsonObject("counters").getLong("processed")).isPositive();
    JsonArray nodes = s.getJsonArray("nodes");
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < nodes.size(); i++) {
      JsonObject n = nodes.getJsonObject(i);
      ids.add(n.getString("nodeId"));
      assertThat(n.fieldNames()).contains("role", "lastSeenMs", "http");
      assertThat(n.getString("http")).startsWith("http://127.0.0.1:");
    }
    assertThat(ids).containsExactlyInAnyOrder("web-gen", "web-handler");

    JsonObject g = get(generator, "/status").json();
    assertThat(g.getString("role")).isEqualTo("generator");
    assertThat(g.getLong("epoch")).isEqualTo(generator.state().role().epoch());
    assertThat(g.getJsonObject("counters").getLong("published")).isPositive();
  }

  @Test
  void statusShowsEachNodesCountersAndRatesFromItsHeartbeat() {
    Await.until(
        "the handler's heartbeat reports a processed rate",
        Duration.ofSeconds(15),
        () -> {
          JsonObject h = member(get(generator, "/status").json(), "web-handler");
          return h != null && h.getDouble("processedPerSec", 0.0) > 0;
        });
    JsonObject s = get(generator, "/status").json();
    JsonObject h = member(s, "web-handler");
    assertThat(h.getLong("processed"))
        .isPositive()
        .isLessThanOrEqualTo(handler.state().counters().processed.get());
    assertThat(h.getLong("intervalMs")).isEqualTo(200L);
    assertThat(h.getDouble("publishedPerSec")).isZero();
    Await.until(
        "the generator's heartbeat reports a published rate",
        Duration.ofSeconds(15),
        () ->
            member(get(handler, "/status").json(), "web-gen").getDouble("publishedPerSec", 0.0)
                > 0);
  }

  private static JsonObject member(JsonObject status, String nodeId) {
    JsonArray nodes = status.getJsonArray("nodes");
    for (int i = 0; i < nodes.size(); i++) {
      if (nodeId.equals(nodes.getJsonObject(i).getString("nodeId"))) {
        return nodes.getJsonObject(i);
      }
    }
    return null;
  }

  @Test
  void healthIs200WhenSettledAnd503WithAReasonWhileRedisIsUnreachable() {
    Reply ok = get(handler, "/health");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.json().getString("role")).isEqualTo("handler");

    proxy.cut();
    try {
      Await.until(
          "health reports Redis down",
          Duration.ofSeconds(10),
          () -> get(handler, "/health").status() == 503);
      Reply down = get(handler, "/health");
      assertThat(down.json().getString("reason")).contains("Redis");
      JsonObject status = get(handler, "/status").json();
      assertThat(status.getString("redis")).as(status.encode()).isEqualTo("down");
      assertThat(status.getString("role")).isEqualTo("handler");
    } finally {
      proxy.heal();
    }
    Await.until(
        "health recovers", Duration.ofSeconds(15), () -> get(handler, "/health").status() == 200);
  }

  @Test
  void errorsArePagedByCursorWithoutBeingDeleted() {
    List<String> stored = storeErrors(250);
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Reply r = get(handler, "/errors" + (cursor == null ? "" : "?cursor=" + cursor));
      assertThat(r.status()).isEqualTo(200);
      JsonObject page = r.json();
      JsonArray errors = page.getJsonArray("errors");
      assertThat(errors.size()).isLessThanOrEqualTo(100);
      for (int i = 0; i < errors.size(); i++) {
        seen.add(errors.getJsonObject(i).getString("errorId"));
      }
      cursor = page.getString("next");
      pages++;
    } while (cursor != null);
    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactlyElementsOf(stored);
    assertThat(REDIS.client().num("XLEN", KEYS.errors())).isEqualTo(250);

    JsonObject small = get(handler, "/errors?limit=7").json();
    assertThat(small.getJsonArray("errors").size()).isEqualTo(7);
    assertThat(small.getJsonArray("errors").getJsonObject(0).getString("text")).isEqualTo("t0");
    assertThat(get(handler, "/errors?limit=10000").json().getJsonArray("errors").size())
        .isEqualTo(250);
  }

  @Test
  void drainReturnsWhatItRemoved() {
    List<String> stored = storeErrors(1_500);
    Reply r = post(handler, "/errors/drain");
    assertThat(r.status()).isEqualTo(200);
    JsonObject body = r.json();
    assertThat(body.getLong("count")).isEqualTo(1_500);
    JsonArray drained = body.getJsonArray("drained");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < drained.size(); i++) {
      ids.add(drained.getJsonObject(i).getString("errorId"));
    }
    assertThat(ids).containsExactlyElementsOf(stored);
    assertThat(REDIS.client().num("XLEN", KEYS.errors())).isZero();

    JsonObject empty = post(handler, "/errors/drain").json();
    assertThat(empty.getLong("count")).isZero();
    assertThat(empty.getJsonArray("drained")).isEmpty();
  }

  @Test
  void badParametersGet400WithAJsonBodyNamingTheParameter() {
    String[] bad = {
      "limit=0",
      "limit=-1",
      "limit=10001",
      "limit=abc",
      "limit=1.5",
      "limit=",
      "limit=1&limit=2",
      "limit=99999999999999999999",
      "cursor=abc",
      "cursor=1-2-3",
      "cursor=%E2%98%83",
      "cursor=1-1&cursor=2-2",
      "limit=%00",
      "cursor=" + "9".repeat(30) + "-0"
    };
    for (String q : bad) {
      Reply r = get(handler, "/errors?" + q);
      assertThat(r.status()).as(q).isEqualTo(400);
      JsonObject body = r.json();
      assertThat(body.getString("error")).as(q).containsAnyOf("limit", "cursor");
    }
    Reply huge = get(handler, "/errors?cursor=" + "x".repeat(10_000));
    assertThat(huge.status()).isEqualTo(400);
    assertThat(huge.json().getString("error")).contains("query string");
  }

  @Test
  void unknownPathsGet404AndWrongMethods405InJson() {
    Reply nf = get(handler, "/nope");
    assertThat(nf.status()).isEqualTo(404);
    assertThat(nf.json().getString("error")).contains("/nope");
    Reply na = post(handler, "/status");
    assertThat(na.status()).isEqualTo(405);
    assertThat(na.json().getInteger("status")).isEqualTo(405);
  }

  @Test
  void randomAndHostileParametersNeverCauseA500() {
    storeErrors(3);
    Random random = new Random(20261128L);
    String[] pieces = {
      "limit",
      "cursor",
      "=",
      "&",
      "-",
      "0",
      "1",
      "9",
      "%",
      "%2",
      "%zz",
      "é",
      "☃",
      " ",
      "+",
      "..",
      "-1",
      "1e3",
      "0x10",
      "null",
      "[]",
      "{}",
      "'",
      "\"",
      "<",
      "\\",
      "1-",
      "-0",
      "0-0",
      "18446744073709551615"
    };
    for (int i = 0; i < 400; i++) {
      StringBuilder q = new StringBuilder();
      int parts = 1 + random.nextInt(8);
      for (int p = 0; p < parts; p++) {
        q.append(pieces[random.nextInt(pieces.length)]);
      }
      String query =
          URLEncoder.encode(q.toString(), StandardCharsets.UTF_8)
              .replace("%3D", "=")
              .replace("%26", "&");
      Reply r = get(handler, "/errors?" + query);
      assertThat(r.status()).as(query).isIn(200, 400);
      new JsonObject(r.body()); // always a JSON body
    }
    assertThat(REDIS.client().num("XLEN", KEYS.errors())).isEqualTo(3);
  }
}
