package dev.baton.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Sentinel deployment on free ports: one master, one replica and three sentinels ({@code
 * redis-server --sentinel}) watching {@value #MASTER} with quorum 2 and a 1 s down-after, so a
 * killed master is replaced by its replica within a few seconds.
 */
public final class RedisSentinels implements AutoCloseable {
  public static final String MASTER = "mymaster";
  private final RedisServer master;
  private final RedisServer replica;
  private final List<Process> sentinels = new ArrayList<>();
  private final List<Integer> sentinelPorts = new ArrayList<>();

  private RedisSentinels(RedisServer master, RedisServer replica) {
    this.master = master;
    this.replica = replica;
  }

  public static RedisSentinels start() {
    RedisServer master = RedisServer.start(false);
    RedisServer replica =
        RedisServer.start(false, "--replicaof", "127.0.0.1", Integer.toString(master.port()));
    RedisSentinels s = new RedisSentinels(master, replica);
    try {
      for (int i = 0; i < 3; i++) {
        s.startSentinel();
      }
      Await.until(
          "the replica is in sync",
          Duration.ofSeconds(20),
          () -> replica.command("INFO", "replication").contains("master_link_status:up"));
      Await.until(
          "every sentinel sees the replica and the two other sentinels",
          Duration.ofSeconds(30),
          () ->
              s.sentinelPorts.stream()
                  .allMatch(
                      p ->
                          RedisServer.command(p, "SENTINEL", "REPLICAS", MASTER)
                                  .contains(Integer.toString(replica.port()))
                              && RedisServer.command(p, "SENTINEL", "SENTINELS", MASTER)
                                          .split("127.0.0.1")
                                          .length
                                      - 1
                                  == 2));
      return s;
    } catch (RuntimeException | IOException e) {
      s.close();
      throw new IllegalStateException("cannot start the sentinels", e);
    }
  }

  private void startSentinel() throws IOException {
    int port = RedisServer.freePort();
    Path dir = Files.createTempDirectory("baton-sentinel-");
    Path conf = dir.resolve("sentinel.conf");
    Files.write(
        conf,
        List.of(
            "port " + port,
            "bind 127.0.0.1",
            "dir " + dir,
            "sentinel monitor " + MASTER + " 127.0.0.1 " + master.port() + " 2",
            "sentinel down-after-milliseconds " + MASTER + " 1000",
            "sentinel failover-timeout " + MASTER + " 5000",
            "sentinel parallel-syncs " + MASTER + " 1"));
    Process p =
        new ProcessBuilder(RedisServer.binary(), conf.toString(), "--sentinel")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("sentinel.log").toFile())
            .start();
    sentinels.add(p);
    sentinelPorts.add(port);
    Await.until(
        "sentinel on " + port + " answers",
        Duration.ofSeconds(10),
        () -> {
          try {
            return RedisServer.command(port, "PING").contains("PONG");
          } catch (RuntimeException e) {
            return false;
          }
        });
  }

  /** One redis:// URL per sentinel. */
  public List<String> sentinelUrls() {
    return sentinelPorts.stream().map(p -> "redis://127.0.0.1:" + p).toList();
  }

  public RedisServer master() {
    return master;
  }

  public RedisServer replica() {
    return replica;
  }

  /** The port the sentinels currently name as master. */
  public int masterPort() {
    String reply =
        RedisServer.command(sentinelPorts.get(0), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER);
    return Integer.parseInt(reply.replaceAll("[\\[\\] ]", "").split(",")[1]);
  }

  @Override
  public void close() {
    for (Process p : sentinels) {
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    replica.close();
    master.close();
  }
}
