package dev.baton.support;

import dev.baton.bench.FreePort;
import dev.baton.bench.Proc;
import dev.baton.redis.EmbeddedRedis;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} child process on a free port, for one test class. Uses the binary on
 * PATH, else the one shipped in the embedded-redis jar. Can be killed, restarted on the same port
 * and data directory, paused (SIGSTOP) and resumed, to test what Baton does when Redis fails.
 */
public final class RedisServer implements AutoCloseable {
  private final String binary;
  private final Path dir;
  private final boolean appendOnly;
  private final List<String> extraArgs;
  private int port;
  private Process process;

  private RedisServer(String binary, boolean appendOnly, List<String> extraArgs)
      throws IOException {
    this.binary = binary;
    this.dir = Files.createTempDirectory("baton-redis-");
    this.appendOnly = appendOnly;
    this.extraArgs = extraArgs;
  }

  /** redis-server from PATH, else the one shipped in the embedded-redis jar. */
  public static String binary() {
    return EmbeddedRedis.findOnPath(System.getenv("PATH")).orElseGet(EmbeddedRedis::shippedBinary);
  }

  /** A server without persistence: a restart comes back empty. */
  public static RedisServer start() {
    return start(false);
  }

  /** With {@code appendOnly}, AOF with {@code appendfsync always}: a restart keeps every write. */
  public static RedisServer start(boolean appendOnly, String... extraArgs) {
    try {
      RedisServer s = new RedisServer(binary(), appendOnly, List.of(extraArgs));
      s.launch(true);
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start redis-server", e);
    }
  }

  /**
   * The Redis 6.2 server shipped in the embedded-redis jar, whatever is on PATH (no sharded
   * Pub/Sub).
   */
  public static RedisServer startShipped() {
    try {
      RedisServer s = new RedisServer(EmbeddedRedis.shippedBinary(), false, List.of());
      s.launch(true);
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the shipped redis-server", e);
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public long pid() {
    return process.pid();
  }

  public Path dir() {
    return dir;
  }

  /** SIGKILL: no shutdown, no final fsync. */
  public void kill() {
    process.destroyForcibly();
    waitExit();
  }

  /** Starts again on the same port and directory (with AOF: from its file). */
  public void restart() {
    if (process != null && process.isAlive()) {
      kill();
    }
    try {
      launch(false);
    } catch (IOException e) {
      throw new IllegalStateException("cannot restart redis-server", e);
    }
  }

  public void pause() {
    signal("STOP");
  }

  public void resume() {
    signal("CONT");
  }

  /** Runs one command over a plain socket and returns the raw RESP reply (tests' side channel). */
  public String command(String... args) {
    return command(port, args);
  }

  /** {@link #command(String...)} against any Redis (or sentinel) on this machine. */
  public static String command(int port, String... args) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      StringBuilder req = new StringBuilder("*" + args.length + "\r\n");
      for (String a : args) {
        byte[] b = a.getBytes(StandardCharsets.UTF_8);
        req.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
      }
      out.write(req.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return Resp.read(s.getInputStream());
    } catch (IOException e) {
      throw new IllegalStateException("redis command failed: " + String.join(" ", args), e);
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      resume();
      process.destroyForcibly();
      waitExit();
    }
  }

  private void launch(boolean newPort) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      if (newPort || port == 0) {
        port = freePort();
      }
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  binary,
                  "--port",
                  Integer.toString(port),
                  "--bind",
                  "127.0.0.1",
                  "--dir",
                  dir.toString(),
                  "--save",
                  "",
                  "--daemonize",
                  "no",
                  "--loglevel",
                  "warning"));
      if (appendOnly) {
        cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
      } else {
        cmd.addAll(List.of("--appendonly", "no"));
      }
      cmd.addAll(extraArgs);
      process =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("redis.log").toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline && process.isAlive()) {
        if (EmbeddedRedis.answers("127.0.0.1", port) && ping()) {
          return;
        }
        sleepQuietly(20);
      }
      last =
          new IOException(
              "redis-server did not start on "
                  + port
                  + ": "
                  + Files.readString(dir.resolve("redis.log")));
      process.destroyForcibly();
      waitExit();
      if (!newPort) {
        sleepQuietly(200); // the old socket may linger; retry the same port
      }
    }
    throw last;
  }

  private boolean ping() {
    try {
      String reply = command("PING");
      return reply.contains("PONG")
          || reply.startsWith("ERR:NOAUTH"); // a password-protected server is up too
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void signal(String sig) {
    Proc.signal(process.pid(), sig);
  }

  private void waitExit() {
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static int freePort() throws IOException {
    return FreePort.pick();
  }

  static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A minimal RESP reader: renders a reply as text, arrays as [a, b, ...], nil as (nil). */
  static final class Resp {
    static String read(InputStream in) throws IOException {
      int type = in.read();
      String line = readLine(in);
      switch (type) {
        case '+', '-', ':' -> {
          return (type == '-' ? "ERR:" : "") + line;
        }
        case '$' -> {
          int n = Integer.parseInt(line);
          if (n < 0) {
            return "(nil)";
          }
          byte[] b = in.readNBytes(n + 2);
          return new String(b, 0, n, StandardCharsets.UTF_8);
        }
        case '*' -> {
          int n = Integer.parseInt(line);
          if (n < 0) {
            return "(nil)";
          }
          List<String> items = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            items.add(read(in));
          }
          return items.toString();
        }
        default -> throw new IOException("unexpected RESP type " + (char) type);
      }
    }

    private static String readLine(InputStream in) throws IOException {
      StringBuilder sb = new StringBuilder();
      int c;
      while ((c = in.read()) != -1) {
        if (c == '\r') {
          in.read();
          break;
        }
        sb.append((char) c);
      }
      return sb.toString();
    }
  }
}
