package dev.baton.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's {@code prometheus} package ({@code /usr/bin/prometheus}, {@code /usr/bin/promtool}), for
 * the tests of monitoring/. As {@link Browser} does for Chromium: where it is missing the test is
 * skipped with the command that installs it, unless {@code REQUIRE_PROMETHEUS_TESTS=1} (set by
 * {@code .ci/run}, which installs the package): then it fails. Other paths: {@code
 * -Dbaton.prometheus=... -Dbaton.promtool=...}.
 */
public final class PrometheusTools {
  public static final Path PROMETHEUS =
      Path.of(System.getProperty("baton.prometheus", "/usr/bin/prometheus"));
  public static final Path PROMTOOL =
      Path.of(System.getProperty("baton.promtool", "/usr/bin/promtool"));

  private PrometheusTools() {}

  /** Skips (or, under REQUIRE_PROMETHEUS_TESTS=1, fails) the test unless {@code binary} runs. */
  public static Path require(Path binary) {
    if (!Files.isExecutable(binary)) {
      String why =
          "The monitoring tests need Prometheus and promtool, and "
              + binary
              + " is missing. On Debian/Ubuntu: apt-get install -y --no-install-recommends"
              + " prometheus (bash .ci/run does this); elsewhere pass -Dbaton.prometheus=PATH"
              + " -Dbaton.promtool=PATH.";
      if ("1".equals(System.getenv("REQUIRE_PROMETHEUS_TESTS"))) {
        throw new AssertionError(why);
      }
      Assumptions.abort(why);
    }
    return binary;
  }

  /** What a command printed (stdout and stderr together) and its exit code. */
  public record Result(int exit, String output) {}

  /** Runs {@code promtool args...}; fails the test if it runs longer than a minute. */
  public static Result promtool(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(require(PROMTOOL).toString());
    cmd.addAll(List.of(args));
    try {
      Path out = Files.createTempFile("baton-promtool-", ".log");
      try {
        Process p =
            new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new AssertionError(String.join(" ", cmd) + ": still running after 60 s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
