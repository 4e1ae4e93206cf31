package dev.baton.plugin;

import dev.baton.support.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Python example of examples/python-webhook run for real: started on a free port (it prints the
 * one it got), its stderr lines kept, killed on close.
 */
final class PythonExample implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)/");

  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final int port;

  private PythonExample(String script, Map<String, String> env, List<String> args)
      throws IOException {
    List<String> argv =
        new ArrayList<>(List.of("python3", "examples/python-webhook/" + script, "0"));
    argv.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().putAll(env);
    process = pb.start();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  lines.add(line);
                }
              } catch (IOException e) {
                lines.add("(stderr unreadable: " + e + ")");
              }
            },
            script + "-stderr");
    reader.setDaemon(true);
    reader.start();
    port =
        Await.value(
            script + " listening (stderr so far: " + lines + ")",
            Duration.ofSeconds(15),
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(script + " exited: " + lines);
              }
              for (String line : lines) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                  return Integer.parseInt(m.group(1));
                }
              }
              return null;
            });
  }

  static PythonExample start(String script, Map<String, String> env, String... args)
      throws IOException {
    return new PythonExample(script, env, List.of(args));
  }

  String url() {
    return "http://127.0.0.1:" + port + "/";
  }

  List<String> lines() {
    return List.copyOf(lines);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
