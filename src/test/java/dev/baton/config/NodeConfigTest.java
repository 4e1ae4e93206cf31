package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {
  private static final Path CONF = Path.of("conf/node.json");

  @TempDir Path tmp;

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
    assertThat(config.redis().embedded()).isEqualTo(RedisSettings.Embedded.AUTO);
  }

  @Test
  void environmentVariableNamesFollowTheJsonPath() {
    assertThat(ConfigLoader.envName("http.port")).isEqualTo("BATON_HTTP_PORT");
    assertThat(ConfigLoader.envName("redis.url")).isEqualTo("BATON_REDIS_URL");
    assertThat(ConfigLoader.envName("generator.intervalMs"))
        .isEqualTo("BATON_GENERATOR_INTERVAL_MS");
    assertThat(ConfigLoader.envName("nodeId")).isEqualTo("BATON_NODE_ID");
    assertThat(ConfigLoader.leafPaths())
        .contains("handler.errorProbability", "election.renewMs", "http.host");
  }

  @Test
  void environmentOverridesEveryKindOfSetting() {
    NodeConfig config =
        ConfigLoader.load(
            CONF,
            Map.of(
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
    assertThat(config.redis().embedded()).isEqualTo(RedisSettings.Embedded.OFF);
  }

  @Test
  void everySettingCanBeOverriddenByEnvironment() {
    JsonObject defaults = ConfigLoader.defaults();
    for (String path : ConfigLoader.leafPaths()) {
      Map<String, String> env = new HashMap<>(companions(path));
      Object def = valueAt(defaults, path);
      env.put(
          ConfigLoader.envName(path),
          def instanceof Boolean b ? Boolean.toString(!b) : sampleValue(path));
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
    assertRefused(
        "{\"handler\": {\"errorProbability\": \"high\"}}",
        "handler.errorProbability: must be a number");
    assertRefused("{\"election\": {\"leaseMs\": null}}", "election.leaseMs: must not be null");
  }

  @Test
  void refusesABadPluginConfigurationNamingTheSetting() {
    assertRefused(
        "{\"handler\": {\"type\": \"http\"}}",
        "handler.http.url: required when handler.type is 'http'");
    assertRefused(
        "{\"handler\": {\"type\": \"http\", \"http\": {\"url\": \"ftp://h/x\"}}}",
        "handler.http.url: must be an http:// or https:// URL, got 'ftp://h/x' (scheme ftp)");
    assertRefused(
        "{\"generator\": {\"source\": \"http\", \"http\": {\"url\": \"localhost:9000\"}}}",
        "generator.http.url: must be an http:// or https:// URL");
    assertRefused(
        "{\"handler\": {\"type\": \"http\", \"http\": {\"url\": \"http:///x\"}}}",
        "handler.http.url: names no host");
    assertRefused(
        "{\"handler\": {\"type\": \"http\", \"http\": {\"url\": \"http://h/\", \"secret\":"
            + " \"not base64!\"}}}",
        "handler.http.secret: must be whsec_ followed by base64");
    assertRefused(
        "{\"handler\": {\"type\": \"command\"}}",
        "handler.command: required when handler.type is 'command'");
    assertRefused(
        "{\"handler\": {\"type\": \"command\", \"command\": [\"no-such-program-x9\"]}}",
        "handler.command: 'no-such-program-x9' is not found on PATH as an executable file");
    assertRefused(
        "{\"generator\": {\"source\": \"command\", \"command\": [\"/nonexistent/run.sh\"]}}",
        "generator.command: '/nonexistent/run.sh' is not an executable file");
    assertRefused(
        "{\"handler\": {\"type\": \"java\", \"java\": {\"path\": \"/nonexistent\"}}}",
        "handler.java.path: '/nonexistent' is not a directory");
    assertRefused(
        "{\"handler\": {\"type\": \"cobol\"}}",
        "handler.type: must be one of 'random', 'http', 'command', 'java', got 'cobol'");
    assertRefused(
        "{\"handler\": {\"retryBackoffMs\": 5000, \"retryBackoffMaxMs\": 1000}}",
        "handler.retryBackoffMaxMs: must be at least handler.retryBackoffMs (5000)");
    // only the chosen form's settings are checked
    assertThat(
            NodeConfig.fromJson(
                    ConfigLoader.merge(
                        new JsonObject("{\"handler\": {\"http\": {\"url\": \"ftp://ignored\"}}}"),
                        Map.of()))
                .handler()
                .plugin()
                .type())
        .isEqualTo(PluginSettings.PluginType.RANDOM);
  }

  @Test
  void aCommandFromTheEnvironmentMayBeAJsonListForArgumentsWithCommasOrSpaces() {
    NodeConfig config =
        load(
            Map.of(
                "BATON_HANDLER_TYPE", "command",
                "BATON_HANDLER_COMMAND", "[\"sh\", \"-c\", \"echo a, b\"]"));
    assertThat(config.handler().plugin().command()).containsExactly("sh", "-c", "echo a, b");
    assertEnvRefused(
        Map.of("BATON_HANDLER_COMMAND", "[\"sh\", 3]"),
        "BATON_HANDLER_COMMAND (handler.command): entry 2 of the JSON list must be a string");
  }

  @Test
  void refusesImpossibleValues() {
    assertRefused(
        "{\"handler\": {\"errorProbability\": 1.5}}",
        "handler.errorProbability: must be within [0, 1]");
    assertRefused("{\"handler\": {\"errorProbability\": -0.1}}", "handler.errorProbability");
    assertRefused(
        "{\"election\": {\"leaseMs\": 1000, \"renewMs\": 400}}",
        "election.renewMs: must be at most election.leaseMs/3");
    assertRefused(
        "{\"presence\": {\"watchMs\": 5}}", "presence.watchMs: must be within [10, 60000]");
    assertRefused(
        "{\"presence\": {\"watchMs\": 1000}}",
        "presence.watchMs: must be below election.leaseMs (1000)");
    assertRefused("{\"presence\": {\"enabled\": \"yes\"}}", "presence.enabled");
    assertRefused("{\"http\": {\"port\": 70000}}", "http.port: must be within [0, 65535]");
    assertRefused("{\"http\": {\"port\": -1}}", "http.port");
    assertRefused("{\"redis\": {\"url\": \"http://x\"}}", "redis.url: must start with redis://");
    assertRefused("{\"redis\": {\"keyPrefix\": \"a}b\"}}", "redis.keyPrefix");
    assertRefused(
        "{\"redis\": {\"embedded\": \"sometimes\"}}", "redis.embedded: must be 'auto' or 'off'");
    assertRefused("{\"nodeId\": \"has space\"}", "nodeId: must be");
    assertRefused(
        "{\"heartbeat\": {\"intervalMs\": 1000, \"timeoutMs\": 1500}}", "heartbeat.timeoutMs");
    assertRefused(
        "{\"generator\": {\"packSize\": 0}}",
        "generator.packSize: must be within [1, 1000], got 0");
    assertRefused(
        "{\"generator\": {\"packSize\": 1001}}", "generator.packSize: must be within [1, 1000]");
    assertThat(load(Map.of("BATON_GENERATOR_PACK_SIZE", "16")).generator().packSize())
        .isEqualTo(16);
  }

  @Test
  void acceptsRenewAtExactlyAThirdOfTheLease() {
    NodeConfig c =
        NodeConfig.fromJson(
            ConfigLoader.merge(
                new JsonObject()
                    .put("election", new JsonObject().put("leaseMs", 900).put("renewMs", 300)),
                Map.of()));
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
    assertThatThrownBy(
            () -> ConfigLoader.load(CONF, Map.of("BATON_HANDLER_ERROR_PROBABILITY", "2")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("handler.errorProbability");
  }

  @Test
  void refusesMissingUnreadableOrMalformedFiles() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(tmp.resolve("nope.json"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("nope.json")
        .hasMessageContaining("cannot be read");
    Path bad = tmp.resolve("bad.json");
    Files.writeString(bad, "{\"http\": {\"port\": 80");
    assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad.json")
        .hasMessageContaining("not a JSON object");
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
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message);
  }

  /** Other settings a sample value needs to be valid (a user needs a password...). */
  private Map<String, String> companions(String path) {
    return switch (path) {
      case "redis.endpoints", "redis.masterName" -> Map.of("BATON_REDIS_TYPE", "sentinel");
      case "redis.user" -> Map.of("BATON_REDIS_PASSWORD", "pw-sample");
      case "redis.tls.certFile" -> Map.of("BATON_REDIS_TLS_KEY_FILE", file("key"));
      case "redis.tls.keyFile" -> Map.of("BATON_REDIS_TLS_CERT_FILE", file("cert"));
      case "handler.http.url" -> Map.of("BATON_HANDLER_TYPE", "http");
      case "generator.http.url" -> Map.of("BATON_GENERATOR_SOURCE", "http");
      case "handler.http.secret" ->
          Map.of("BATON_HANDLER_TYPE", "http", "BATON_HANDLER_HTTP_URL", "http://127.0.0.1:9/");
      case "generator.http.secret" ->
          Map.of(
              "BATON_GENERATOR_SOURCE", "http", "BATON_GENERATOR_HTTP_URL", "http://127.0.0.1:9/");
      case "handler.command", "handler.processes" ->
          Map.of("BATON_HANDLER_TYPE", "command", "BATON_HANDLER_COMMAND", "sh");
      case "generator.command" -> Map.of("BATON_GENERATOR_SOURCE", "command");
      case "handler.java.path" -> Map.of("BATON_HANDLER_TYPE", "java");
      case "generator.java.path" -> Map.of("BATON_GENERATOR_SOURCE", "java");
      default -> Map.of();
    };
  }

  private String file(String name) {
    try {
      Path f = tmp.resolve(name);
      Files.writeString(f, name + "-content\n");
      return f.toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private String sampleValue(String path) {
    return switch (path) {
      case "redis.type" -> "cluster";
      case "redis.endpoints" -> "redis://10.0.0.1:26379, redis://10.0.0.2:26379";
      case "redis.masterName" -> "other";
      case "redis.user" -> "baton";
      case "redis.password", "http.token" -> "s3cret-sample";
      case "redis.passwordFile",
          "http.tokenFile",
          "redis.tls.caFile",
          "redis.tls.certFile",
          "redis.tls.keyFile" ->
          file(path);
      case "redis.tls.verifyHost" -> "false";
      case "log.format" -> "json";
      case "nodeId" -> "n1";
      case "redis.url" -> "redis://127.0.0.2:6390";
      case "redis.keyPrefix" -> "other";
      case "redis.embedded" -> "off";
      case "redis.embeddedDir" -> "/tmp/x";
      case "http.host" -> "0.0.0.0";
      case "http.advertise" -> "node-7.example.org";
      case "handler.errorProbability" -> "0.25";
      case "election.leaseMs" -> "3000";
      case "election.renewMs" -> "100";
      case "heartbeat.intervalMs" -> "500";
      case "heartbeat.timeoutMs" -> "8000";
      case "generator.maxInFlight", "handler.maxInFlight" -> "7";
      case "http.idleTimeoutMs", "http.requestTimeoutMs" -> "1500";
      case "handler.type", "generator.source" -> "java";
      case "handler.http.url", "generator.http.url" -> "https://hooks.example.org/baton";
      case "handler.http.secret", "generator.http.secret" ->
          "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
      case "handler.command", "generator.command" -> "[\"sh\", \"-c\", \"cat, then exit\"]";
      case "handler.java.class", "generator.java.class" -> "com.example.MyHandler";
      case "handler.java.path", "generator.java.path" -> tmp.toString();
      case "handler.retryBackoffMs" -> "50";
      case "handler.retryBackoffMaxMs" -> "120000";
      case "handler.failingAfterMs", "generator.failingAfterMs" -> "45000";
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

  private NodeConfig load(Map<String, String> env) {
    return ConfigLoader.load(null, env);
  }

  private void assertEnvRefused(Map<String, String> env, String message) {
    assertThatThrownBy(() -> load(env))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message);
  }

  @Test
  void redisTypeAndEndpoints() {
    NodeConfig standalone = load(Map.of());
    assertThat(standalone.redis().type()).isEqualTo(RedisSettings.RedisType.STANDALONE);
    assertThat(standalone.redis().endpoints()).containsExactly("redis://127.0.0.1:6379");

    NodeConfig sentinel =
        load(
            Map.of(
                "BATON_REDIS_TYPE",
                "sentinel",
                "BATON_REDIS_ENDPOINTS",
                "redis://s1:26379,redis://s2:26379, redis://s3:26379",
                "BATON_REDIS_MASTER_NAME",
                "m1"));
    assertThat(sentinel.redis().endpoints())
        .containsExactly("redis://s1:26379", "redis://s2:26379", "redis://s3:26379");
    assertThat(sentinel.redis().masterName()).isEqualTo("m1");

    // one seed is enough for a cluster: without endpoints, redis.url is the seed
    NodeConfig cluster =
        load(Map.of("BATON_REDIS_TYPE", "CLUSTER", "BATON_REDIS_URL", "redis://c1:7000"));
    assertThat(cluster.redis().type()).isEqualTo(RedisSettings.RedisType.CLUSTER);
    assertThat(cluster.redis().endpoints()).containsExactly("redis://c1:7000");

    assertEnvRefused(
        Map.of("BATON_REDIS_TYPE", "replicated"),
        "redis.type: must be one of 'standalone', 'sentinel', 'cluster'");
    assertEnvRefused(
        Map.of("BATON_REDIS_ENDPOINTS", "redis://a:1"),
        "redis.endpoints: only for redis.type sentinel or cluster");
    assertEnvRefused(
        Map.of("BATON_REDIS_TYPE", "cluster", "BATON_REDIS_ENDPOINTS", "redis://a:1,rediss://b:2"),
        "mixes redis:// and rediss://");
    assertEnvRefused(
        Map.of("BATON_REDIS_TYPE", "cluster", "BATON_REDIS_ENDPOINTS", "http://a:1"),
        "redis.endpoints entry 1: must start with redis://");
    assertEnvRefused(
        Map.of("BATON_REDIS_TYPE", "sentinel", "BATON_REDIS_MASTER_NAME", " "), "redis.masterName");
    assertRefused(
        "{\"redis\": {\"type\": \"cluster\", \"endpoints\": [\"redis://a:1\", 5]}}",
        "redis.endpoints: every entry must be a redis:// or rediss:// URL, entry 2");
  }

  @Test
  void credentialsComeFromSettingsFilesOrTheUrlButNeverTwoWays() throws Exception {
    NodeConfig inUrl =
        load(Map.of("BATON_REDIS_URL", "redis://alice:pa%3Ass-url@h:6380/0?password=other"));
    assertThat(inUrl.redis().user()).isEqualTo("alice");
    // user info wins over ?password=, as in vertx-redis-client
    assertThat(inUrl.redis().password()).isEqualTo("pa:ss-url");
    assertThat(inUrl.redis().endpoints()).containsExactly("redis://h:6380/0");

    NodeConfig inQuery =
        load(Map.of("BATON_REDIS_URL", "redis://h:6380?user=dave&password=q-pass"));
    assertThat(inQuery.redis().user()).isEqualTo("dave");
    assertThat(inQuery.redis().password()).isEqualTo("q-pass");
    assertThat(inQuery.redis().endpoints()).containsExactly("redis://h:6380");

    NodeConfig userinfo = load(Map.of("BATON_REDIS_URL", "redis://:only-pass@h:6380"));
    assertThat(userinfo.redis().user()).isNull();
    assertThat(userinfo.redis().password()).isEqualTo("only-pass");
    assertThat(userinfo.redis().endpoints()).containsExactly("redis://h:6380");

    NodeConfig env = load(Map.of("BATON_REDIS_USER", "bob", "BATON_REDIS_PASSWORD", "env-pass"));
    assertThat(env.redis().user()).isEqualTo("bob");
    assertThat(env.redis().password()).isEqualTo("env-pass");

    Path pw = tmp.resolve("redis-password");
    Files.writeString(pw, "file-pass\n");
    NodeConfig file = load(Map.of("BATON_REDIS_PASSWORD_FILE", pw.toString()));
    assertThat(file.redis().password()).isEqualTo("file-pass");

    assertEnvRefused(
        Map.of("BATON_REDIS_PASSWORD", "x-pass", "BATON_REDIS_PASSWORD_FILE", pw.toString()),
        "set one of them, not both");
    assertEnvRefused(
        Map.of("BATON_REDIS_URL", "redis://:u-pass@h:1", "BATON_REDIS_PASSWORD", "x-pass"),
        "redis.password: also given inside the Redis URL");
    assertEnvRefused(Map.of("BATON_REDIS_USER", "carol"), "redis.user: 'carol' needs a password");
    assertEnvRefused(
        Map.of("BATON_REDIS_PASSWORD_FILE", tmp.resolve("missing").toString()),
        "redis.passwordFile: cannot read");
    Files.writeString(tmp.resolve("empty"), "");
    assertEnvRefused(
        Map.of("BATON_HTTP_TOKEN_FILE", tmp.resolve("empty").toString()), "http.tokenFile: ");
  }

  @Test
  void secretsNeverAppearInMessagesToStringOrJson() throws Exception {
    String secret = "Zq8-very-secret-" + System.nanoTime();
    NodeConfig c =
        load(
            Map.of(
                "BATON_REDIS_URL",
                "redis://user1:" + secret + "@h:6379",
                "BATON_HTTP_TOKEN",
                secret + "t"));
    assertThat(c.toString()).doesNotContain(secret);
    assertThat(c.toJson().encode()).doesNotContain(secret).contains(Secrets.MASK);
    assertThat(c.redis().describe()).doesNotContain(secret).contains("with a password");
    assertThat(c.redis().endpoints().toString()).doesNotContain(secret);
    assertThat(Secrets.mask("boom: redis://user1:" + secret + "@h:6379 refused"))
        .doesNotContain(secret);
    assertThat(RedisUrl.redact("redis://h:1?password=" + secret + "&db=2"))
        .doesNotContain(secret)
        .endsWith("&db=2");
    assertThat(RedisUrl.redact("rediss://u:p4ss@h:1/0")).isEqualTo("rediss://***@h:1/0");
    // a bad URL is quoted in the error, without the credentials
    assertThatThrownBy(() -> load(Map.of("BATON_REDIS_URL", "ftp://u:" + secret + "@h")))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret).contains("redis.url"));
  }

  @Test
  void tlsFilesMustBeReadableAndPaired() throws Exception {
    Path ca = tmp.resolve("ca.pem");
    Files.writeString(ca, "x");
    NodeConfig c =
        load(
            Map.of("BATON_REDIS_URL", "rediss://h:6380", "BATON_REDIS_TLS_CA_FILE", ca.toString()));
    assertThat(c.redis().usesTls()).isTrue();
    assertThat(c.redis().tls().caFile()).isEqualTo(ca.toString());
    assertThat(c.redis().tls().verifyHost()).isTrue();
    assertEnvRefused(
        Map.of("BATON_REDIS_TLS_CA_FILE", tmp.resolve("nope.pem").toString()),
        "redis.tls.caFile: cannot read");
    assertEnvRefused(
        Map.of("BATON_REDIS_TLS_CERT_FILE", ca.toString()), "certFile and keyFile go together");
  }

  @Test
  void theAdvertisedAddressIsTheSettingElseTheBindAddressElseTheHostname() throws Exception {
    assertThat(load(Map.of()).http().advertise()).isEqualTo("127.0.0.1");
    assertThat(load(Map.of()).http().address(8080)).isEqualTo("http://127.0.0.1:8080");
    assertThat(load(Map.of("BATON_HTTP_HOST", "10.1.2.3")).http().advertise())
        .isEqualTo("10.1.2.3");
    String hostname = InetAddress.getLocalHost().getHostName();
    NodeConfig wildcard = load(Map.of("BATON_HTTP_HOST", "0.0.0.0"));
    assertThat(wildcard.http().advertise()).isEqualTo(hostname).isNotEqualTo("0.0.0.0");
    assertThat(wildcard.http().address(8081)).isEqualTo("http://" + hostname + ":8081");
    assertThat(load(Map.of("BATON_HTTP_HOST", "::")).http().advertise()).isEqualTo(hostname);
    NodeConfig given =
        load(Map.of("BATON_HTTP_HOST", "0.0.0.0", "BATON_HTTP_ADVERTISE", "node-1.example.org"));
    assertThat(given.http().address(9000)).isEqualTo("http://node-1.example.org:9000");
    assertThat(given.toJson().getJsonObject("http").getString("advertise"))
        .isEqualTo("node-1.example.org");
    assertThat(load(Map.of("BATON_HTTP_ADVERTISE", "fd00::7")).http().address(80))
        .isEqualTo("http://[fd00::7]:80");
    assertThat(load(Map.of("BATON_HTTP_ADVERTISE", "[fd00::7]")).http().advertise())
        .isEqualTo("fd00::7");
  }

  @Test
  void refusesAnAdvertisedAddressNobodyCanUse() {
    for (String bad :
        new String[] {
          "http://node-1",
          "node-1:8080",
          "a b",
          "-node",
          "node_1",
          "0.0.0.0",
          "::",
          "[::]",
          "fd00::zz",
          "x".repeat(64)
        }) {
      assertEnvRefused(Map.of("BATON_HTTP_ADVERTISE", bad), "http.advertise: ");
    }
    assertRefused("{\"http\": {\"advertise\": 7}}", "http.advertise: must be a string");
  }

  @Test
  void logFormatIsTextOrJson() {
    assertThat(load(Map.of()).log().format()).isEqualTo(LogSettings.LogFormat.TEXT);
    assertThat(load(Map.of("BATON_LOG_FORMAT", "json")).log().format())
        .isEqualTo(LogSettings.LogFormat.JSON);
    assertEnvRefused(
        Map.of("BATON_LOG_FORMAT", "xml"), "log.format: must be one of 'text', 'json'");
  }

  @Test
  void refusesAKeyGivenTwiceNamingIt() {
    assertRefused("{\"http\": {\"port\": 8081, \"port\": 8082}}", "http.port: given twice");
    assertRefused("{\"nodeId\": \"a\", \"nodeId\": \"b\"}", "nodeId: given twice");
    assertRefused(
        "{\"redis\": {\"tls\": {\"caFile\": \"\", \"caFile\": \"\"}}}",
        "redis.tls.caFile: given twice");
  }

  @Test
  void refusesNumbersThatDoNotSurviveAsNumbers() {
    assertRefused(
        "{\"handler\": {\"errorProbability\": 1e-400}}",
        "handler.errorProbability: number too small");
    assertRefused("{\"http\": {\"port\": 1e-400}}", "http.port: number too small");
    assertRefused(
        "{\"generator\": {\"maxMessages\": 1e400}}", "generator.maxMessages: number too large");
    assertRefused(
        "{\"generator\": {\"maxMessages\": 99999999999999999999}}", "generator.maxMessages");
    assertEnvRefused(Map.of("BATON_HANDLER_ERROR_PROBABILITY", "1e-400"), "number too small");
    assertEnvRefused(Map.of("BATON_HANDLER_ERROR_PROBABILITY", "1e400"), "number too large");
    for (String bad : new String[] {"0.5f", "NaN", "0x1p-1", "Infinity", ".5", "5.", "+0.5"}) {
      assertEnvRefused(
          Map.of("BATON_HANDLER_ERROR_PROBABILITY", bad),
          "handler.errorProbability): must be a decimal");
    }
    for (String bad : new String[] {"+8080", "0x1F90", "8080L", "8_080", "80 80"}) {
      assertEnvRefused(
          Map.of("BATON_HTTP_PORT", bad), "BATON_HTTP_PORT (http.port): must be a whole number");
    }
    assertEnvRefused(
        Map.of("BATON_GENERATOR_MAX_MESSAGES", "99999999999999999999"), "out of range");
    assertThat(load(Map.of("BATON_HTTP_PORT", " 8081 ")).http().port()).isEqualTo(8081);
    assertThat(
            load(Map.of("BATON_HANDLER_ERROR_PROBABILITY", "2.5e-1")).handler().errorProbability())
        .isEqualTo(0.25);
  }

  @Test
  void refusesEmptyEntriesInAListFromTheEnvironment() {
    Map<String, String> sentinel = Map.of("BATON_REDIS_TYPE", "sentinel");
    for (String bad :
        new String[] {
          "redis://a:1,,redis://b:1", "redis://a:1,", ",redis://a:1", "redis://a:1, ,redis://b:1"
        }) {
      Map<String, String> env = new HashMap<>(sentinel);
      env.put("BATON_REDIS_ENDPOINTS", bad);
      assertEnvRefused(env, "BATON_REDIS_ENDPOINTS (redis.endpoints): entry");
    }
    Map<String, String> env = new HashMap<>(sentinel);
    env.put("BATON_REDIS_ENDPOINTS", " redis://a:26379 , redis://b:26379 ");
    assertThat(load(env).redis().endpoints()).containsExactly("redis://a:26379", "redis://b:26379");
    env.put("BATON_REDIS_ENDPOINTS", "");
    assertThat(load(env).redis().endpoints()).hasSize(1);
  }

  @Test
  void checksEveryPartOfARedisUrl() {
    String[][] refused = {
      {"redis://h:0", "port must be a number from 1 to 65535"},
      {"redis://h:99999", "port must be a number from 1 to 65535"},
      {"redis://h:abc", "port must be a number from 1 to 65535"},
      {"redis://h:", "port is empty"},
      {"redis://bad_host:6379", "'bad_host' is not a host name or an IP address"},
      {"redis://-h:6379", "'-h' is not a host name"},
      {"redis://h/abc", "the database must be a number"},
      {"redis://h/-1", "the database must be a number"},
      {"redis://h/99999999999", "the database must be a number"},
      {"redis://h/01", "the database must be a number"},
      {"redis://h/1?db=2", "names the database twice"},
      {"redis://h?db=x", "the database must be a number"},
      {"redis://h?timeout=5", "unknown parameter 'timeout'"},
      {"redis://h?password=a&password=b", "parameter 'password' given twice"},
      {"redis://h?db", "parameter 'db' has no value"},
      {"redis://h?db=1&", "unknown parameter ''"},
      {"redis://h#x", "must not have a #fragment"},
      {"unix://relative/sock", "a unix:// URL is unix:///absolute/path"},
      {"unix:///", "a unix:// URL is unix:///absolute/path"},
      {"redis://", "not a URL"},
      {"redis://:pw@", "has no host"},
    };
    for (String[] r : refused) {
      assertEnvRefused(Map.of("BATON_REDIS_URL", r[0]), "redis.url: " + r[1]);
    }
    assertThat(load(Map.of("BATON_REDIS_URL", "redis://h:6380/2")).redis().endpoints())
        .containsExactly("redis://h:6380/2");
    assertThat(load(Map.of("BATON_REDIS_URL", "redis://[::1]:6379")).redis().endpoints())
        .containsExactly("redis://[::1]:6379");
    NodeConfig encoded = load(Map.of("BATON_REDIS_URL", "redis://u:p%40ss@h.example:6379?db=3"));
    assertThat(encoded.redis().password()).isEqualTo("p@ss");
    assertThat(encoded.redis().endpoints()).containsExactly("redis://h.example:6379?db=3");
    assertThat(load(Map.of("BATON_REDIS_URL", "unix:///run/redis.sock?db=1")).redis().endpoints())
        .containsExactly("unix:///run/redis.sock?db=1");
    assertEnvRefused(
        Map.of("BATON_REDIS_TYPE", "cluster", "BATON_REDIS_URL", "redis://h:7000/3"),
        "redis.url: Redis Cluster has only database 0");
    Map<String, String> sentinel =
        Map.of("BATON_REDIS_TYPE", "sentinel", "BATON_REDIS_ENDPOINTS", "redis://a:1,redis://b:0");
    assertEnvRefused(sentinel, "redis.endpoints entry 2: port must be a number from 1 to 65535");
  }

  @Test
  void refusesAnHttpHostThatIsNoHostNameOrAddress() {
    for (String bad : new String[] {"local host", "exa_mple", "127.0.0.1:8080", "[::1]", "-x"}) {
      assertEnvRefused(
          Map.of("BATON_HTTP_HOST", bad), "http.host: must be a host name or an IP address");
    }
    assertThat(load(Map.of("BATON_HTTP_HOST", "::1")).http().host()).isEqualTo("::1");
    assertThat(load(Map.of("BATON_HTTP_HOST", "node-3.internal")).http().host())
        .isEqualTo("node-3.internal");
  }

  @Test
  void boundsTheHttpLimits() {
    assertEnvRefused(
        Map.of("BATON_HTTP_MAX_CONNECTIONS", "0"),
        "http.maxConnections: must be within [1, 1000000]");
    assertEnvRefused(
        Map.of("BATON_HTTP_IDLE_TIMEOUT_MS", "99"),
        "http.idleTimeoutMs: must be within [100, 86400000]");
    assertEnvRefused(Map.of("BATON_HTTP_REQUEST_TIMEOUT_MS", "0"), "http.requestTimeoutMs");
    assertEnvRefused(Map.of("BATON_HTTP_MAX_REQUESTS", "-1"), "http.maxRequests");
    assertEnvRefused(Map.of("BATON_HTTP_READ_BUDGET", "0"), "http.readBudget");
    HttpSettings h = load(Map.of()).http();
    assertThat(h.maxConnections()).isEqualTo(512);
    assertThat(h.idleTimeoutMs()).isEqualTo(30_000);
    assertThat(h.requestTimeoutMs()).isEqualTo(10_000);
    assertThat(h.maxRequests()).isEqualTo(64);
    assertThat(h.readBudget()).isEqualTo(10_000);
  }
}
