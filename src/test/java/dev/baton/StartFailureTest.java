package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.tool.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that cannot listen where its settings say exits with the configuration error code (2), and
 * its message names the setting to change, as the README's exit codes promise.
 */
@Timeout(60)
class StartFailureTest {
  @TempDir Path tmp;

  private record Outcome(int code, String err) {}

  private Outcome run(String httpJson) throws Exception {
    Path conf = tmp.resolve("node-" + System.nanoTime() + ".json");
    // Redis is never reached: the HTTP server starts first
    Files.writeString(
        conf,
        "{\"redis\": {\"url\": \"redis://127.0.0.1:1\", \"embedded\": \"off\"}, \"http\": "
            + httpJson
            + "}");
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      int code = Main.commandLine().execute("-conf", conf.toString());
      return new Outcome(code, captured.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }

  @Test
  void aPortInUseIsAConfigurationErrorNamingHttpPort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Outcome o = run("{\"host\": \"127.0.0.1\", \"port\": " + taken.getLocalPort() + "}");
      assertThat(o.code()).as(o.err()).isEqualTo(ExitCodes.CONFIG);
      assertThat(o.err()).contains("http.port").contains("in use");
    }
  }

  @Test
  void aHostThatIsNotOfThisMachineIsAConfigurationErrorNamingHttpHost() throws Exception {
    // TEST-NET-1 (RFC 5737): never an address of this machine; binding sends nothing anywhere
    Outcome o = run("{\"host\": \"192.0.2.1\", \"port\": 0}");
    assertThat(o.code()).as(o.err()).isEqualTo(ExitCodes.CONFIG);
    assertThat(o.err()).contains("http.host").contains("192.0.2.1");
  }

  @Test
  void aHostThatIsNoHostNameIsRefusedBeforeStarting() throws Exception {
    Outcome o = run("{\"host\": \"local host!\", \"port\": 0}");
    assertThat(o.code()).as(o.err()).isEqualTo(ExitCodes.CONFIG);
    assertThat(o.err()).contains("http.host: must be a host name or an IP address");
  }
}
