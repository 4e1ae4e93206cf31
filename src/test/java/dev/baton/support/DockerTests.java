package dev.baton.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Gate of the container tests (put {@code @ExtendWith(DockerTests.class)} before
 * {@code @Testcontainers}), as {@link Browser} is for the browser tests. Where no Docker engine
 * answers they are skipped at once (Testcontainers' probe, well under a second). Under {@code
 * REQUIRE_DOCKER_TESTS=1}, set by {@code .ci/run} after it started an engine that has the base
 * images but no registry, they must run: no engine fails them, and so does Ryuk left on (its image
 * would be pulled, retried for minutes); {@link #pull()} is then false, so compose never pulls
 * either. Elsewhere they behave as any Testcontainers test.
 */
public final class DockerTests implements ExecutionCondition {
  public static final boolean REQUIRED = "1".equals(System.getenv("REQUIRE_DOCKER_TESTS"));
  private static final String HOW =
      "bash .ci/run starts one as root (../shared/containers/engine.sh and "
          + "eval \"$(engine.sh env)\")";

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (REQUIRED && !"true".equals(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))) {
      throw new AssertionError(
          "REQUIRE_DOCKER_TESTS=1 means an engine without a registry, and Ryuk's image would be "
              + "pulled: set TESTCONTAINERS_RYUK_DISABLED=true (engine.sh env prints it)");
    }
    if (DockerClientFactory.instance().isDockerAvailable()) {
      return ConditionEvaluationResult.enabled("a Docker engine answers");
    }
    String why = "The container tests need a Docker engine and none answers; " + HOW;
    if (REQUIRED) {
      throw new AssertionError(why + ". REQUIRE_DOCKER_TESTS=1: they must run here");
    }
    return ConditionEvaluationResult.disabled(why);
  }

  /** Whether images may be pulled: not under REQUIRE_DOCKER_TESTS=1, where no registry answers. */
  public static boolean pull() {
    return !REQUIRED;
  }

  /** What a command printed (stdout and stderr together) and its exit code. */
  public record Result(int exit, String output) {}

  /**
   * Runs a command (docker, docker compose) as a user would type it, with the test's environment
   * minus {@code without} plus {@code extra}; fails if it runs longer than {@code timeoutS}.
   */
  public static Result run(
      Map<String, String> extra, List<String> without, long timeoutS, String... command) {
    try {
      Path out = Files.createTempFile("baton-docker-", ".log");
      try {
        ProcessBuilder pb =
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        without.forEach(pb.environment()::remove);
        pb.environment().putAll(extra);
        Process p = pb.start();
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError(
              String.join(" ", command)
                  + ": still running after "
                  + timeoutS
                  + " s\n"
                  + Files.readString(out, StandardCharsets.UTF_8));
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

  /** {@link #run} that must exit 0; returns the output. */
  public static String ok(String... command) {
    Result r = run(Map.of(), List.of(), 300, command);
    if (r.exit() != 0) {
      throw new AssertionError(
          String.join(" ", command) + " exited " + r.exit() + ":\n" + r.output());
    }
    return r.output();
  }

  /** {@code docker compose -p PROJECT -f FILE...} followed by {@code args}. */
  public static String[] compose(String project, List<Path> files, String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker", "compose", "-p", project));
    files.forEach(f -> cmd.addAll(List.of("-f", f.toString())));
    cmd.addAll(List.of(args));
    return cmd.toArray(String[]::new);
  }
}
