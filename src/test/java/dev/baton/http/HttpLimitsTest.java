package dev.baton.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP server's own limits, spoken to over raw sockets: idle and slow connections are closed,
 * connections past the cap are closed at once while open ones keep being served, every GET resource
 * answers HEAD, a 405 says what is allowed, and numbers and cursors are checked strictly before
 * Redis is asked.
 */
@Timeout(120)
class HttpLimitsTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  private static final String PREFIX = "t" + UUID.randomUUID().toString().substring(0, 8);
  private static final Keys KEYS = new Keys(PREFIX);
  private static final int MAX_CONNECTIONS = 12;

  /** Short connection timeouts: the slow-client tests. */
  private static TestNode impatient;

  /**
   * Long ones: the cap and the request tests, which must not lose their connections to a timeout.
   */
  private static TestNode patient;

  @BeforeAll
  static void start() {
    impatient =
        TestNode.start(
            TestNode.fastSettings(REDIS.url(), PREFIX)
                .put("nodeId", "impatient")
                .put(
                    "http",
                    new JsonObject()
                        .put("port", 0)
                        .put("idleTimeoutMs", 1000)
                        .put("requestTimeoutMs", 2000)));
    patient =
        TestNode.start(
            TestNode.fastSettings(REDIS.url(), PREFIX)
                .put("nodeId", "patient")
                .put(
                    "http",
                    new JsonObject()
                        .put("port", 0)
                        .put("maxConnections", MAX_CONNECTIONS)
                        .put("idleTimeoutMs", 120_000)
                        .put("requestTimeoutMs", 120_000)));
  }

  @AfterAll
  static void stop() {
    patient.close();
    impatient.close();
  }

  private static Socket connect(TestNode node) throws IOException {
    Socket s = new Socket("127.0.0.1", node.httpPort());
    s.setSoTimeout(30_000);
    return s;
  }

  /**
   * True once the server closed the socket (end of stream or reset), reading whatever comes first.
   */
  private static boolean closedByServer(Socket s) {
    try {
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      while (true) {
        if (in.read(buf) < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  /** One request on an open socket; the answer's status line, headers and body. */
  private static String exchange(Socket s, String request) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("closed after " + head);
      }
      head.append((char) c);
    }
    String h = head.toString();
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    boolean isHead = request.startsWith("HEAD ");
    byte[] body = isHead ? new byte[0] : in.readNBytes(length);
    return h + new String(body, StandardCharsets.UTF_8);
  }

  private static String get(TestNode node, String pathAndQuery) throws IOException {
    try (Socket s = connect(node)) {
      return exchange(
          s, "GET " + pathAndQuery + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }
  }

  private static int status(String answer) {
    return Integer.parseInt(answer.substring(9, 12));
  }

  @Test
  void anIdleConnectionIsClosed() throws IOException {
    try (Socket s = connect(impatient)) {
      assertThat(closedByServer(s))
          .as("closed by the node before the client gave up (30 s)")
          .isTrue();
    }
  }

  @Test
  void aClientTricklingItsHeadersIsCutOff() throws Exception {
    try (Socket s = connect(impatient)) {
      OutputStream out = s.getOutputStream();
      out.write("GET /status HTTP/1.1\r\n".getBytes(StandardCharsets.ISO_8859_1));
      // a header byte every 100 ms: the connection is never idle, its request never complete
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      boolean cut = false;
      int i = 0;
      while (!cut && System.nanoTime() < deadline) {
        try {
          out.write((i++ % 50 == 49 ? "\r\nX-Slow: " : "a").getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
        } catch (IOException e) {
          cut = true;
          break;
        }
        s.setSoTimeout(100);
        try {
          cut = s.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
          // still open: trickle on
        } catch (IOException e) {
          cut = true;
        }
      }
      assertThat(cut).as("the node closed a connection whose headers never ended").isTrue();
    }
  }

  @Test
  void connectionsPastTheCapAreClosedWhileOpenOnesAreStillServed() throws IOException {
    List<Socket> open = new ArrayList<>();
    try {
      Socket first = connect(patient);
      open.add(first);
      assertThat(status(exchange(first, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"))).isEqualTo(200);
      for (int i = 1; i < MAX_CONNECTIONS; i++) {
        open.add(connect(patient));
      }
      // the node counts a connection once it has accepted it; wait until all are counted
      Await.until(
          "the node holds the first " + MAX_CONNECTIONS,
          Duration.ofSeconds(10),
          () -> patient.httpConnections() == MAX_CONNECTIONS);
      long refusedBefore = patient.httpRefusedConnections();
      for (int i = 0; i < 3 * MAX_CONNECTIONS; i++) {
        Socket extra = connect(patient);
        open.add(extra);
        extra.setSoTimeout(10_000);
        assertThat(closedByServer(extra))
            .as("connection " + (MAX_CONNECTIONS + i + 1) + " is closed at once")
            .isTrue();
      }
      assertThat(patient.httpRefusedConnections() - refusedBefore).isEqualTo(3 * MAX_CONNECTIONS);
      String health = exchange(first, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(status(health)).as("an open connection is still served").isEqualTo(200);
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
    Await.until(
        "closed connections are counted out",
        Duration.ofSeconds(10),
        () -> patient.httpConnections() == 0);
    assertThat(status(get(patient, "/health")))
        .as("new connections are welcome again")
        .isEqualTo(200);
  }

  @Test
  void everyGetResourceAnswersHeadWithItsHeadersAndNoBody() throws IOException {
    for (String path :
        List.of(
            "/status",
            "/health",
            "/errors",
            "/latency",
            "/metrics",
            "/",
            "/events",
            "/assets/dashboard.js")) {
      try (Socket s = connect(patient)) {
        String answer =
            exchange(s, "HEAD " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(status(answer)).as("HEAD " + path).isEqualTo(200);
        assertThat(answer).as(path).endsWith("\r\n\r\n");
        s.setSoTimeout(10_000);
        assertThat(s.getInputStream().read()).as("no body after the head of " + path).isEqualTo(-1);
      }
    }
  }

  @Test
  void a405NamesTheMethodsThePathTakes() throws IOException {
    try (Socket s = connect(patient)) {
      String answer =
          exchange(s, "DELETE /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(status(answer)).isEqualTo(405);
      assertThat(answer).containsIgnoringCase("allow: GET, HEAD\r\n");
    }
    try (Socket s = connect(patient)) {
      String answer =
          exchange(s, "GET /errors/drain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(status(answer)).isEqualTo(405);
      assertThat(answer).containsIgnoringCase("allow: POST\r\n");
    }
  }

  @Test
  void aChunkedBodyOverTheLimitIs413() throws IOException {
    try (Socket s = connect(patient)) {
      // one chunk one byte over the limit, sent in full (so the node has read all that was sent
      // when it answers) and never ended: the node must answer without waiting for the rest
      String head =
          "POST /errors/drain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
              + "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
              + Long.toHexString(HttpVerticle.MAX_BODY_BYTES + 1)
              + "\r\n";
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      byte[] body = new byte[(int) HttpVerticle.MAX_BODY_BYTES + 1];
      Arrays.fill(body, (byte) 'a');
      out.write(body);
      out.flush();
      String answer = exchange(s, "");
      assertThat(status(answer)).as(answer).isEqualTo(413);
      assertThat(answer).containsIgnoringCase("connection: close");
    }
  }

  @Test
  void aMalformedChunkIs400WithoutAStackTrace() throws IOException {
    try (Socket s = connect(patient)) {
      String request =
          "POST /errors/drain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "ffffffffffffffffff\r\n";
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      byte[] answer;
      try {
        answer = s.getInputStream().readAllBytes();
      } catch (IOException reset) {
        answer = new byte[0];
      }
      String text = new String(answer, StandardCharsets.ISO_8859_1);
      assertThat(text.isEmpty() || status(text) == 400).as(text).isTrue();
    }
    assertThat(status(get(patient, "/health"))).isEqualTo(200);
  }

  @Test
  void numbersMustBePlainDigits() throws IOException {
    for (String limit :
        List.of(
            "%2B5",
            "+5",
            "%205",
            "5%20",
            "05",
            "00",
            "-0",
            "1e3",
            "0x10",
            "5.0",
            "99999999999999999999999")) {
      String answer = get(patient, "/errors?limit=" + limit);
      assertThat(status(answer)).as("limit=" + limit).isEqualTo(400);
      assertThat(answer).contains("limit");
    }
    assertThat(status(get(patient, "/errors?limit=5"))).isEqualTo(200);
  }

  @Test
  void cursorsOutsideStreamIdsAre400AndTheLastIdIsAnEmptyPage() throws IOException {
    for (String cursor :
        List.of(
            "18446744073709551616-0",
            "0-18446744073709551616",
            "99999999999999999999-1",
            "01-0",
            "1-01",
            "-1-0",
            "1-")) {
      String answer = get(patient, "/errors?cursor=" + cursor);
      assertThat(status(answer)).as("cursor=" + cursor).isEqualTo(400);
      assertThat(answer).as(cursor).contains("cursor").doesNotContain("Redis");
    }
    String last = get(patient, "/errors?cursor=18446744073709551615-18446744073709551615");
    assertThat(status(last)).isEqualTo(200);
    assertThat(last).contains("\"count\":0");
  }

  @Test
  void redisErrorRepliesAreRefusalsNotOutages() throws IOException {
    REDIS.client().cmd("DEL", KEYS.errors());
    REDIS.client().cmd("SET", KEYS.errors(), "not a stream");
    try {
      String answer = get(patient, "/errors");
      assertThat(status(answer)).isEqualTo(503);
      assertThat(answer)
          .contains("Redis refuses: WRONGTYPE")
          .doesNotContain("unavailable")
          .containsIgnoringCase("retry-after: 1\r\n");
    } finally {
      REDIS.client().cmd("DEL", KEYS.errors());
      // /health reports the refusals of the last few seconds: leave the node healthy for the next
      // test
      Await.until(
          "the refusals have passed",
          Duration.ofSeconds(30),
          () -> {
            try {
              return status(get(patient, "/health")) == 200;
            } catch (IOException e) {
              return false;
            }
          });
    }
  }
}
