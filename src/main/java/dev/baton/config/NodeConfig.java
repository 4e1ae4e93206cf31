package dev.baton.config;

import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The validated, immutable settings of one node. {@link #fromJson} checks every value and names the
 * setting it refuses; nothing else in the node reads raw JSON or the environment.
 */
public record NodeConfig(
    String nodeId,
    RedisSettings redis,
    ElectionSettings election,
    GeneratorSettings generator,
    HandlerSettings handler,
    HeartbeatSettings heartbeat,
    HttpSettings http,
    LogSettings log,
    AuditSettings audit,
    PresenceSettings presence) {

  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /**
   * Validates a merged configuration (see {@link ConfigLoader#merge}): each section parses itself.
   */
  public static NodeConfig fromJson(JsonObject json) {
    String nodeId = json.getString("nodeId");
    if (nodeId == null || nodeId.isEmpty()) {
      nodeId = randomNodeId();
    } else if (!NODE_ID.matcher(nodeId).matches()) {
      throw new ConfigException(
          "nodeId: must be 1-64 characters of A-Z a-z 0-9 . _ -, got '" + nodeId + "'");
    }
    RedisSettings redis = RedisSettings.parse(Section.of(json, "redis"));
    ElectionSettings election = ElectionSettings.parse(Section.of(json, "election"));
    return new NodeConfig(
        nodeId,
        redis,
        election,
        GeneratorSettings.parse(Section.of(json, "generator")),
        HandlerSettings.parse(Section.of(json, "handler")),
        HeartbeatSettings.parse(Section.of(json, "heartbeat")),
        HttpSettings.parse(Section.of(json, "http")),
        LogSettings.parse(Section.of(json, "log")),
        AuditSettings.parse(Section.of(json, "audit")),
        PresenceSettings.parse(Section.of(json, "presence"), election));
  }

  /**
   * The configuration as JSON, in the shape of conf/node.json, with secrets masked: passwords and
   * the token read from files are shown in {@code password}/{@code token}, as {@value
   * Secrets#MASK}.
   */
  public JsonObject toJson() {
    return new JsonObject()
        .put("nodeId", nodeId)
        .put("redis", redis.toJson())
        .put("election", election.toJson())
        .put("generator", generator.toJson())
        .put("handler", handler.toJson())
        .put("heartbeat", heartbeat.toJson())
        .put("http", http.toJson())
        .put("log", log.toJson())
        .put("audit", audit.toJson())
        .put("presence", presence.toJson());
  }

  public static String randomNodeId() {
    return "node-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
