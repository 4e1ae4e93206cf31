package dev.baton.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.FreePort;
import dev.baton.config.NodeConfig;
import dev.baton.support.Await;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class EmbeddedRedisTest {
  @TempDir Path dir;

  private final List<Integer> started = new ArrayList<>();

  @AfterEach
  void shutdownServers() {
    for (int port : started) {
      try (TestRedis rc = new TestRedis("redis://127.0.0.1:" + port)) {
        rc.cmd("SHUTDOWN", "NOSAVE");
      } catch (RuntimeException gone) {
        // already stopped
      }
    }
  }

  private static int freePort() throws Exception {
    return FreePort.pick();
  }

  private NodeConfig config(String url, String embedded) {
    return TestNode.config(
        new JsonObject()
            .put(
                "redis",
                new JsonObject()
                    .put("url", url)
                    .put("embedded", embedded)
                    .put("embeddedDir", dir.toString())));
  }

  private Optional<EmbeddedRedis.Started> ensure(NodeConfig config, Map<String, String> env)
      throws Exception {
    Optional<EmbeddedRedis.Started> s = EmbeddedRedis.ensure(config, env);
    s.ifPresent(x -> started.add(x.port()));
    return s;
  }

  @Test
  void startsARealRedisWithAofWhenNothingAnswersAndLaterNodesJustConnect() throws Exception {
    int port = freePort();
    String url = "redis://127.0.0.1:" + port;
    Optional<EmbeddedRedis.Started> s = ensure(config(url, "auto"), System.getenv());
    assertThat(s).isPresent();
    assertThat(EmbeddedRedis.answers("127.0.0.1", port)).isTrue();
    assertThat(ensure(config(url, "auto"), System.getenv()))
        .as("the second node connects")
        .isEmpty();
    try (TestRedis rc = new TestRedis(url)) {
      assertThat(rc.cmd("CONFIG", "GET", "appendonly").toString()).contains("yes");
      assertThat(rc.cmd("CONFIG", "GET", "dir").toString()).contains(dir.toString());
    }
    try (TestNode node = TestNode.start(url, "emb", "e1")) {
      Await.until(
          "the node generates on the embedded Redis", Duration.ofSeconds(10), node::isGenerator);
    }
  }

  @Test
  void dataSurvivesTheServerStoppingBecauseItIsInTheAof() throws Exception {
    int port = freePort();
    String url = "redis://127.0.0.1:" + port;
    ensure(config(url, "auto"), System.getenv());
    try (TestRedis rc = new TestRedis(url)) {
      rc.cmd("XADD", "{baton}:errors", "*", "record", "{}");
      rc.cmd("SHUTDOWN"); // what `redis-cli -p PORT shutdown` does
    } catch (RuntimeException closedByShutdown) {
      // SHUTDOWN closes the connection instead of replying
    }
    Await.until("stopped", Duration.ofSeconds(10), () -> !EmbeddedRedis.answers("127.0.0.1", port));
    assertThat(ensure(config(url, "auto"), System.getenv())).isPresent();
    try (TestRedis rc = new TestRedis(url)) {
      assertThat(rc.num("XLEN", "{baton}:errors")).isEqualTo(1);
    }
  }

  @Test
  void fallsBackToTheBinaryShippedInTheJarWhenNoneIsOnPath() throws Exception {
    int port = freePort();
    Optional<EmbeddedRedis.Started> s =
        ensure(config("redis://127.0.0.1:" + port, "auto"), Map.of("PATH", ""));
    assertThat(s).isPresent();
    assertThat(s.get().binary()).doesNotStartWith("/usr/bin");
    try (TestRedis rc = new TestRedis("redis://127.0.0.1:" + port)) {
      assertThat(rc.str("INFO", "server")).contains("redis_version:6.2");
    }
  }

  @Test
  void leavesRemoteUrlsAndTheOffSettingAlone() throws Exception {
    int port = freePort();
    assertThat(ensure(config("redis://127.0.0.1:" + port, "off"), System.getenv())).isEmpty();
    assertThat(EmbeddedRedis.answers("127.0.0.1", port)).isFalse();
    assertThat(ensure(config("redis://192.0.2.1:" + port, "auto"), System.getenv())).isEmpty();
    assertThat(Files.list(dir)).isEmpty();
  }

  @Test
  void findsRedisServerOnAPathString() {
    assertThat(EmbeddedRedis.findOnPath("/nonexistent:" + System.getenv("PATH"))).isPresent();
    assertThat(EmbeddedRedis.findOnPath("/nonexistent")).isEmpty();
    assertThat(EmbeddedRedis.isLoopback("localhost")).isTrue();
    assertThat(EmbeddedRedis.isLoopback("[::1]")).isTrue();
    assertThat(EmbeddedRedis.isLoopback("192.0.2.1")).isFalse();
  }
}
