package dev.baton.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code rediss://} against a local {@code redis-server --port 0 --tls-port ...} that requires a
 * client certificate and a password, with a CA and certificates made here with openssl.
 */
@Timeout(120)
class TlsTest {
  private static final String PASSWORD = "tls-pass-" + UUID.randomUUID();
  private static Path dir;
  private static Process redis;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("baton-tls-");
    ca("ca");
    ca("other-ca");
    cert("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    cert("client", "ca", "extendedKeyUsage=clientAuth");
    Files.writeString(dir.resolve("password"), PASSWORD + "\n");
    port = RedisServer.freePort();
    redis =
        new ProcessBuilder(
                RedisServer.binary(),
                "--port",
                "0",
                "--tls-port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1 127.0.0.2",
                "--tls-cert-file",
                file("server.crt"),
                "--tls-key-file",
                file("server.key"),
                "--tls-ca-cert-file",
                file("ca.crt"),
                "--tls-auth-clients",
                "yes",
                "--requirepass",
                PASSWORD,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    Await.until(
        "redis-server listens with TLS",
        Duration.ofSeconds(10),
        () -> EmbeddedRedis.answers("127.0.0.1", port) || !redis.isAlive());
    assertThat(redis.isAlive())
        .as("redis-server with TLS: " + Files.readString(dir.resolve("redis.log")))
        .isTrue();
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      redis.destroyForcibly();
      redis.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String file(String name) {
    return dir.resolve(name).toString();
  }

  private static void openssl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(String.join(" ", cmd) + "\n" + out).isZero();
  }

  private static void ca(String name) throws Exception {
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=baton test " + name,
        "-keyout",
        name + ".key",
        "-out",
        name + ".crt");
  }

  private static void cert(String name, String ca, String extension) throws Exception {
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=" + name,
        "-keyout",
        name + ".key",
        "-out",
        name + ".csr");
    Files.writeString(dir.resolve(name + ".ext"), extension + "\n");
    openssl(
        "x509",
        "-req",
        "-in",
        name + ".csr",
        "-CA",
        ca + ".crt",
        "-CAkey",
        ca + ".key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        name + ".ext",
        "-out",
        name + ".crt");
  }

  private static JsonObject settings(String id, String host, String caFile) {
    JsonObject s =
        TestNode.fastSettings("rediss://" + host + ":" + port, "tls" + id).put("nodeId", id);
    s.getJsonObject("redis")
        .put("passwordFile", file("password"))
        .put(
            "tls",
            new JsonObject()
                .put("caFile", caFile)
                .put("certFile", file("client.crt"))
                .put("keyFile", file("client.key")));
    return s;
  }

  private static int health(TestNode node) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/health"))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .statusCode();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void nodesWorkOverMutualTlsWithAPasswordFromAFile() {
    try (TestNode a = TestNode.start(settings("tls-a", "127.0.0.1", file("ca.crt")));
        TestNode b =
            TestNode.start(settings("tls-a", "localhost", file("ca.crt")).put("nodeId", "tls-b"))) {
      Await.until(
          "one generator and one handler",
          Duration.ofSeconds(20),
          () -> a.isGenerator() != b.isGenerator() && (a.isHandler() || b.isHandler()));
      TestNode handler = a.isHandler() ? a : b;
      Await.until(
          "messages handled over TLS",
          Duration.ofSeconds(20),
          () -> handler.state().counters().processed.get() > 10);
      assertThat(health(a)).isEqualTo(200);
      assertThat(a.state().redis().outages().get() + b.state().redis().outages().get()).isZero();
    }
  }

  @Test
  void anUntrustedServerCertificateIsAnOutageNotACrash() {
    try (TestNode n =
        TestNode.start(settings("tls-untrusting", "127.0.0.1", file("other-ca.crt")))) {
      Await.until(
          "Redis reported unreachable", Duration.ofSeconds(20), () -> !n.state().redis().up());
      assertThat(n.state().redis().problem()).isNotBlank();
      assertThat(health(n)).isEqualTo(503);
      assertThat(n.isGenerator()).isFalse();
    }
  }

  @Test
  void theServerCertificateMustNameTheHost() throws Exception {
    // the certificate names 127.0.0.1 and localhost; 127.0.0.2 reaches the same server under
    // another name
    JsonObject wrongName = settings("tls-wrong-host", "127.0.0.2", file("ca.crt"));
    try (TestNode n = TestNode.start(wrongName)) {
      Await.until(
          "Redis reported unreachable", Duration.ofSeconds(20), () -> !n.state().redis().up());
      assertThat(n.isGenerator()).isFalse();
    }
    wrongName.getJsonObject("redis").getJsonObject("tls").put("verifyHost", false);
    try (TestNode n = TestNode.start(wrongName.put("nodeId", "tls-no-verify"))) {
      Await.until("elected without host verification", Duration.ofSeconds(20), n::isGenerator);
    }
  }
}
