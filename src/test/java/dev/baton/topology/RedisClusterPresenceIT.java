package dev.baton.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.NodeProcess;
import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.RedisCluster;
import dev.baton.support.RedisServer;
import dev.baton.support.TestRedis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Presence on a real three-master Redis Cluster: the sharded subscription lands on the master that
 * owns the keys' slot, where acquire.lua counts it, so kill -9 of the generator is noticed by
 * presence, far inside a 60 s lease.
 */
@Timeout(240)
class RedisClusterPresenceIT {
  private final String prefix = "cp" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final List<NodeProcess> nodes = new ArrayList<>();
  private RedisCluster cluster;
  private TestRedis rc;

  @AfterEach
  void stop() {
    nodes.forEach(NodeProcess::close);
    if (rc != null) {
      rc.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void killingTheGeneratorIsNoticedByPresenceOnTheMasterOfTheSlot() throws Exception {
    cluster = RedisCluster.start();
    rc =
        new TestRedis(
            new RedisOptions()
                .setType(RedisClientType.CLUSTER)
                .setEndpoints(new ArrayList<>(cluster.urls())));
    RedisServer seed =
        cluster.nodes().stream()
            .filter(n -> n != cluster.owner(keys.leader()))
            .findFirst()
            .orElseThrow();
    for (int i = 1; i <= 3; i++) {
      Map<String, String> env = new HashMap<>();
      env.put("BATON_NODE_ID", "c" + i);
      env.put("BATON_REDIS_TYPE", "cluster");
      env.put("BATON_REDIS_URL", seed.url());
      env.put("BATON_REDIS_ENDPOINTS", seed.url());
      env.put("BATON_REDIS_KEY_PREFIX", prefix);
      env.put("BATON_REDIS_EMBEDDED", "off");
      env.put("BATON_ELECTION_LEASE_MS", "60000");
      env.put("BATON_ELECTION_RENEW_MS", "15000");
      env.put("BATON_HEARTBEAT_INTERVAL_MS", "200");
      nodes.add(NodeProcess.start(env, "-conf", "conf/node.json"));
    }
    RedisServer owner = cluster.owner(keys.leader());
    Await.until(
        "every node subscribed on the master of the slot",
        Duration.ofSeconds(60),
        () -> {
          for (int i = 1; i <= 3; i++) {
            String n = owner.command("PUBSUB", "SHARDNUMSUB", keys.presenceChannel("c" + i));
            if (!n.trim().endsWith(", 1]")) {
              return false;
            }
          }
          return true;
        });
    String holder =
        Await.value(
            "a generator", Duration.ofSeconds(60), () -> Replies.str(rc.cmd("GET", keys.leader())));
    Await.until(
        "a watcher",
        Duration.ofSeconds(30),
        () ->
            nodes.stream()
                .anyMatch(n -> n.status() != null && n.status().getBoolean("watcher", false)));
    NodeProcess generator = nodes.get(Integer.parseInt(holder.substring(1)) - 1);

    generator.kill();
    Await.until(
        "another node holds the lease, well inside the 60 s lease",
        Duration.ofSeconds(30),
        () -> {
          String now = Replies.str(rc.cmd("GET", keys.leader()));
          return now != null && !now.equals(holder);
        });
    List<Replies.Entry> grants = rc.range(keys.grants());
    assertThat(grants.get(grants.size() - 1).fields()).containsEntry("from", holder);
  }
}
