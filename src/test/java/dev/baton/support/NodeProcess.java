package dev.baton.support;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real fat jar run as an OS process, configured through BATON_* variables like a user would. */
public final class NodeProcess implements AutoCloseable {
  public static final Path JAR = Path.of("target/node-fat.jar");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int httpPort;
  private final Path log;

  private NodeProcess(Process process, int httpPort, Path log) {
    this.process = process;
    this.httpPort = httpPort;
    this.log = log;
  }

  /** Starts {@code java -jar target/node-fat.jar [args]} with extra environment variables. */
  public static NodeProcess start(Map<String, String> env, String... args) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = Files.createTempFile("baton-node-", ".log");
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx256m", "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("BATON_HTTP_PORT", Integer.toString(port));
    pb.environment().putAll(env);
    return new NodeProcess(pb.start(), port, log);
  }

  /**
   * Like {@link #start}, with the process's open-file limit lowered to {@code maxFiles} ({@code
   * ulimit -n} in a shell that then becomes the JVM, so {@link #pid()} is the JVM's).
   */
  public static NodeProcess startWithFileLimit(int maxFiles, Map<String, String> env, String... args)
      throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = Files.createTempFile("baton-node-", ".log");
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", "ulimit -n " + maxFiles + " && exec \"$0\" \"$@\"",
        javaBin(), "-Xmx256m", "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("BATON_HTTP_PORT", Integer.toString(port));
    pb.environment().putAll(env);
    return new NodeProcess(pb.start(), port, log);
  }

  public static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  public int httpPort() {
    return httpPort;
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** GET /status, or null while the node does not answer. */
  public JsonObject status() {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/status"))
          .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  public String role() {
    JsonObject s = status();
    return s == null ? null : s.getString("role");
  }

  public void kill() {
    process.destroyForcibly(); // SIGKILL
    waitFor();
  }

  /** SIGSTOP: the process freezes with every socket open (a long GC pause, a stopped VM). */
  public void freeze() {
    signal("STOP");
  }

  /** SIGCONT after {@link #freeze}. */
  public void thaw() {
    signal("CONT");
  }

  private void signal(String sig) {
    try {
      new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM, as `kill PID` or `docker stop` send; returns the exit code. */
  public int terminate() {
    process.destroy();
    return waitFor();
  }

  public int waitFor() {
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      thaw();
      process.destroyForcibly();
      waitFor();
    }
  }
}
