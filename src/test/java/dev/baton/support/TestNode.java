package dev.baton.support;

import dev.baton.NodeVerticle;
import dev.baton.config.ConfigLoader;
import dev.baton.config.NodeConfig;
import dev.baton.metrics.NodeMetrics;
import dev.baton.state.NodeState;
import dev.baton.state.Role;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A node in its own Vert.x instance, with short test timings unless overridden. */
public final class TestNode implements AutoCloseable {
  private final Vertx vertx;
  private final NodeVerticle node;
  private final NodeConfig config;
  private final NodeMetrics metrics;
  private boolean closed;

  private TestNode(NodeConfig config) {
    this.config = config;
    this.metrics = new NodeMetrics(config.nodeId());
    this.vertx = metrics.newVertx();
    this.node = new NodeVerticle(config, metrics);
    try {
      vertx.deployVerticle(node).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException("node did not start", e);
    }
  }

  /** Short timings for tests; override any setting by its JSON path. */
  public static JsonObject fastSettings(String redisUrl, String prefix) {
    return new JsonObject()
        .put(
            "redis",
            new JsonObject()
                .put("url", redisUrl)
                .put("keyPrefix", prefix)
                .put("embedded", "off")
                .put("commandTimeoutMs", 1000)
                .put("dataLostHoldMs", 2000))
        .put("election", new JsonObject().put("leaseMs", 600).put("renewMs", 150))
        .put("generator", new JsonObject().put("intervalMs", 50))
        .put("handler", new JsonObject().put("reclaimIdleMs", 1000).put("blockMs", 500))
        .put("heartbeat", new JsonObject().put("intervalMs", 200).put("timeoutMs", 1000))
        .put("http", new JsonObject().put("port", 0));
  }

  public static NodeConfig config(JsonObject settings) {
    return NodeConfig.fromJson(ConfigLoader.merge(settings, Map.of()));
  }

  public static TestNode start(JsonObject settings) {
    return new TestNode(config(settings));
  }

  public static TestNode start(String redisUrl, String prefix) {
    return start(fastSettings(redisUrl, prefix));
  }

  public static TestNode start(String redisUrl, String prefix, String nodeId) {
    return start(fastSettings(redisUrl, prefix).put("nodeId", nodeId));
  }

  public NodeState state() {
    return node.state();
  }

  public String id() {
    return config.nodeId();
  }

  public NodeConfig config() {
    return config;
  }

  public NodeMetrics metrics() {
    return metrics;
  }

  public Vertx vertx() {
    return vertx;
  }

  public int httpPort() {
    return node.httpPort();
  }

  /** HTTP connections the node holds open now. */
  public int httpConnections() {
    return node.httpConnections();
  }

  /** HTTP connections it closed at once because it held {@code http.maxConnections}. */
  public long httpRefusedConnections() {
    return node.httpRefusedConnections();
  }

  public boolean isGenerator() {
    return state().role().role() == Role.GENERATOR;
  }

  public boolean isHandler() {
    return state().role().role() == Role.HANDLER;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      try {
        vertx.close().await(15, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // the test already failed or the node is gone
      }
    }
  }
}
