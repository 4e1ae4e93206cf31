package dev.baton.bench;

import dev.baton.election.AcquireScript;
import dev.baton.election.RenewScript;
import dev.baton.handler.ReapScript;
import dev.baton.handler.ReclaimScript;
import dev.baton.heartbeat.HeartbeatScript;
import dev.baton.redis.Keys;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * {@code bench --cadence}: 1 generator and H handlers at the default 500 ms cadence, at rest, for a
 * window: the latency from publish to commit, each node's CPU and memory, and the coordination
 * commands an idle handler, a presence watcher and the generator send per second.
 */
final class CadenceRun {
  /** What was read when the window opened. */
  private record Start(Map<String, Double> cpu, Map<String, Histogram> latency, double redisCpu) {}

  /** What MONITOR saw in the window: commands by kind, and by kind@node. */
  private record Window(JsonObject counts, Map<String, Long> byNode, long startNanos) {}

  private final Target target;
  private final NodeLauncher launcher;
  private final int handlers;

  CadenceRun(Target target, NodeLauncher launcher, int handlers) {
    this.target = target;
    this.launcher = launcher;
    this.handlers = handlers;
  }

  /** The cadence at rest for {@code seconds}, the nodes also given {@code extraEnv}. */
  JsonObject run(Map<String, String> extraEnv, int seconds) throws Exception {
    String prefix = Bench.prefix("cadence");
    Keys keys = new Keys(prefix);
    Map<String, String> env = NodeEnv.on(target, prefix).putAll(extraEnv).toMap();
    target.cmd(
        "SET",
        keys.leader(),
        "gen",
        "PX",
        "120000"); // handlers stay handlers even if JVMs start slowly
    List<NodeProcess> nodes = new ArrayList<>();
    try {
      startNodes(nodes, env);
      Thread.sleep(5_000); // warm-up (JIT, connections) outside the measured window
      Start start = start(nodes);
      Window window = window(seconds);
      JsonObject result = result(nodes, start, window);
      System.out.println(result.encodePrettily());
      target.cleanUp(keys);
      return result;
    } finally {
      nodes.forEach(NodeProcess::stop);
    }
  }

  /** The handlers, then the generator, each ready, the generator generating. */
  private void startNodes(List<NodeProcess> nodes, Map<String, String> env) throws Exception {
    for (int i = 1; i <= handlers; i++) {
      nodes.add(launcher.start("h" + i, env));
    }
    NodeProcess gen = launcher.start("gen", env);
    nodes.add(gen);
    for (NodeProcess node : nodes) {
      Bench.waitFor(
          () -> node.role() != null && !"starting".equals(node.role()),
          60_000,
          node.id() + " ready");
    }
    Bench.waitFor(() -> "generator".equals(gen.role()), 60_000, "gen generates");
  }

  private Start start(List<NodeProcess> nodes) {
    Map<String, Double> cpu = new HashMap<>();
    Map<String, Histogram> latency = new HashMap<>();
    for (NodeProcess node : nodes) {
      cpu.put(node.id(), Proc.cpuSeconds(node.pid()));
      latency.put(node.id(), Bench.histogram(node));
    }
    return new Start(cpu, latency, target.cpu());
  }

  private Window window(int seconds) throws Exception {
    long start = System.nanoTime();
    try (Monitor monitor = new Monitor(target.host, target.port)) {
      Thread.sleep(seconds * 1000L); // the measurement window itself
      return new Window(
          new JsonObject(new LinkedHashMap<>(monitor.counts())), monitor.countsByFirstArg(), start);
    }
  }

  private JsonObject result(List<NodeProcess> nodes, Start start, Window window) {
    // the two presence watchers poll every presence.watchMs: their cost is reported apart
    List<String> watchers = watchers(nodes);
    double elapsed = (System.nanoTime() - window.startNanos()) / 1e9;
    Histogram latency = Bench.histogram();
    JsonObject perNode = new JsonObject();
    for (NodeProcess node : nodes) {
      Histogram h = Bench.histogram(node);
      h.subtract(start.latency().get(node.id()));
      latency.add(h);
      perNode.put(
          node.id(),
          new JsonObject()
              .put("role", node.role())
              .put(
                  "cpuPercentOfOneCore",
                  100 * (Proc.cpuSeconds(node.pid()) - start.cpu().get(node.id())) / elapsed)
              .put("rssMb", Proc.rssMb(node.pid()))
              .put("plugins", Bench.pluginsOf(node)));
    }
    return new JsonObject()
        .put("seconds", elapsed)
        .put("load", Bench.load())
        .put("handlers", handlers)
        .put(
            "latencyMs",
            new JsonObject()
                .put("count", latency.getTotalCount())
                .put("p50", latency.getValueAtPercentile(50))
                .put("p99", latency.getValueAtPercentile(99))
                .put("max", latency.getMaxValue()))
        .put("nodes", perNode)
        .put("redisCpuPercent", 100 * (target.cpu() - start.redisCpu()) / elapsed)
        .put("commands", window.counts())
        .put(
            "coordinationCommandsPerSecond",
            coordination(window, nodes.size(), watchers, 1.0 / elapsed));
  }

  private static List<String> watchers(List<NodeProcess> nodes) {
    List<String> watchers = new ArrayList<>();
    for (NodeProcess node : nodes) {
      JsonObject st = node.get("/status");
      if (st != null && st.getBoolean("watcher", false)) {
        watchers.add(node.id());
      }
    }
    return watchers;
  }

  /** Coordination commands per second of an idle handler, a watcher and the generator. */
  private JsonObject coordination(
      Window window, int nodeCount, List<String> watchers, double perSecond) {
    JsonObject counts = window.counts();
    long watcherAcquires = 0;
    for (String watcher : watchers) {
      watcherAcquires += window.byNode().getOrDefault(AcquireScript.KIND + "@" + watcher, 0L);
    }
    int idleHandlers = Math.max(1, handlers - watchers.size());
    long heartbeats = counts.getLong(HeartbeatScript.KIND, 0L);
    long acquires = counts.getLong(AcquireScript.KIND, 0L);
    long reclaims = counts.getLong(ReclaimScript.KIND, 0L) + counts.getLong(ReapScript.KIND, 0L);
    double idleHandler =
        (heartbeats / (double) nodeCount
                + (acquires - watcherAcquires) / (double) idleHandlers
                + reclaims / (double) handlers)
            * perSecond;
    double watching =
        watchers.isEmpty()
            ? 0
            : (heartbeats / (double) nodeCount
                    + watcherAcquires / (double) watchers.size()
                    + reclaims / (double) handlers)
                * perSecond;
    double leader =
        (heartbeats / (double) nodeCount + counts.getLong(RenewScript.KIND, 0L)) * perSecond;
    return new JsonObject()
        .put("perIdleHandler", idleHandler)
        .put("watcher", watching)
        .put("generator", leader);
  }
}
