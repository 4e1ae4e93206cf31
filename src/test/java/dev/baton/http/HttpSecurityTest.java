package dev.baton.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code http.token} guards every request that changes state; bodies are bounded. */
@Timeout(120)
class HttpSecurityTest {
  private static final String PREFIX = "sec" + UUID.randomUUID().toString().substring(0, 8);
  private static final Keys KEYS = new Keys(PREFIX);
  private static final String TOKEN = "tok-" + UUID.randomUUID();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static RedisServer redis;
  private static TestRedis rc;
  private static TestNode node;

  @BeforeAll
  static void start() {
    redis = RedisServer.start();
    rc = new TestRedis(redis.url());
    node =
        TestNode.start(
            TestNode.fastSettings(redis.url(), PREFIX)
                .put("nodeId", "guarded")
                .put("handler", new JsonObject().put("errorProbability", 0.0))
                .put("generator", new JsonObject().put("intervalMs", 100_000))
                .put("http", new JsonObject().put("port", 0).put("token", TOKEN)));
    Await.until(
        "the node settles", Duration.ofSeconds(10), () -> node.isGenerator() || node.isHandler());
  }

  @AfterAll
  static void stop() {
    node.close();
    rc.close();
    redis.close();
  }

  @BeforeEach
  void storeTwoErrors() {
    rc.cmd("DEL", KEYS.errors());
    rc.cmd(
        "XADD",
        KEYS.errors(),
        "*",
        "record",
        new JsonObject().put("id", "m1").put("text", "a").encode());
    rc.cmd(
        "XADD",
        KEYS.errors(),
        "*",
        "record",
        new JsonObject().put("id", "m2").put("text", "b").encode());
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return HTTP.send(
          b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path));
  }

  private static HttpResponse<String> drain(String authorization) {
    HttpRequest.Builder b = request("/errors/drain").POST(HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return send(b);
  }

  @Test
  void drainWithoutTheTokenIs401AndDeletesNothing() {
    HttpResponse<String> r = drain(null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(new JsonObject(r.body()).getString("error")).contains("Authorization: Bearer");
    assertThat(r.body()).doesNotContain(TOKEN);

    assertThat(drain("Bearer " + TOKEN + "x").statusCode()).isEqualTo(401);
    assertThat(drain("Bearer " + TOKEN.substring(1)).statusCode()).isEqualTo(401);
    assertThat(drain("Basic " + TOKEN).statusCode()).isEqualTo(401);
    assertThat(drain("Bearer").statusCode()).isEqualTo(401);
    assertThat(rc.num("XLEN", KEYS.errors())).isEqualTo(2);
  }

  @Test
  void drainWithTheTokenWorks() {
    HttpResponse<String> r = drain("Bearer " + TOKEN);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getLong("count")).isEqualTo(2);
    assertThat(rc.num("XLEN", KEYS.errors())).isZero();
    // the scheme is case-insensitive (RFC 7235)
    assertThat(drain("bearer " + TOKEN).statusCode()).isEqualTo(200);
  }

  @Test
  void readsNeedNoToken() {
    assertThat(send(request("/status").GET()).statusCode()).isEqualTo(200);
    assertThat(send(request("/errors").GET()).statusCode()).isEqualTo(200);
    assertThat(send(request("/health").GET()).statusCode()).isEqualTo(200);
    assertThat(send(request("/metrics").GET()).statusCode()).isEqualTo(200);
  }

  @Test
  void everyOtherMethodNeedsTheTokenBeforeAnythingElse() {
    for (String method : new String[] {"DELETE", "PUT", "PATCH", "POST"}) {
      HttpResponse<String> r =
          send(request("/errors").method(method, HttpRequest.BodyPublishers.noBody()));
      assertThat(r.statusCode()).as(method).isEqualTo(401);
    }
    // with the token, the router answers as usual
    assertThat(
            send(request("/errors")
                    .header("Authorization", "Bearer " + TOKEN)
                    .method("DELETE", HttpRequest.BodyPublishers.noBody()))
                .statusCode())
        .isEqualTo(405);
  }

  @Test
  void oversizedBodiesAre413AndDrainNothing() {
    byte[] big = new byte[(int) HttpVerticle.MAX_BODY_BYTES + 1];
    HttpResponse<String> sized =
        send(
            request("/errors/drain")
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)));
    assertThat(sized.statusCode()).isEqualTo(413);
    // without a Content-Length (chunked), the limit holds as the body streams in
    HttpResponse<String> chunked =
        send(
            request("/errors/drain")
                .header("Authorization", "Bearer " + TOKEN)
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(rc.num("XLEN", KEYS.errors())).isEqualTo(2);

    HttpResponse<String> small =
        send(
            request("/errors/drain")
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(small.statusCode()).isEqualTo(200);
  }
}
