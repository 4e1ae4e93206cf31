package dev.baton.redis;

import dev.baton.config.NodeConfig;
import dev.baton.config.RedisSettings;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.core.ExecutableProvider;

/**
 * The {@code redis.embedded: auto} default: when the Redis URL is on this machine and nothing
 * answers there, start a real {@code redis-server} on that port — from PATH, else the binary
 * shipped in the embedded-redis jar — with AOF ({@code appendfsync always}) under {@code
 * redis.embeddedDir}. The server is daemonized: it outlives the node that started it, so the other
 * nodes keep working and no acknowledged write is lost when that node stops. Stop it with {@code
 * redis-cli -p PORT shutdown}.
 */
public final class EmbeddedRedis {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedis.class);
  private static final int PROBE_TIMEOUT_MS = 500;
  private static final long START_TIMEOUT_MS = 10_000;

  /** A server this call started. */
  public record Started(String binary, String host, int port, Path dir) {}

  private EmbeddedRedis() {}

  /**
   * Starts a server if the settings ask for it and none answers; empty when nothing was started.
   */
  public static Optional<Started> ensure(NodeConfig config, Map<String, String> env)
      throws IOException {
    Optional<Address> address = embeddedAddress(config.redis());
    if (address.isEmpty() || answers(address.get().host(), address.get().port())) {
      return Optional.empty();
    }
    String host = address.get().host();
    int port = address.get().port();
    Path dir = Path.of(config.redis().embeddedDir()).toAbsolutePath().normalize();
    Files.createDirectories(dir);
    String binary = findOnPath(env.get("PATH")).orElseGet(EmbeddedRedis::shippedBinary);
    Path conf = writeConfig(dir, host, port, config.redis().password());
    Process p =
        new ProcessBuilder(binary, conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    Started started = new Started(binary, host, port, dir);
    awaitAnswer(p, started);
    LOG.atInfo()
        .addKeyValue("node", config.nodeId())
        .log(
            "started an embedded Redis on {}:{} ({}), AOF under {}; it keeps running after this node stops "
                + "(stop it with: redis-cli -p {} shutdown)",
            host,
            port,
            binary,
            dir,
            port);
    return Optional.of(started);
  }

  /** Where an embedded server would listen. */
  private record Address(String host, int port) {}

  /**
   * The URL's host and port when the settings ask for an embedded standalone Redis ({@code auto})
   * and the URL is a plain {@code redis://} one on this machine; empty otherwise, a URL that does
   * not parse included.
   */
  private static Optional<Address> embeddedAddress(RedisSettings redis) {
    if (redis.embedded() != RedisSettings.Embedded.AUTO
        || redis.type() != RedisSettings.RedisType.STANDALONE) {
      return Optional.empty();
    }
    URI uri;
    try {
      uri = new URI(redis.url());
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
    if (!"redis".equals(uri.getScheme()) || !isLoopback(uri.getHost())) {
      return Optional.empty();
    }
    return Optional.of(new Address(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort()));
  }

  /**
   * Returns once the server {@code p} started answers on its port; fails when it exited with an
   * error, or did not answer within {@link #START_TIMEOUT_MS}.
   */
  private static void awaitAnswer(Process p, Started s) throws IOException {
    long deadline = System.nanoTime() + START_TIMEOUT_MS * 1_000_000;
    while (System.nanoTime() < deadline) {
      if (answers(s.host(), s.port())) {
        return;
      }
      if (!p.isAlive() && p.exitValue() != 0) {
        throw new IOException(
            s.binary()
                + " exited with "
                + p.exitValue()
                + " starting on port "
                + s.port()
                + "; see "
                + s.dir().resolve("redis-" + s.port() + ".log"));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting Redis", e);
      }
    }
    throw new IOException(
        "Redis started from "
            + s.binary()
            + " did not answer on "
            + s.host()
            + ":"
            + s.port()
            + " within "
            + START_TIMEOUT_MS
            + " ms; see "
            + s.dir().resolve("redis-" + s.port() + ".log"));
  }

  public static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (h.equals("localhost")) {
      return true;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  public static boolean answers(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), PROBE_TIMEOUT_MS);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code redis-server} from a PATH string, if any directory on it has an executable one. */
  public static Optional<String> findOnPath(String path) {
    if (path == null || path.isEmpty()) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      File f = new File(dir, "redis-server");
      if (f.isFile() && f.canExecute()) {
        return Optional.of(f.getAbsolutePath());
      }
    }
    return Optional.empty();
  }

  /** The redis-server binary shipped in the embedded-redis jar, extracted to a temporary file. */
  public static String shippedBinary() {
    try {
      File f = ExecutableProvider.newJarResourceProvider().get();
      if (!f.canExecute() && !f.setExecutable(true)) {
        throw new IOException("cannot make " + f + " executable");
      }
      return f.getAbsolutePath();
    } catch (IOException e) {
      throw new IllegalStateException(
          "no redis-server on PATH and the shipped one cannot be used: " + e, e);
    }
  }

  private static Path writeConfig(Path dir, String host, int port, String password)
      throws IOException {
    String bind = host.equals("localhost") ? "127.0.0.1" : host.replace("[", "").replace("]", "");
    List<String> lines =
        new ArrayList<>(
            List.of(
                "port " + port,
                "bind " + bind,
                "dir " + quote(dir.toString()),
                "appendonly yes",
                "appendfsync always",
                "appendfilename \"appendonly-" + port + ".aof\"",
                "save \"\"",
                "daemonize yes",
                "pidfile " + quote(dir.resolve("redis-" + port + ".pid").toString()),
                "logfile " + quote(dir.resolve("redis-" + port + ".log").toString())));
    if (password != null && !password.isEmpty()) {
      lines.add("requirepass " + quote(password));
    }
    Path conf = dir.resolve("redis-" + port + ".conf");
    Files.deleteIfExists(conf);
    Files.createFile(
        conf, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(conf, lines, StandardCharsets.UTF_8);
    return conf;
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
