package dev.baton.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.baton.api.PluginContext;
import dev.baton.config.PluginSettings;
import dev.baton.config.PluginSettings.HttpPlugin;
import dev.baton.config.PluginSettings.JavaPlugin;
import dev.baton.config.PluginSettings.PluginType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** What the command plug-ins' tests share: settings, a context, scripts, waiting on futures. */
final class Children {
  static final String HANDLER_EXAMPLE = "examples/python-command/handler.py";
  static final String SOURCE_EXAMPLE = "examples/python-command/source.py";

  private Children() {}

  static PluginSettings command(List<String> argv) {
    return new PluginSettings(
        PluginType.COMMAND, new HttpPlugin("", null), argv, new JavaPlugin("", ""));
  }

  /** {@code python3 <script>}, with {@code env} variables in front of it (NAME=value). */
  static PluginSettings python(Path script, String... env) {
    List<String> argv = new ArrayList<>();
    if (env.length > 0) {
      argv.add("env");
      argv.addAll(List.of(env));
    }
    argv.add("python3");
    argv.add(script.toString());
    return command(argv);
  }

  static PluginContext context(Vertx vertx, String nodeId) {
    return new PluginContext() {
      @Override
      public Vertx vertx() {
        return vertx;
      }

      @Override
      public String nodeId() {
        return nodeId;
      }

      @Override
      public JsonObject settings() {
        return new JsonObject();
      }
    };
  }

  static Path script(Path dir, String name, String body) {
    try {
      return Files.writeString(dir.resolve(name), body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The value of {@code f}, waited for at most 20 s. */
  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no answer: " + e, e);
    }
  }

  /** The attempt failure {@code f} ends with, waited for at most 20 s. */
  static AttemptFailure failure(Future<?> f) {
    try {
      Object value = f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
      return fail("expected a failed attempt, got " + value);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(AttemptFailure.class);
      return (AttemptFailure) e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no answer: " + e, e);
    }
  }

  /**
   * Runs {@code stop} off the test thread, waited for at most 20 s: a broken plug-in that holds an
   * event loop must fail its test, not hang the run.
   */
  static void stop(Supplier<Future<Void>> stop) {
    try {
      CompletableFuture.supplyAsync(stop)
          .thenCompose(Future::toCompletionStage)
          .get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("stop failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("stop did not end: " + e, e);
    }
  }

  static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }
}
