package dev.baton.bench;

import dev.baton.NodeVerticle;
import dev.baton.config.ConfigLoader;
import dev.baton.config.NodeConfig;
import dev.baton.election.AcquireScript;
import dev.baton.election.RenewScript;
import dev.baton.handler.ReapScript;
import dev.baton.handler.ReclaimScript;
import dev.baton.heartbeat.HeartbeatScript;
import dev.baton.redis.Fields;
import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.state.Role;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench --scale}: {@code size} nodes in this JVM, each its own verticles and Redis
 * connections, one shared Vert.x: the coordination commands per node per second, whether ever more
 * than one generator was seen, and the time a graceful failover takes.
 */
final class ScaleRun {
  private final Target.Opener opener;
  private final int size;
  private final int seconds;
  private final Keys keys;
  private final String prefix;
  private final List<NodeVerticle> nodes = new ArrayList<>();
  private final List<String> ids = new ArrayList<>();

  /** The run's Redis, opened after the nodes' Vert.x and closed before it. */
  private Target target;

  ScaleRun(Target.Opener opener, int size, int seconds) {
    this.opener = opener;
    this.size = size;
    this.seconds = seconds;
    this.prefix = "scale" + size + "x" + UUID.randomUUID().toString().substring(0, 4);
    this.keys = new Keys(prefix);
  }

  JsonObject run() throws Exception {
    Vertx cluster = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(10_000));
    try (Target opened = opener.open()) {
      target = opened;
      deploy(cluster);
      Bench.waitFor(
          () -> generators() == 1 && nodes.stream().noneMatch(n -> role(n) == Role.STARTING),
          120_000,
          "settled");
      Thread.sleep(3_000); // let heartbeats and followers reach their steady rhythm
      long maxGenerators = 0;
      JsonObject counts;
      long start = System.nanoTime();
      try (Monitor monitor = new Monitor(target.host, target.port)) {
        long end = start + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
          maxGenerators = Math.max(maxGenerators, generators());
          Thread.sleep(20);
        }
        counts = new JsonObject(new LinkedHashMap<>(monitor.counts()));
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      long coordination =
          counts.getLong(HeartbeatScript.KIND, 0L)
              + counts.getLong(AcquireScript.KIND, 0L)
              + counts.getLong(RenewScript.KIND, 0L)
              + counts.getLong(ReclaimScript.KIND, 0L)
              + counts.getLong(ReapScript.KIND, 0L);
      long failoverMs = gracefulFailoverMs(cluster);
      JsonObject result =
          new JsonObject()
              .put("nodes", size)
              .put("seconds", elapsed)
              .put("maxGeneratorsSeen", maxGenerators)
              .put("coordinationCommandsPerSecondPerNode", coordination / elapsed / size)
              .put("commands", counts)
              .put("gracefulFailoverMs", failoverMs);
      System.out.println(result.encode());
      target.cleanUp(keys);
      return result;
    } finally {
      cluster.close().await(60, TimeUnit.SECONDS);
    }
  }

  private void deploy(Vertx cluster) throws Exception {
    JsonObject settings =
        new JsonObject()
            .put(
                "redis",
                new JsonObject()
                    .put("url", target.url)
                    .put("keyPrefix", prefix)
                    .put("embedded", "off")
                    .put("poolSize", 2))
            .put("audit", new JsonObject().put("enabled", true))
            .put("http", new JsonObject().put("port", 0));
    for (int i = 0; i < size; i++) {
      NodeConfig config =
          NodeConfig.fromJson(ConfigLoader.merge(settings.copy().put("nodeId", "s" + i), Map.of()));
      NodeVerticle node = new NodeVerticle(config);
      ids.add(cluster.deployVerticle(node).await(60, TimeUnit.SECONDS));
      nodes.add(node);
    }
  }

  private static Role role(NodeVerticle n) {
    return n.state().role().role();
  }

  private long generators() {
    return nodes.stream().filter(n -> role(n) == Role.GENERATOR).count();
  }

  /**
   * Closes the generator's node (it releases the lease) and times the next epoch's first publish.
   */
  private long gracefulFailoverMs(Vertx cluster) throws Exception {
    int g = -1;
    for (int i = 0; i < nodes.size(); i++) {
      if (role(nodes.get(i)) == Role.GENERATOR) {
        g = i;
      }
    }
    long oldEpoch = nodes.get(g).state().role().epoch();
    long closedAt = target.serverMs();
    cluster.undeploy(ids.get(g)).await(30, TimeUnit.SECONDS);
    nodes.remove(g);
    Bench.waitFor(
        () ->
            nodes.stream()
                .anyMatch(
                    n ->
                        role(n) == Role.GENERATOR
                            && n.state().role().epoch() > oldEpoch
                            && n.state().counters().published.get() > 0),
        60_000,
        "failover");
    return firstPublishAfter(oldEpoch) - closedAt;
  }

  private long firstPublishAfter(long epoch) {
    String start = "-";
    while (true) {
      Response page = target.cmd("XRANGE", keys.auditPublished(), start, "+", "COUNT", "1000");
      if (page == null || page.size() == 0) {
        return -1;
      }
      for (Replies.Entry e : Replies.entries(page)) {
        if (Replies.parseLong(e.fields().get(Fields.EPOCH), -1) > epoch) {
          return Long.parseLong(e.id().substring(0, e.id().indexOf('-')));
        }
        start = "(" + e.id();
      }
    }
  }
}
