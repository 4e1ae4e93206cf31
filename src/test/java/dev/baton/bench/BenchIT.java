package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's modes run end to end from the jar (small sizes: this proves they work, not
 * speed).
 */
@Timeout(600)
class BenchIT {
  @TempDir Path tmp;

  private JsonObject bench(String... args) throws Exception {
    Path report = tmp.resolve("report.json");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                NodeProcess.javaBin(),
                "-jar",
                NodeProcess.JAR.toString(),
                "bench",
                "--out",
                report.toString(),
                "--heap",
                "192m"));
    cmd.addAll(List.of(args));
    Path log = tmp.resolve("bench.log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(500, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(log)).isZero();
    return new JsonObject(Files.readString(report));
  }

  @Test
  void throughputRunsWithAndWithoutTheLedgerAndVerifiesNothingWasLost() throws Exception {
    JsonObject r = bench("--messages", "20000", "--batch", "200").getJsonObject("throughput");
    assertThat(r.getDouble("rawXaddPerSecond")).isPositive();
    JsonArray runs = r.getJsonArray("runs");
    assertThat(runs).hasSize(2);
    JsonObject plain = runs.getJsonObject(0);
    JsonObject audited = runs.getJsonObject(1);
    assertThat(plain.getBoolean("ledger")).isFalse();
    assertThat(plain.getDouble("messagesPerSecond")).isPositive();
    assertThat(plain.getJsonObject("latencyMs").getLong("count")).isEqualTo(20_000);
    assertThat(plain.getJsonObject("cpuSeconds").fieldNames()).contains("redis", "gen", "h1", "h2");
    assertThat(plain.getJsonObject("peakRssMb").getDouble("h1")).isPositive();
    JsonObject v = audited.getJsonObject("verify");
    assertThat(v.getLong("published")).isEqualTo(20_000);
    assertThat(v.getLong("lost")).isZero();
    assertThat(v.getLong("duplicated")).isZero();
  }

  @Test
  void pluginsModeComparesEachFormWithTheSameWorkWithoutBaton() throws Exception {
    JsonObject r =
        bench(
                "--plugins",
                "--plugin-seconds",
                "1",
                "--plugin-concurrency",
                "8",
                "--messages",
                "5000",
                "--cadence-seconds",
                "3")
            .getJsonObject("plugins");
    JsonArray http = r.getJsonArray("http");
    assertThat(http).hasSize(2);
    for (int i = 0; i < http.size(); i++) {
      JsonObject h = http.getJsonObject(i);
      assertThat(h.getDouble("wrkRequestsPerSecond")).isPositive();
      assertThat(h.getDouble("batonMessagesPerSecond")).isPositive();
      assertThat(h.getJsonObject("baton").getJsonObject("cpuSeconds").getDouble("h1")).isPositive();
    }
    assertThat(r.getJsonObject("command").getDouble("fromFileLinesPerSecond")).isPositive();
    assertThat(r.getJsonObject("command").getDouble("batonMessagesPerSecond")).isPositive();
    assertThat(r.getJsonObject("java").getDouble("pluginMessagesPerSecond")).isPositive();
    assertThat(r.getJsonObject("java").getDouble("judgeMessagesPerSecond")).isPositive();
    JsonArray cadence = r.getJsonArray("cadence");
    assertThat(cadence)
        .extracting(c -> ((JsonObject) c).getString("form"))
        .containsExactly("random", "java", "http", "command");
    for (int i = 0; i < cadence.size(); i++) {
      assertThat(cadence.getJsonObject(i).getJsonObject("publishToCommitMs").getLong("count"))
          .isPositive();
    }
    // the http and command forms wait for their plug-in: their attempts are timed
    assertThat(cadence.getJsonObject(2).getJsonObject("pluginAttemptMs").getLong("count"))
        .isPositive();
  }

  @Test
  void cadenceModeReportsLatencyRestingCostAndCoordinationTraffic() throws Exception {
    JsonObject c = bench("--cadence", "--cadence-seconds", "10").getJsonObject("cadence");
    assertThat(c.getJsonObject("latencyMs").getLong("count")).isGreaterThanOrEqualTo(8);
    assertThat(c.getJsonObject("nodes").fieldNames()).contains("gen", "h1", "h2");
    assertThat(c.getJsonObject("commands").getLong("heartbeat")).isPositive();
    assertThat(c.getJsonObject("coordinationCommandsPerSecond").getDouble("perIdleHandler"))
        .isPositive();
  }

  @Test
  void failoverModeTimesTakeoversAndClaimsByPresence() throws Exception {
    JsonObject f = bench("--failover", "1").getJsonObject("failover");
    JsonObject gen = f.getJsonObject("generatorKill");
    assertThat(gen.getJsonArray("ms")).hasSize(1);
    assertThat(gen.getJsonArray("runs").getJsonObject(0).getBoolean("byPresence")).isTrue();
    assertThat(gen.getLong("median")).isPositive();
    JsonObject handler = f.getJsonObject("handlerKill");
    assertThat(handler.getJsonArray("runs").getJsonObject(0).getLong("messages")).isPositive();
    assertThat(handler.getLong("max")).isNotNegative();
    JsonObject perNode = f.getJsonObject("idle").getJsonObject("perNode");
    assertThat(perNode.fieldNames()).hasSize(4);
    assertThat(perNode.stream().filter(e -> ((JsonObject) e.getValue()).getBoolean("watcher")))
        .hasSize(2);
  }

  @Test
  void scaleModeKeepsOneGeneratorAndFailsOver() throws Exception {
    JsonArray s = bench("--scale", "3,6", "--scale-seconds", "3").getJsonArray("scale");
    assertThat(s).hasSize(2);
    for (int i = 0; i < s.size(); i++) {
      JsonObject size = s.getJsonObject(i);
      assertThat(size.getLong("maxGeneratorsSeen")).isEqualTo(1);
      assertThat(size.getLong("gracefulFailoverMs")).isNotNegative();
      assertThat(size.getDouble("coordinationCommandsPerSecondPerNode")).isPositive();
    }
  }
}
