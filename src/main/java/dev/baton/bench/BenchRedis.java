package dev.baton.bench;

import dev.baton.redis.EmbeddedRedis;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's own redis-server: a child process on a free port, no persistence (the figures
 * measure Baton, not the disk), small stream nodes (see docs/PERFORMANCE.md).
 */
final class BenchRedis implements AutoCloseable {
  static final List<String> TUNING =
      List.of("--stream-node-max-bytes", "512", "--stream-node-max-entries", "16");

  final int port;
  final Process process;
  final String binary;
  final boolean tuned;

  private BenchRedis(int port, Process process, String binary, boolean tuned) {
    this.port = port;
    this.process = process;
    this.binary = binary;
    this.tuned = tuned;
  }

  static BenchRedis start(boolean tuned) throws IOException, InterruptedException {
    String binary =
        EmbeddedRedis.findOnPath(System.getenv("PATH")).orElseGet(EmbeddedRedis::shippedBinary);
    int port;
    port = FreePort.pick();
    Path dir = Files.createTempDirectory("baton-bench-redis");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                binary,
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString(),
                "--loglevel",
                "warning"));
    if (tuned) {
      cmd.addAll(TUNING);
    }
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!EmbeddedRedis.answers("127.0.0.1", port)) {
      if (System.nanoTime() > deadline || !p.isAlive()) {
        p.destroyForcibly();
        throw new IOException(
            "redis-server did not start: " + Files.readString(dir.resolve("redis.log")));
      }
      Thread.sleep(20);
    }
    return new BenchRedis(port, p, binary, tuned);
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  long pid() {
    return process.pid();
  }

  /** {@code redis-benchmark -P 16 XADD} against this server: raw XADDs per second, or -1. */
  static double rawXaddPerSecond(String host, int port, int requests) {
    try {
      Process p =
          new ProcessBuilder(
                  "redis-benchmark",
                  "-h",
                  host,
                  "-p",
                  Integer.toString(port),
                  "-P",
                  "16",
                  "-n",
                  Integer.toString(requests),
                  "-q",
                  "XADD",
                  "{bench}:raw-xadd",
                  "*",
                  "field",
                  "value")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(120, TimeUnit.SECONDS);
      int i = out.lastIndexOf(" requests per second");
      if (i < 0) {
        return -1;
      }
      String head = out.substring(0, i).trim();
      return Double.parseDouble(head.substring(head.lastIndexOf(' ') + 1));
    } catch (IOException | RuntimeException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
