package dev.baton.bench;

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

/** A node run from the same jar as an OS process, configured by BATON_* variables. */
final class NodeProc implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final String id;
  final Process process;
  final int httpPort;
  final Path log;

  private NodeProc(String id, Process process, int httpPort, Path log) {
    this.id = id;
    this.process = process;
    this.httpPort = httpPort;
    this.log = log;
  }

  static NodeProc start(Path jar, String id, Map<String, String> env, String heap, List<String> jvmOptions)
      throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = Files.createTempFile("baton-bench-" + id + "-", ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap));
    cmd.addAll(jvmOptions.stream().map(o -> o.replace("{id}", id)).toList());
    cmd.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("BATON_NODE_ID", id);
    pb.environment().put("BATON_HTTP_PORT", Integer.toString(port));
    return new NodeProc(id, pb.start(), port, log);
  }

  long pid() {
    return process.pid();
  }

  JsonObject get(String path) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  String role() {
    JsonObject s = get("/status");
    return s == null ? null : s.getString("role");
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
