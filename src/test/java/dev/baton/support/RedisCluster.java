package dev.baton.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Redis Cluster of three masters (no replicas) on free ports, built from the redis-server
 * binary: each node starts with {@code --cluster-enabled yes}, gets a third of the 16384 slots
 * ({@code CLUSTER ADDSLOTS}) and meets the others — what {@code redis-cli --cluster create} does,
 * without needing redis-cli.
 */
public final class RedisCluster implements AutoCloseable {
  private static final int SLOTS = 16_384;
  private final List<RedisServer> nodes = new ArrayList<>();

  private RedisCluster() {}

  public static RedisCluster start() {
    RedisCluster c = new RedisCluster();
    try {
      for (int i = 0; i < 3; i++) {
        c.nodes.add(
            RedisServer.start(false, "--cluster-enabled", "yes", "--cluster-node-timeout", "2000"));
      }
      for (int i = 0; i < 3; i++) {
        int from = i * SLOTS / 3;
        int to = (i + 1) * SLOTS / 3;
        List<String> args = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
        for (int slot = from; slot < to; slot++) {
          args.add(Integer.toString(slot));
        }
        String reply = c.nodes.get(i).command(args.toArray(String[]::new));
        if (!reply.equals("OK")) {
          throw new IllegalStateException("CLUSTER ADDSLOTS: " + reply);
        }
      }
      for (int i = 1; i < 3; i++) {
        c.nodes
            .get(0)
            .command("CLUSTER", "MEET", "127.0.0.1", Integer.toString(c.nodes.get(i).port()));
      }
      Await.until(
          "cluster_state:ok on every node, each knowing 3 masters",
          Duration.ofSeconds(30),
          () ->
              c.nodes.stream()
                  .allMatch(
                      n -> {
                        String info = n.command("CLUSTER", "INFO");
                        return info.contains("cluster_state:ok")
                            && info.contains("cluster_known_nodes:3");
                      }));
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  public List<RedisServer> nodes() {
    return nodes;
  }

  /** One redis:// URL per node. */
  public List<String> urls() {
    return nodes.stream().map(RedisServer::url).toList();
  }

  /** The node that serves {@code key}'s slot (the others answer MOVED). */
  public RedisServer owner(String key) {
    for (RedisServer n : nodes) {
      if (!n.command("EXISTS", key).startsWith("ERR:MOVED")) {
        return n;
      }
    }
    throw new IllegalStateException("no node serves " + key);
  }

  @Override
  public void close() {
    nodes.forEach(RedisServer::close);
  }
}
