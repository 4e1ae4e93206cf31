package dev.baton.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.NodeProcess;
import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisExtension;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** getErrors as users run it: the fat jar, output redirected, sometimes killed half-way. */
@Timeout(300)
class GetErrorsIT {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  private final String prefix = "it" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  @TempDir Path tmp;

  /** Stores n error records server-side, 100 000 per script call. */
  private void storeErrors(int n) {
    String script =
        "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do "
            + "redis.call('XADD', KEYS[1], '*', 'record', '{\"id\":\"m' .. i .. '\",\"gen\":\"g\",\"epoch\":1,\"seq\":' .. i "
            + ".. ',\"ts\":1700000000000,\"text\":\"amber anchor apple ' .. i .. '\",\"handler\":\"h\",\"detectedAt\":1700000000001}') "
            + "end return 1";
    for (int from = 0; from < n; from += 100_000) {
      REDIS
          .client()
          .cmd(
              "EVAL",
              script,
              "1",
              keys.errors(),
              Integer.toString(from),
              Integer.toString(Math.min(n, from + 100_000) - 1));
    }
  }

  private Process getErrors(Path out, Path err, String maxHeap, String... extra)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                NodeProcess.javaBin(),
                "-Xmx" + maxHeap,
                "-jar",
                NodeProcess.JAR.toString(),
                "getErrors",
                "-conf",
                "conf/node.json"));
    cmd.addAll(List.of(extra));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("BATON_REDIS_URL", REDIS.url());
    pb.environment().put("BATON_REDIS_KEY_PREFIX", prefix);
    return pb.start();
  }

  /** Message ids of the complete lines (a killed run may have cut its last line). */
  private static List<String> messageIds(Path jsonLines) throws IOException {
    List<String> lines = Files.readAllLines(jsonLines);
    if (!Files.readString(jsonLines).endsWith("\n") && !lines.isEmpty()) {
      lines = lines.subList(0, lines.size() - 1);
    }
    return lines.stream().map(l -> new JsonObject(l).getString("id")).toList();
  }

  @Test
  void aMillionStoredErrorsDrainInBoundedMemory() throws Exception {
    storeErrors(1_000_000);
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    Process p = getErrors(out, err, "48m");
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(err)).isZero();
    try (Stream<String> lines = Files.lines(out)) {
      assertThat(lines.count()).isEqualTo(1_000_000);
    }
    assertThat(Files.readString(err)).contains("1000000 errors printed");
    assertThat(REDIS.client().num("XLEN", keys.errors())).isZero();
  }

  @Test
  void aRunKilledHalfWayLosesNothingTheNextRunPrintsTheRest() throws Exception {
    storeErrors(200_000);
    Path out1 = tmp.resolve("out1.jsonl");
    Process first = getErrors(out1, tmp.resolve("err1.txt"), "128m", "--json");
    Await.until(
        "the first run printed a good part", Duration.ofSeconds(60), () -> size(out1) > 5_000_000);
    first.destroyForcibly(); // SIGKILL half-way
    first.waitFor(10, TimeUnit.SECONDS);
    assertThat(REDIS.client().num("XLEN", keys.errors()))
        .as("the first run did not finish")
        .isPositive();

    Path out2 = tmp.resolve("out2.jsonl");
    Process second = getErrors(out2, tmp.resolve("err2.txt"), "128m", "--json");
    assertThat(second.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).isZero();

    List<String> printed = new ArrayList<>(messageIds(out1));
    printed.addAll(messageIds(out2));
    Set<String> distinct = new HashSet<>(printed);
    assertThat(distinct).hasSize(200_000);
    // at most the batch that was printed but not yet deleted when the kill came is printed twice
    assertThat(printed.size() - distinct.size()).isLessThanOrEqualTo(Drainer.DEFAULT_BATCH);
    assertThat(REDIS.client().num("XLEN", keys.errors())).isZero();
  }

  @Test
  void concurrentRunsNeverPrintTheSameError() throws Exception {
    storeErrors(60_000);
    List<Process> runs = new ArrayList<>();
    List<Path> outs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Path out = tmp.resolve("c" + i + ".jsonl");
      outs.add(out);
      runs.add(getErrors(out, tmp.resolve("c" + i + ".err"), "128m", "--json"));
    }
    for (Process p : runs) {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isZero();
    }
    List<String> all = new ArrayList<>();
    for (Path out : outs) {
      all.addAll(messageIds(out));
    }
    assertThat(all).hasSize(60_000).doesNotHaveDuplicates();
  }

  private static long size(Path p) {
    try {
      return Files.exists(p) ? Files.size(p) : 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
