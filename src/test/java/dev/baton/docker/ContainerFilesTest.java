package dev.baton.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.ConfigLoader;
import dev.baton.config.LogSettings;
import dev.baton.config.NodeConfig;
import dev.baton.config.RedisSettings;
import dev.baton.support.DockerTests;
import dev.baton.support.PrometheusTools;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * What a typo in docker/Dockerfile or docker/docker-compose.yml would break, checked without a
 * Docker engine: service names, BATON_* names against the real settings (and their values against
 * the real validation), ports, the health check, the non-root user, paths that must exist.
 */
class ContainerFilesTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path COMPOSE = ROOT.resolve("docker/docker-compose.yml");
  private static final Path DOCKERFILE = ROOT.resolve("docker/Dockerfile");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z_]+)(?::?[-?]([^}]*))?}");

  private static Set<String> settingVariables() {
    Set<String> names = new HashSet<>();
    ConfigLoader.leafPaths().forEach(p -> names.add(ConfigLoader.envName(p)));
    return names;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> compose() throws Exception {
    return new Yaml().load(Files.readString(COMPOSE));
  }

  @SuppressWarnings("unchecked")
  private static Set<String> services() throws Exception {
    return ((Map<String, Object>) compose().get("services")).keySet();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> service(String name) throws Exception {
    return (Map<String, Object>) ((Map<String, Object>) compose().get("services")).get(name);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> nodeEnvironment() throws Exception {
    Map<String, String> env = new HashMap<>();
    ((Map<String, Object>) service("node").get("environment"))
        .forEach((k, v) -> env.put(k, String.valueOf(v)));
    return env;
  }

  /**
   * Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}, with {@code given} as the
   * caller's environment.
   */
  private static String interpolate(String value, Map<String, String> given) {
    Matcher m = VARIABLE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = given.getOrDefault(m.group(1), m.group(0).contains(":-") ? m.group(2) : "");
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Dockerfile instructions with continuation lines joined, comments dropped. */
  private static List<String> instructions() throws Exception {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(DOCKERFILE)) {
      String t = line.strip();
      if (t.startsWith("#") || (t.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (t.endsWith("\\")) {
        current.append(t, 0, t.length() - 1).append(' ');
      } else {
        out.add(current.append(t).toString());
        current.setLength(0);
      }
    }
    return out;
  }

  private static List<String> instructions(String keyword) throws Exception {
    return instructions().stream().filter(i -> i.toUpperCase().startsWith(keyword + " ")).toList();
  }

  @SuppressWarnings("unchecked")
  @Test
  void composeHasARedisWithAofAndAPasswordAndAScalableNodeService() throws Exception {
    assertThat(services()).containsExactlyInAnyOrder("redis", "node", "prometheus");
    assertThat(service("redis")).as("started by a plain up").doesNotContainKey("profiles");
    assertThat(service("node")).as("started by a plain up").doesNotContainKey("profiles");
    Map<String, Object> redis = service("redis");
    String command = String.join(" ", (List<String>) redis.get("command"));
    assertThat(command).contains("--appendonly yes").contains("--requirepass");
    assertThat(redis).containsKey("healthcheck");
    assertThat(redis.get("ports")).as("Redis stays inside the compose network").isNull();

    Map<String, Object> node = service("node");
    assertThat(node)
        .as("a fixed container name breaks --scale")
        .doesNotContainKey("container_name");
    Map<?, ?> dependsOn = (Map<?, ?>) node.get("depends_on");
    assertThat(((Map<?, ?>) dependsOn.get("redis")).get("condition")).isEqualTo("service_healthy");
    Map<?, ?> build = (Map<?, ?>) node.get("build");
    Path context = COMPOSE.getParent().resolve((String) build.get("context")).normalize();
    assertThat(context).isEqualTo(ROOT);
    assertThat(context.resolve((String) build.get("dockerfile"))).isEqualTo(DOCKERFILE);
  }

  @SuppressWarnings("unchecked")
  @Test
  void theMonitoringProfileRunsPrometheusWithTheRulesScrapingEveryNodeReplicaOnLoopback()
      throws Exception {
    Map<String, Object> prometheus = service("prometheus");
    assertThat((List<String>) prometheus.get("profiles")).containsExactly("monitoring");
    assertThat(prometheus.get("image")).isEqualTo("prom/prometheus:v2.42.0");
    assertThat((List<String>) prometheus.get("ports"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p).as("the UI on loopback only").startsWith("127.0.0.1:");
              assertThat(p).endsWith(":9090");
            });
    // the monitoring directory, mounted where the command and the configuration look
    String mount =
        ((List<String>) prometheus.get("volumes"))
            .stream().filter(v -> v.contains("monitoring")).findFirst().orElseThrow();
    String[] parts = mount.split(":");
    Path source = COMPOSE.getParent().resolve(parts[0]).normalize();
    String target = parts[1];
    assertThat(source).isEqualTo(ROOT.resolve("monitoring/prometheus"));
    assertThat(parts).as("read-only").hasSize(3).endsWith("ro");
    String configFile =
        ((List<String>) prometheus.get("command"))
            .stream()
                .filter(c -> c.startsWith("--config.file="))
                .findFirst()
                .orElseThrow()
                .substring("--config.file=".length());
    assertThat(configFile).startsWith(target + "/");
    Path config = source.resolve(configFile.substring(target.length() + 1));
    Map<String, Object> prom = new Yaml().load(Files.readString(config));
    for (String rules : (List<String>) prom.get("rule_files")) {
      assertThat(rules).startsWith(target + "/");
      assertThat(source.resolve(rules.substring(target.length() + 1)))
          .isEqualTo(ROOT.resolve("monitoring/prometheus/baton-alerts.yml"));
    }
    List<Map<String, Object>> jobs = (List<Map<String, Object>>) prom.get("scrape_configs");
    assertThat(jobs).hasSize(1);
    assertThat(jobs.get(0))
        .as("no fixed targets: --scale needs no edit")
        .doesNotContainKey("static_configs");
    Map<String, Object> dns =
        ((List<Map<String, Object>>) jobs.get(0).get("dns_sd_configs")).get(0);
    assertThat((List<String>) dns.get("names")).containsExactly("node");
    assertThat(dns.get("type")).isEqualTo("A");
    assertThat(String.valueOf(dns.get("port"))).isEqualTo(nodeEnvironment().get("BATON_HTTP_PORT"));
  }

  @Test
  void dockerComposeConfigAcceptsTheFileWithAndWithoutTheMonitoringProfile() {
    // the Compose CLI alone validates the file; no engine is asked
    DockerTests.Result version =
        DockerTests.run(Map.of(), List.of(), 30, "docker", "compose", "version");
    if (version.exit() != 0) {
      String why = "docker compose (Compose v2) is not installed: " + version.output();
      if (DockerTests.REQUIRED) {
        throw new AssertionError(why);
      }
      Assumptions.abort(why);
    }
    DockerTests.Result plain =
        DockerTests.run(
            Map.of(),
            List.of("COMPOSE_PROFILES"),
            60,
            "docker",
            "compose",
            "-f",
            COMPOSE.toString(),
            "config",
            "--services");
    assertThat(plain.exit()).as(plain.output()).isZero();
    assertThat(plain.output().lines().toList()).containsExactlyInAnyOrder("redis", "node");
    DockerTests.Result monitoring =
        DockerTests.run(
            Map.of(),
            List.of("COMPOSE_PROFILES"),
            60,
            "docker",
            "compose",
            "-f",
            COMPOSE.toString(),
            "--profile",
            "monitoring",
            "config",
            "--services");
    assertThat(monitoring.exit()).as(monitoring.output()).isZero();
    assertThat(monitoring.output().lines().toList())
        .containsExactlyInAnyOrder("redis", "node", "prometheus");
  }

  @Test
  void promtoolAcceptsTheComposePrometheusConfiguration() throws Exception {
    // promtool reads the rule files it names: point them at this checkout instead of the mount
    Path dir = Files.createTempDirectory("baton-prometheus-config-");
    try {
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          Files.readString(ROOT.resolve("monitoring/prometheus/prometheus.yml"))
              .replace(
                  "/etc/prometheus/baton/baton-alerts.yml",
                  ROOT.resolve("monitoring/prometheus/baton-alerts.yml").toString()));
      PrometheusTools.Result check = PrometheusTools.promtool("check", "config", config.toString());
      assertThat(check.exit()).as(check.output()).isZero();
      assertThat(check.output()).contains("SUCCESS: 12 rules found");
    } finally {
      Files.deleteIfExists(dir.resolve("prometheus.yml"));
      Files.deleteIfExists(dir);
    }
  }

  @SuppressWarnings("unchecked")
  @Test
  void redisStartsThroughTheImagesEntrypointAndOnlyStartingItNeedsThePassword() throws Exception {
    String text = Files.readString(COMPOSE);
    // ${VAR:?message} would make every subcommand (ps, logs, exec, down) fail without it
    assertThat(text).doesNotContain(":?").doesNotContainPattern("\\$\\{REDIS_PASSWORD\\}");
    assertThat(text)
        .as("Compose v2 is named where the file says how to run it")
        .contains("Compose v2");
    Map<String, Object> redis = service("redis");
    assertThat(redis)
        .as("a user: or entrypoint: would bypass the image's own privilege drop")
        .doesNotContainKeys("user", "entrypoint");
    List<String> command = (List<String>) redis.get("command");
    assertThat(command.subList(0, 2)).containsExactly("sh", "-c");
    String script = command.get(2);
    assertThat(script).contains("if [ -z \"$$REDIS_PASSWORD\" ]").contains("exit 1");
    // the official entrypoint drops from root to the redis user only when redis-server comes first
    assertThat(script).containsPattern("exec docker-entrypoint\\.sh redis-server ");
    assertThat(script.substring(script.lastIndexOf("exec ")))
        .contains("--requirepass \"$$REDIS_PASSWORD\"");
    assertThat(((Map<String, Object>) redis.get("environment")).get("REDIS_PASSWORD"))
        .isEqualTo("${REDIS_PASSWORD:-}");
    assertThat(nodeEnvironment().get("BATON_REDIS_PASSWORD")).isEqualTo("${REDIS_PASSWORD:-}");
    assertThat(Files.readAllLines(ROOT.resolve(".gitignore")))
        .as("the password file users create")
        .contains("docker/.env");
    assertThat(Files.readAllLines(ROOT.resolve(".dockerignore"))).contains("docker/.env");
  }

  @Test
  void theBuildStageTakesOnlyWhatTheJarIsMadeOf() throws Exception {
    List<String> all = instructions();
    int runtime = all.indexOf(instructions("FROM").get(1));
    List<String> build = all.subList(0, runtime);
    List<String> copies = build.stream().filter(i -> i.startsWith("COPY ")).toList();
    assertThat(copies)
        .containsExactly("COPY pom.xml .", "COPY conf conf", "COPY src/main src/main");
    List<String> maven = build.stream().filter(i -> i.startsWith("RUN mvn")).toList();
    assertThat(maven).hasSize(2).allSatisfy(m -> assertThat(m).contains("-Dbaton.image"));
    assertThat(maven.get(1)).contains("package").contains("-Dmaven.test.skip=true");
    // with -Dbaton.image no test dependency is left: each one sits in the profile it turns off
    String pom = Files.readString(ROOT.resolve("pom.xml"));
    int profiles = pom.indexOf("<profiles>");
    assertThat(profiles).isPositive();
    assertThat(pom.substring(0, profiles)).doesNotContain("<scope>test</scope>");
    String profile = pom.substring(profiles);
    assertThat(profile)
        .contains("<name>!baton.image</name>")
        .contains("testcontainers")
        .contains("selenium");
  }

  @Test
  void everyBatonVariableInComposeAndDockerfileNamesARealSettingWithAValidValue() throws Exception {
    Set<String> known = settingVariables();
    Map<String, String> env = new HashMap<>();
    Map<String, String> caller =
        Map.of(
            "REDIS_PASSWORD",
            "pw-for-the-test",
            "BATON_HTTP_TOKEN",
            "",
            "BATON_HTTP_ADVERTISE",
            "");
    for (String instruction : instructions("ENV")) {
      Matcher m = Pattern.compile("(BATON_[A-Z_]+)=(\\S+)").matcher(instruction);
      while (m.find()) {
        env.put(m.group(1), m.group(2));
      }
    }
    assertThat(env).isNotEmpty();
    nodeEnvironment().forEach((k, v) -> env.put(k, interpolate(v, caller)));
    assertThat(env.keySet())
        .allSatisfy(name -> assertThat(known).as("a setting named " + name).contains(name));
    // the values pass the node's own validation, as the container would see them
    NodeConfig config = ConfigLoader.load(ROOT.resolve("conf/node.json"), env);
    assertThat(config.http().host()).isEqualTo("0.0.0.0");
    assertThat(config.http().advertise())
        .as("bound to 0.0.0.0, a node shows its hostname")
        .isEqualTo(InetAddress.getLocalHost().getHostName());
    assertThat(config.redis().embedded()).isEqualTo(RedisSettings.Embedded.OFF);
    assertThat(config.redis().password()).isEqualTo("pw-for-the-test");
    assertThat(config.log().format()).isEqualTo(LogSettings.LogFormat.JSON);
    assertThat(config.redis().endpoints()).containsExactly("redis://redis:6379");
    assertThat(services()).contains("redis"); // the URL's host is a service
  }

  @Test
  void portsAndTheHealthCheckAgreeWithTheNodesHttpPort() throws Exception {
    String port = nodeEnvironment().get("BATON_HTTP_PORT");
    assertThat(port).isEqualTo("8080");
    List<?> ports = (List<?>) service("node").get("ports");
    assertThat(ports)
        .isNotEmpty()
        .allSatisfy(
            p -> {
              String[] parts = String.valueOf(p).split(":");
              assertThat(parts[parts.length - 1]).isEqualTo(port);
              assertThat(parts.length == 3 ? parts[1] : "")
                  .as("no fixed host port (scaling)")
                  .isEmpty();
            });
    assertThat(instructions("EXPOSE")).containsExactly("EXPOSE " + port);
    assertThat(instructions("ENV").toString()).contains("BATON_HTTP_PORT=" + port);
    List<String> health = instructions("HEALTHCHECK");
    assertThat(health).hasSize(1);
    assertThat(health.get(0)).contains("http://127.0.0.1:${BATON_HTTP_PORT}/health");
  }

  @Test
  void theDockerfileBuildsInOneStageAndRunsAsNonRootFromAJre() throws Exception {
    List<String> from = instructions("FROM");
    assertThat(from).hasSize(2);
    assertThat(from.get(0)).contains("maven").contains("17").endsWith("AS build");
    assertThat(from.get(1)).startsWith("FROM eclipse-temurin:17-jre");
    List<String> all = instructions();
    int runtime = all.indexOf(from.get(1));
    List<String> users =
        all.subList(runtime, all.size()).stream().filter(i -> i.startsWith("USER ")).toList();
    assertThat(users).hasSize(1);
    String user = users.get(0).substring(5).split(":")[0];
    assertThat(user).isNotIn("root", "0");
    for (String copy : instructions("COPY")) {
      String[] words = copy.split("\\s+");
      if (copy.contains("--from=build")) {
        assertThat(words[words.length - 2]).isEqualTo("/src/target/node-fat.jar");
        continue;
      }
      for (int i = 1; i < words.length - 1; i++) {
        assertThat(ROOT.resolve(words[i])).as(copy).exists();
      }
    }
    String run =
        String.join(" ", instructions("ENTRYPOINT")) + " " + String.join(" ", instructions("CMD"));
    assertThat(run).contains("\"/app/node-fat.jar\"").contains("\"/app/conf/node.json\"");
    assertThat(instructions("COPY"))
        .contains(
            "COPY conf/node.json /app/conf/node.json",
            "COPY --from=build /src/target/node-fat.jar /app/node-fat.jar");
    assertThat(Files.readAllLines(ROOT.resolve(".dockerignore"))).contains("target", ".git");
  }
}
