package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {
  private static final Path CONF = Path.of("conf/node.json");

  @TempDir
  Path tmp;

  @Test
  void confNodeJsonListsEverySettingWithItsDefault() throws Exception {
    JsonObject file = new JsonObject(Files.readString(CONF));
    assertThat(file).isEqualTo(ConfigLoader.defaults());
    NodeConfig config = ConfigLoader.load(CONF, Map.of());
    // every setting of the file reaches the record, and nothing else does
    assertThat(config.toJson().put("nodeId", null)).isEqualTo(file);
    assertThat(config.election().leaseMs()).isEqualTo(1000);
    assertThat(config.election().renewMs()).isEqualTo(300);
    assertThat(config.generator().intervalMs()).isEqualTo(500);
    assertThat(config.generator().maxBacklog()).isEqualTo(100_000);
    assertThat(config.handler().errorProbability()).isEqualTo(0.05);
    assertThat(config.handler().reclaimIdleMs()).isEqualTo(5000);
    assertThat(config.handler().maxDeliveries()).isEqualTo(5);
    assertThat(config.heartbeat().intervalMs()).isEqualTo(1000);
    assertThat(config.heartbeat().timeoutMs()).isEqualTo(5000);
    assertThat(config.redis().keyPrefix()).isEqualTo("baton");
    assertThat(config.redis().embedded()).isEqualTo(NodeConfig.Embedded.AUTO);
  }

  @Test
  void environmentVariableNamesFollowTheJsonPath() {
    assertThat(ConfigLoader.envName("http.port")).isEqualTo("BATON_HTTP_PORT");
    assertThat(ConfigLoader.envName("redis.url")).isEqualTo("BATON_REDIS_URL");
    assertThat(ConfigLoader.envName("generator.intervalMs")).isEqualTo("BATON_GENERATOR_INTERVAL_MS");
    assertThat(ConfigLoader.envName("nodeId")).isEqualTo("BATON_NODE_ID");
    assertThat(ConfigLoader.leafPaths()).contains("handler.errorProbability", "election.renewMs", "http.host");
  }

  @Test
  void environmentOverridesEveryKindOfSetting() {
    NodeConfig config = ConfigLoader.load(CONF, Map.of(
        "BATON_HTTP_PORT", "8081",
        "BATON_REDIS_URL", "redis://10.0.0.5:6380",
        "BATON_GENERATOR_INTERVAL_MS", "250",
        "BATON_HANDLER_ERROR_PROBABILITY", "0.5",
        "BATON_NODE_ID", "alpha",
        "BATON_REDIS_EMBEDDED", "off",
        "PATH", "/usr/bin"));
    assertThat(config.http().port()).isEqualTo(8081);
    assertThat(config.redis().url()).isEqualTo("redis://10.0.0.5:6380");
    assertThat(config.generator().intervalMs()).isEqualTo(250);
    assertThat(config.handler().errorProbability()).isEqualTo(0.5);
    assertThat(config.nodeId()).isEqualTo("alpha");
    assertThat(config.redis().embedded()).isEqualTo(NodeConfig.Embedded.OFF);
  }

  @Test
  void everySettingCanBeOverriddenByEnvironment() {
    JsonObject defaults = ConfigLoader.defaults();
    for (String path : ConfigLoader.leafPaths()) {
      Map<String, String> env = new HashMap<>();
      Object def = valueAt(defaults, path);
      env.put(ConfigLoader.envName(path), def instanceof Boolean b ? Boolean.toString(!b) : sampleValue(path));
      JsonObject merged = ConfigLoader.merge(new JsonObject(), env);
      assertThat(valueAt(merged, path)).as(path).isNotEqualTo(valueAt(defaults, path));
      NodeConfig.fromJson(merged); // still valid
    }
  }

  @Test
  void nodeIdIsFreshPerProcessWhenNotSet() {
    NodeConfig a = ConfigLoader.load(CONF, Map.of());
    NodeConfig b = ConfigLoader.load(CONF, Map.of());
    assertThat(a.nodeId()).isNotBlank().isNotEqualTo(b.nodeId());
  }

  @Test
  void refusesUnknownKeyNamingIt() {
    assertRefused("{\"http\": {\"prot\": 8080}}", "http.prot: unknown setting");
    assertRefused("{\"bogus\": 1}", "bogus: unknown setting");
  }

  @Test
  void refusesWrongTypesNamingTheSetting() {
    assertRefused("{\"http\": {\"port\": \"8080\"}}", "http.port: must be a whole number");
    assertRefused("{\"http\": {\"port\": 80.5}}", "http.port: must be a whole number");
    assertRefused("{\"redis\": {\"url\": 5}}", "redis.url: must be a string");
    assertRefused("{\"redis\": 5}", "redis: must be an object");
    assertRefused("{\"handler\": {\"errorProbability\": \"high\"}}", "handler.errorProbability: must be a number");
    assertRefused("{\"election\": {\"leaseMs\": null}}", "election.leaseMs: must not be null");
  }

  @Test
  void refusesImpossibleValues() {
    assertRefused("{\"handler\": {\"errorProbability\": 1.5}}", "handler.errorProbability: must be within [0, 1]");
    assertRefused("{\"handler\": {\"errorProbability\": -0.1}}", "handler.errorProbability");
    assertRefused("{\"election\": {\"leaseMs\": 1000, \"renewMs\": 400}}",
        "election.renewMs: must be at most election.leaseMs/3");
    assertRefused("{\"http\": {\"port\": 70000}}", "http.port: must be within [0, 65535]");
    assertRefused("{\"http\": {\"port\": -1}}", "http.port");
    assertRefused("{\"redis\": {\"url\": \"http://x\"}}", "redis.url: must start with redis://");
    assertRefused("{\"redis\": {\"keyPrefix\": \"a}b\"}}", "redis.keyPrefix");
    assertRefused("{\"redis\": {\"embedded\": \"sometimes\"}}", "redis.embedded: must be 'auto' or 'off'");
    assertRefused("{\"nodeId\": \"has space\"}", "nodeId: must be");
    assertRefused("{\"heartbeat\": {\"intervalMs\": 1000, \"timeoutMs\": 1500}}", "heartbeat.timeoutMs");
  }

  @Test
  void acceptsRenewAtExactlyAThirdOfTheLease() {
    NodeConfig c = NodeConfig.fromJson(ConfigLoader.merge(
        new JsonObject().put("election", new JsonObject().put("leaseMs", 900).put("renewMs", 300)), Map.of()));
    assertThat(c.election().renewMs()).isEqualTo(300);
  }

  @Test
  void refusesBadEnvironmentValuesNamingTheVariable() {
    assertThatThrownBy(() -> ConfigLoader.load(CONF, Map.of("BATON_HTTP_PORT", "eighty")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("BATON_HTTP_PORT (http.port): must be a whole number");
    assertThatThrownBy(() -> ConfigLoader.load(CONF, Map.of("BATON_HTTP_PROT", "8080")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("BATON_HTTP_PROT: unknown setting");
    assertThatThrownBy(() -> ConfigLoader.load(CONF, Map.of("BATON_HANDLER_ERROR_PROBABILITY", "2")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("handler.errorProbability");
  }

  @Test
  void refusesMissingUnreadableOrMalformedFiles() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(tmp.resolve("nope.json"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("nope.json").hasMessageContaining("cannot be read");
    Path bad = tmp.resolve("bad.json");
    Files.writeString(bad, "{\"http\": {\"port\": 80");
    assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad.json").hasMessageContaining("not a JSON object");
    Path array = tmp.resolve("array.json");
    Files.writeString(array, "[1, 2]");
    assertThatThrownBy(() -> ConfigLoader.load(array, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not a JSON object");
  }

  private void assertRefused(String json, String message) {
    Path f = tmp.resolve("c" + System.nanoTime() + ".json");
    try {
      Files.writeString(f, json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message);
  }

  private static String sampleValue(String path) {
    return switch (path) {
      case "nodeId" -> "n1";
      case "redis.url" -> "redis://127.0.0.2:6390";
      case "redis.keyPrefix" -> "other";
      case "redis.embedded" -> "off";
      case "redis.embeddedDir" -> "/tmp/x";
      case "http.host" -> "0.0.0.0";
      case "handler.errorProbability" -> "0.25";
      case "election.leaseMs" -> "3000";
      case "election.renewMs" -> "100";
      case "heartbeat.intervalMs" -> "500";
      case "heartbeat.timeoutMs" -> "8000";
      case "generator.maxInFlight", "handler.maxInFlight" -> "7";
      default -> "77";
    };
  }

  private static Object valueAt(JsonObject root, String path) {
    String[] parts = path.split("\\.");
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.getJsonObject(parts[i]);
    }
    Object v = node.getValue(parts[parts.length - 1]);
    return v instanceof Number n ? n.doubleValue() : v;
  }
}
