package dev.baton.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Await;
import dev.baton.support.NodeProcess;
import dev.baton.support.RedisExtension;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node process with few file descriptors, offered far more connections than it may hold: those
 * past {@code http.maxConnections} are closed at once, a request on a connection it holds is still
 * answered, and its log shows no failed accept (no "Too many open files" stack trace a second).
 */
@Timeout(120)
class HttpConnectionCapIT {
  @RegisterExtension
  static final RedisExtension REDIS = new RedisExtension();
  private static final int FILE_LIMIT = 400;
  private static final int OFFERED = 2 * FILE_LIMIT;

  @Test
  void connectionsPastTheCapNeverExhaustTheDescriptors() throws Exception {
    String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    try (NodeProcess node = NodeProcess.startWithFileLimit(FILE_LIMIT, Map.of(
        "BATON_REDIS_URL", REDIS.url(), "BATON_REDIS_KEY_PREFIX", prefix, "BATON_REDIS_EMBEDDED", "off",
        "BATON_HTTP_MAX_CONNECTIONS", "100"), "-conf", "conf/node.json")) {
      Await.until("the node answers", Duration.ofSeconds(60), () -> health(node) == 200);
      List<Socket> sockets = new ArrayList<>();
      try {
        Socket kept = new Socket("127.0.0.1", node.httpPort());
        sockets.add(kept);
        assertThat(status(exchange(kept))).isEqualTo(200);
        for (int i = 0; i < OFFERED; i++) {
          try {
            sockets.add(new Socket("127.0.0.1", node.httpPort()));
          } catch (IOException refused) {
            // the accept queue is full for a moment: refused is as good as closed
          }
        }
        assertThat(status(exchange(kept))).as("a held connection is still served").isEqualTo(200);
        assertThat(health(node)).as("and a new one, once others closed").isEqualTo(200);
      } finally {
        for (Socket s : sockets) {
          s.close();
        }
      }
      Await.until("the node still answers after the flood", Duration.ofSeconds(30), () -> health(node) == 200);
      String log = node.log();
      assertThat(log).doesNotContain("Too many open files").doesNotContain("Exception");
    }
  }

  private static int health(NodeProcess node) {
    try (Socket s = new Socket("127.0.0.1", node.httpPort())) {
      s.setSoTimeout(10_000);
      return status(exchange(s));
    } catch (IOException e) {
      return -1;
    }
  }

  private static String exchange(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("closed");
      }
      head.append((char) c);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return head.toString();
  }

  private static int status(String answer) {
    return Integer.parseInt(answer.substring(9, 12));
  }
}
