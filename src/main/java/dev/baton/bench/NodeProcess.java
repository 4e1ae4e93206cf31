package dev.baton.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
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

/**
 * A node run from the fat jar as an OS process, configured through BATON_* variables as a user
 * would: the benchmark's nodes and the tests' (one class for both).
 */
public final class NodeProcess implements AutoCloseable {
  /** The jar {@code mvn package} builds, from the project's directory. */
  public static final Path JAR = Path.of("target/node-fat.jar");

  /** The command line's class, for a class-path start. */
  public static final String MAIN_CLASS = "dev.baton.Main";

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String id;
  private final Process process;
  private final int httpPort;
  private final Path log;

  private NodeProcess(String id, Process process, int httpPort, Path log) {
    this.id = id;
    this.process = process;
    this.httpPort = httpPort;
    this.log = log;
  }

  /**
   * Starts {@code java -Xmx256m -jar target/node-fat.jar [args]} with extra environment variables.
   */
  public static NodeProcess start(Map<String, String> env, String... args) throws IOException {
    return start(JAR, env.get(NodeEnv.name("nodeId")), env, "256m", List.of(), args);
  }

  /**
   * Starts {@code java -Xmx<heap> [jvmOptions] -jar <jar> [args]} on a free HTTP port, with the
   * environment variables {@code env} and, when {@code id} is not null, that node id. A {@code
   * {id}} in a JVM option is replaced by the node id.
   */
  public static NodeProcess start(
      Path jar,
      String id,
      Map<String, String> env,
      String heap,
      List<String> jvmOptions,
      String... args)
      throws IOException {
    return launch(List.of("-jar", jar.toString()), id, env, heap, jvmOptions, args);
  }

  /**
   * Starts {@code java -Xmx256m -cp <classPath> dev.baton.Main [args]}: a node with more jars on
   * its class path (a Java plug-in's), as a user runs one.
   */
  public static NodeProcess startOnClassPath(
      String classPath, Map<String, String> env, String... args) throws IOException {
    return launch(
        List.of("-cp", classPath, MAIN_CLASS),
        env.get(NodeEnv.name("nodeId")),
        env,
        "256m",
        List.of(),
        args);
  }

  private static NodeProcess launch(
      List<String> what,
      String id,
      Map<String, String> env,
      String heap,
      List<String> jvmOptions,
      String... args)
      throws IOException {
    int port;
    port = FreePort.pick();
    Path log = Files.createTempFile("baton-node-" + (id == null ? "" : id + "-"), ".log");
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx" + heap));
    cmd.addAll(jvmOptions.stream().map(o -> id == null ? o : o.replace("{id}", id)).toList());
    cmd.addAll(what);
    cmd.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put(NodeEnv.name("http.port"), Integer.toString(port));
    pb.environment().putAll(env);
    if (id != null) {
      pb.environment().put(NodeEnv.name("nodeId"), id);
    }
    return new NodeProcess(id, pb.start(), port, log);
  }

  /** The node id it was started with, or null when its configuration chose one. */
  public String id() {
    return id;
  }

  /**
   * Like {@link #start}, with the process's open-file limit lowered to {@code maxFiles} ({@code
   * ulimit -n} in a shell that then becomes the JVM, so {@link #pid()} is the JVM's).
   */
  public static NodeProcess startWithFileLimit(
      int maxFiles, Map<String, String> env, String... args) throws IOException {
    int port;
    port = FreePort.pick();
    Path log = Files.createTempFile("baton-node-", ".log");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "sh",
                "-c",
                "ulimit -n " + maxFiles + " && exec \"$0\" \"$@\"",
                javaBin(),
                "-Xmx256m",
                "-jar",
                JAR.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put(NodeEnv.name("http.port"), Integer.toString(port));
    pb.environment().putAll(env);
    return new NodeProcess(env.get(NodeEnv.name("nodeId")), pb.start(), port, log);
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
    return get("/status");
  }

  /** GET of a JSON resource, or null while the node does not answer it with 200. */
  public JsonObject get(String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
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
    Proc.signal(process.pid(), sig);
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

  /** A graceful stop (SIGTERM, SIGKILL after 15 s), as a benchmark ends its nodes. */
  public void stop() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills the process (SIGKILL, after SIGCONT if it was frozen) if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      thaw();
      process.destroyForcibly();
      waitFor();
    }
  }
}
