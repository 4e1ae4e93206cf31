package dev.baton.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.RedisExtension;
import dev.baton.tool.ExitCodes;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(60)
class GetErrorsCommandTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @TempDir Path tmp;

  private Path conf(String url) throws Exception {
    Path f = tmp.resolve("node.json");
    Files.writeString(
        f,
        new JsonObject()
            .put("redis", new JsonObject().put("url", url).put("keyPrefix", prefix))
            .encode());
    return f;
  }

  private int run(String... args) {
    GetErrorsCommand command =
        new GetErrorsCommand(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new CommandLine(command).execute(args);
  }

  private void storeError(String id, long ts, String text) {
    REDIS
        .client()
        .cmd(
            "XADD",
            keys.errors(),
            "*",
            "record",
            new JsonObject()
                .put("id", id)
                .put("gen", "g")
                .put("epoch", 3)
                .put("seq", 9)
                .put("ts", ts)
                .put("text", text)
                .put("handler", "h")
                .put("detectedAt", ts + 5)
                .encode());
  }

  @Test
  void printsOneLinePerErrorCountsOnStderrDeletesThemAndExitsZero() throws Exception {
    storeError("1700000000000-0", 1_700_000_000_000L, "amber anchor apple");
    storeError("1700000000500-0", 1_700_000_000_500L, "tab\there");
    int code = run("-conf", conf(REDIS.url()).toString());
    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8).lines().toList())
        .containsExactly(
            "1700000000000-0\t2023-11-14T22:13:20Z\tamber anchor apple",
            "1700000000500-0\t2023-11-14T22:13:20.500Z\ttab\\there");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("2 errors printed");
    assertThat(REDIS.client().num("XLEN", keys.errors())).isZero();
  }

  @Test
  void jsonLinesCarryEveryField() throws Exception {
    storeError("1700000000000-0", 1_700_000_000_000L, "amber");
    assertThat(run("--json", "-conf", conf(REDIS.url()).toString())).isZero();
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(1);
    JsonObject o = new JsonObject(lines.get(0));
    assertThat(o.fieldNames())
        .contains("id", "gen", "epoch", "seq", "ts", "text", "handler", "detectedAt", "errorId");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("1 error printed");
  }

  @Test
  void aClosedStandardOutputExitsThreeAndKeepsTheErrors() throws Exception {
    storeError("1700000000000-0", 1_700_000_000_000L, "amber");
    OutputStream closed =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("Broken pipe");
          }
        };
    GetErrorsCommand command =
        new GetErrorsCommand(
            new PrintStream(closed, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    int code = new CommandLine(command).execute("-conf", conf(REDIS.url()).toString());
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(3);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("standard output is closed");
    assertThat(REDIS.client().num("XLEN", keys.errors()))
        .as("nothing printed, nothing deleted")
        .isEqualTo(1);
  }

  @Test
  void nothingStoredPrintsNothingAndExitsZero() throws Exception {
    assertThat(run("-conf", conf(REDIS.url()).toString())).isZero();
    assertThat(out.size()).isZero();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("0 errors printed");
  }

  @Test
  void unreachableRedisExitsNonZeroWithAOneLineReasonWithinSeconds() throws Exception {
    long start = System.nanoTime();
    int code = run("-conf", conf("redis://127.0.0.1:1").toString());
    assertThat(code).isEqualTo(ExitCodes.REDIS);
    String message = err.toString(StandardCharsets.UTF_8).trim();
    assertThat(message)
        .startsWith("getErrors: cannot reach Redis at redis://127.0.0.1:1")
        .doesNotContain("\n");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(20_000);
  }

  @Test
  void badConfigurationExitsWithTheConfigCodeAndNamesTheProblem() throws Exception {
    Path f = tmp.resolve("bad.json");
    Files.writeString(f, "{\"redis\": {\"url\": 7}}");
    assertThat(run("-conf", f.toString())).isEqualTo(ExitCodes.CONFIG);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("redis.url: must be a string");
  }
}
