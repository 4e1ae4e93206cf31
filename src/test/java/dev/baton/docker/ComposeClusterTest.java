package dev.baton.docker;

import static dev.baton.support.DockerTests.compose;
import static dev.baton.support.DockerTests.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.baton.bench.FreePort;
import dev.baton.support.Await;
import dev.baton.support.DockerTests;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The README's Production story on a real engine, step by step on one cluster: docker/docker-
 * compose.yml built and brought up with three nodes (Testcontainers' ComposeContainer: build, up,
 * health waits, stable ports through its ambassador, {@code down -v}); then, with the docker and
 * docker compose commands the README gives (so what is tested is what a user types): one generator,
 * addresses the containers reach each other by, Redis not root, {@code docker kill} and {@code
 * docker stop} of the generator, {@code docker compose restart redis} losing nothing, getErrors in
 * a node container, and compose commands that need no password. The {@code monitoring} profile is
 * up too: its Prometheus finds every node through Docker's DNS, and its no-generator alert goes
 * pending once every node is stopped.
 *
 * <p>Where redis:7-alpine is a local stand-in without the official image's entrypoint (this
 * project's CI, see .ci/run) the test builds that entrypoint's behaviour onto it
 * (src/test/docker/redis-entrypoint) and points the compose file's Redis there; against the
 * official image it uses the file as it is. {@link ContainerFilesTest} checks the files without an
 * engine.
 */
@ExtendWith(DockerTests.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(420)
class ComposeClusterTest {
  private static final int NODES = 3;
  private static final int HTTP_PORT = 8080;
  private static final String PASSWORD = "compose-test-password";
  private static final String STAND_IN_IMAGE = "baton-test/redis-entrypoint";
  private static final Path TEST_FILES = Path.of("src/test/docker");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static final List<Path> files = new ArrayList<>();
  private static ComposeContainer cluster;
  private static String project;
  private static boolean down;
  private static int prometheusPort;

  @BeforeAll
  static void up() throws IOException {
    prometheusPort = FreePort.pick(); // where the profile publishes Prometheus's UI
    files.add(Path.of("docker/docker-compose.yml"));
    files.add(TEST_FILES.resolve("test-settings.yml"));
    if (redisImageLacksTheOfficialEntrypoint()) {
      ok(
          "docker",
          "build",
          "--pull=false",
          "-q",
          "-t",
          STAND_IN_IMAGE,
          TEST_FILES.resolve("redis-entrypoint").toString());
      files.add(TEST_FILES.resolve("stand-in-redis.yml"));
    }
    ComposeContainer c =
        new ComposeContainer(files.stream().map(Path::toFile).toArray(File[]::new))
            .withBuild(true)
            .withPull(DockerTests.pull())
            .withEnv("REDIS_PASSWORD", PASSWORD)
            // `up` names the services it starts (node, scaled): name them all, Prometheus included
            .withServices("redis", "node", "prometheus")
            .withEnv("COMPOSE_PROFILES", "monitoring")
            .withEnv("PROMETHEUS_PORT", Integer.toString(prometheusPort))
            .withScaledService("node", NODES)
            .withStartupTimeout(Duration.ofMinutes(4));
    for (int i = 1; i <= NODES; i++) {
      c.withExposedService(
          "node",
          i,
          HTTP_PORT,
          Wait.forHttp("/health").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(4)));
    }
    cluster = c;
    cluster.start();
    project = label(container("node-1"), "com.docker.compose.project");
  }

  @AfterAll
  static void downIfStillUp() {
    if (cluster != null && !down) {
      cluster.stop();
    }
  }

  /**
   * The stand-in images of ../shared/containers carry no ENTRYPOINT; the official one has
   * docker-entrypoint.sh.
   */
  private static boolean redisImageLacksTheOfficialEntrypoint() {
    try {
      String[] entrypoint =
          DockerClientFactory.lazyClient()
              .inspectImageCmd("redis:7-alpine")
              .exec()
              .getConfig()
              .getEntrypoint();
      return entrypoint == null || entrypoint.length == 0;
    } catch (NotFoundException e) {
      return false; // compose pulls the official image
    }
  }

  private static String container(String serviceInstance) {
    return cluster.getContainerByServiceName(serviceInstance).orElseThrow().getContainerId();
  }

  private static String label(String container, String name) {
    return ok("docker", "inspect", "-f", "{{index .Config.Labels \"" + name + "\"}}", container)
        .strip();
  }

  private static JsonObject status(int instance) {
    return get(instance, "/status");
  }

  private static JsonObject get(int instance, String path) {
    try {
      String host = cluster.getServiceHost("node-" + instance, HTTP_PORT);
      int port = cluster.getServicePort("node-" + instance, HTTP_PORT);
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
                  .timeout(Duration.ofSeconds(3))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static List<Integer> all() {
    return IntStream.rangeClosed(1, NODES).boxed().toList();
  }

  /**
   * The one generator among {@code among} once every one of them answers and exactly one generates.
   */
  private static Integer soleGenerator(List<Integer> among) {
    Integer generator = null;
    for (int i : among) {
      JsonObject s = status(i);
      if (s == null || "starting".equals(s.getString("role"))) {
        return null;
      }
      if ("generator".equals(s.getString("role"))) {
        if (generator != null) {
          return null;
        }
        generator = i;
      }
    }
    return generator;
  }

  private static JsonObject withLeader(int instance) {
    JsonObject s = status(instance);
    return s != null && s.getJsonObject("leader") != null ? s : null;
  }

  private static long published(int instance) {
    JsonObject s = status(instance);
    return s == null ? -1 : s.getJsonObject("counters").getLong("published");
  }

  /** Brings a stopped or killed node container back and waits until it handles again. */
  private static void startAgain(int instance) {
    ok("docker", "start", container("node-" + instance));
    Await.until(
        "node-" + instance + " handles again",
        Duration.ofSeconds(90),
        () -> {
          JsonObject s = status(instance);
          return s != null && "handler".equals(s.getString("role"));
        });
  }

  private static Set<String> storedErrorIds(int instance) {
    JsonObject page = get(instance, "/errors?limit=10000");
    assertThat(page).as("GET /errors").isNotNull();
    Set<String> ids = new HashSet<>();
    page.getJsonArray("errors").forEach(e -> ids.add(((JsonObject) e).getString("errorId")));
    return ids;
  }

  @Test
  @Order(1)
  void composeCommandsOtherThanStartingRedisNeedNoPassword() {
    List<String> noPassword = List.of("REDIS_PASSWORD");
    DockerTests.Result ps =
        DockerTests.run(Map.of(), noPassword, 60, compose(project, files, "ps"));
    assertThat(ps.exit()).as(ps.output()).isZero();
    assertThat(ps.output()).contains(project + "-node-1", project + "-redis-1");

    String other = project + "-nopw";
    try {
      DockerTests.Result run =
          DockerTests.run(
              Map.of(), noPassword, 60, compose(other, files, "run", "--rm", "--no-deps", "redis"));
      assertThat(run.exit()).as(run.output()).isNotZero();
      assertThat(run.output()).contains("REDIS_PASSWORD is not set");
    } finally {
      DockerTests.run(Map.of(), noPassword, 60, compose(other, files, "down", "-v"));
    }
  }

  @Test
  @Order(2)
  void redisRunsAsTheRedisUserNotRoot() {
    String status = ok("docker", "exec", container("redis-1"), "cat", "/proc/1/status");
    assertThat(status).containsPattern("(?m)^Name:\\s+redis-server");
    String uid =
        status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[1];
    assertThat(uid).as("uid of Redis in its container").isNotEqualTo("0");
    assertThat(ok("docker", "exec", container("redis-1"), "getent", "passwd", uid))
        .startsWith("redis:");
  }

  @Test
  @Order(3)
  void exactlyOneGeneratorAndAddressesTheContainersReachEachOtherBy() {
    int generator =
        Await.value(
            "exactly one generator among three",
            Duration.ofSeconds(60),
            () -> soleGenerator(all()));
    JsonArray nodes =
        Await.value(
            "three nodes in the view",
            Duration.ofSeconds(30),
            () -> {
              JsonObject s = status(generator);
              return s != null && s.getJsonArray("nodes").size() == NODES
                  ? s.getJsonArray("nodes")
                  : null;
            });
    Set<String> expected = new HashSet<>();
    for (int i : all()) {
      String hostname =
          ok("docker", "inspect", "-f", "{{.Config.Hostname}}", container("node-" + i)).strip();
      expected.add("http://" + hostname + ":" + HTTP_PORT);
    }
    Set<String> advertised = new HashSet<>();
    nodes.forEach(n -> advertised.add(((JsonObject) n).getString("http")));
    assertThat(advertised).isEqualTo(expected).noneMatch(a -> a.contains("0.0.0.0"));
    // each address answers from inside another node's container
    int other = generator % NODES + 1;
    for (String address : advertised) {
      assertThat(
              ok("docker", "exec", container("node-" + other), "curl", "-fsS", address + "/health"))
          .contains("ok");
    }
  }

  @Test
  @Order(4)
  void theMonitoringProfilesPrometheusScrapesEveryNodeReplicaAndLoadsTheRules() {
    String published =
        ok(compose(project, files, "--profile", "monitoring", "port", "prometheus", "9090"))
            .strip();
    assertThat(published).as("the UI on loopback").isEqualTo("127.0.0.1:" + prometheusPort);
    Set<String> nodeIds = new HashSet<>();
    for (int i : all()) {
      nodeIds.add(
          Await.value("node-" + i + "'s id", Duration.ofSeconds(30), () -> status(i))
              .getString("nodeId"));
    }
    // found through Docker's DNS (dns_sd_configs on the service name): no target is configured
    Await.until(
        "Prometheus has every node's baton_role: " + nodeIds,
        Duration.ofSeconds(90),
        () -> {
          Set<String> seen = new HashSet<>();
          prometheus("/api/v1/query?query=" + encode("baton_role{job=\"baton\"} == 1"))
              .getJsonArray("result")
              .forEach(r -> seen.add(((JsonObject) r).getJsonObject("metric").getString("node")));
          return seen.equals(nodeIds);
        });
    long rules =
        prometheus("/api/v1/rules?type=alert").getJsonArray("groups").stream()
            .mapToLong(g -> ((JsonObject) g).getJsonArray("rules").size())
            .sum();
    assertThat(rules).as("Baton's alert rules loaded").isEqualTo(12);
  }

  @Test
  @Order(5)
  void dockerKillOfTheGeneratorHandsTheBatonToAnotherNodeWithAHigherEpoch() {
    int first = Await.value("a generator", Duration.ofSeconds(60), () -> soleGenerator(all()));
    long epoch = status(first).getLong("epoch");
    ok("docker", "kill", container("node-" + first));

    List<Integer> rest = new ArrayList<>(all());
    rest.remove(Integer.valueOf(first));
    int next =
        Await.value("another node generates", Duration.ofSeconds(30), () -> soleGenerator(rest));
    assertThat(status(next).getLong("epoch")).isGreaterThan(epoch);
    long published = published(next);
    Await.until(
        "the new generator publishes", Duration.ofSeconds(30), () -> published(next) > published);
    startAgain(first);
  }

  @Test
  @Order(6)
  void dockerStopOfTheGeneratorExitsZeroAfterReleasingTheLease() {
    int first = Await.value("a generator", Duration.ofSeconds(60), () -> soleGenerator(all()));
    long epoch = status(first).getLong("epoch");
    String id = container("node-" + first);
    long start = System.nanoTime();
    ok("docker", "stop", id);
    List<Integer> rest = new ArrayList<>(all());
    rest.remove(Integer.valueOf(first));
    int next =
        Await.value("another node generates", Duration.ofSeconds(30), () -> soleGenerator(rest));
    long handoverMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(ok("docker", "inspect", "-f", "{{.State.ExitCode}}", id).strip())
        .as("exit code after docker stop")
        .isEqualTo("0");
    // the handover came from the release (at once), not from the lease running out
    assertThat(ok("docker", "logs", id))
        .contains("released the lease of epoch " + epoch + " on stop");
    assertThat(status(next).getLong("epoch")).isGreaterThan(epoch);
    System.out.println(
        "docker stop of the generator: another node generated "
            + handoverMs
            + " ms after the command");
    startAgain(first);
  }

  @Test
  @Order(7)
  void dockerComposeRestartRedisLosesNothingAcknowledged() {
    Await.until("errors stored", Duration.ofSeconds(90), () -> !storedErrorIds(1).isEmpty());
    Set<String> errors = storedErrorIds(1);
    JsonObject before =
        Await.value("node-1's status with a leader", Duration.ofSeconds(10), () -> withLeader(1));
    long processed = before.getJsonObject("cluster").getLong("processed");
    long epoch = before.getJsonObject("leader").getLong("epoch");
    assertThat(processed).isPositive();

    // the password is not needed to restart: the container keeps its environment
    DockerTests.Result restart =
        DockerTests.run(
            Map.of(), List.of("REDIS_PASSWORD"), 120, compose(project, files, "restart", "redis"));
    assertThat(restart.exit()).as(restart.output()).isZero();

    Await.value(
        "a generator after the restart", Duration.ofSeconds(60), () -> soleGenerator(all()));
    // the node that generated before the restart can report so a moment longer and then lose the
    // lease to another (seen once: the one found first never published again): wait for
    // publishing by whichever node generates
    Await.until(
        "every node answers",
        Duration.ofSeconds(60),
        () -> all().stream().allMatch(i -> published(i) >= 0));
    Map<Integer, Long> publishedBefore = new HashMap<>();
    for (int i : all()) {
      publishedBefore.put(i, published(i));
    }
    Await.until(
        "a generator publishes after the restart",
        Duration.ofSeconds(60),
        () ->
            all().stream()
                .anyMatch(
                    i -> {
                      JsonObject s = status(i);
                      return s != null
                          && "generator".equals(s.getString("role"))
                          && published(i) > publishedBefore.get(i);
                    }));
    JsonObject after =
        Await.value("node-1's status with a leader", Duration.ofSeconds(10), () -> withLeader(1));
    assertThat(after.getJsonObject("cluster").getLong("processed"))
        .isGreaterThanOrEqualTo(processed);
    assertThat(after.getJsonObject("leader").getLong("epoch")).isGreaterThanOrEqualTo(epoch);
    assertThat(storedErrorIds(1)).containsAll(errors);
  }

  @Test
  @Order(8)
  void getErrorsInANodeContainerDrainsTheStoredErrors() {
    Await.until("errors stored", Duration.ofSeconds(90), () -> !storedErrorIds(2).isEmpty());
    // the README's command (docker compose exec node ...), in the second node's container
    String printed =
        ok(
            compose(
                project,
                files,
                "exec",
                "-T",
                "--index",
                "2",
                "node",
                "java",
                "-jar",
                "/app/node-fat.jar",
                "getErrors",
                "--json",
                "-conf",
                "/app/conf/node.json"));
    Set<String> drained = new HashSet<>();
    // stdout and stderr come together here, and the node logs JSON lines too: keep the error
    // records
    printed
        .lines()
        .filter(l -> l.startsWith("{"))
        .map(JsonObject::new)
        .filter(j -> j.containsKey("errorId"))
        .forEach(j -> drained.add(j.getString("errorId")));
    assertThat(drained).isNotEmpty();
    assertThat(printed)
        .contains(drained.size() + (drained.size() == 1 ? " error printed" : " errors printed"));
    assertThat(storedErrorIds(2)).doesNotContainAnyElementsOf(drained);
  }

  @Test
  @Order(9)
  void withEveryNodeStoppedTheNoGeneratorAlertIsPending() {
    try {
      Await.until(
          "no BatonNoGenerator alert while a node generates",
          Duration.ofSeconds(90),
          () -> alertState("BatonNoGenerator") == null);
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + "\nalerts: "
              + prometheus("/api/v1/alerts").encode()
              + "\ntargets: "
              + prometheus("/api/v1/targets").encode(),
          e);
    }
    DockerTests.Result stop =
        DockerTests.run(
            Map.of(), List.of("REDIS_PASSWORD"), 120, compose(project, files, "stop", "node"));
    assertThat(stop.exit()).as(stop.output()).isZero();
    // the scrapes fail, the nodes' series end; the rule waits a minute before it fires
    String state =
        Await.value(
            "BatonNoGenerator active",
            Duration.ofSeconds(60),
            () -> alertState("BatonNoGenerator"));
    assertThat(state).isEqualTo("pending");
  }

  /** The state (pending, firing) of the alert named so in the profile's Prometheus, or null. */
  private static String alertState(String name) {
    for (Object a : prometheus("/api/v1/alerts").getJsonArray("alerts")) {
      JsonObject alert = (JsonObject) a;
      if (name.equals(alert.getJsonObject("labels").getString("alertname"))) {
        return alert.getString("state");
      }
    }
    return null;
  }

  /** The {@code data} of a successful answer of the profile's Prometheus API. */
  private static JsonObject prometheus(String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonObject body = new JsonObject(r.body());
      if (r.statusCode() != 200 || !"success".equals(body.getString("status"))) {
        throw new AssertionError("Prometheus answered " + r.statusCode() + ": " + r.body());
      }
      return body.getJsonObject("data");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  @Order(10)
  void downMinusVRemovesTheContainersAndRedisData() {
    String filter = "label=com.docker.compose.project=" + project;
    assertThat(ok("docker", "volume", "ls", "-q", "--filter", filter)).isNotBlank();
    down = true;
    cluster.stop(); // docker compose down -v
    assertThat(ok("docker", "ps", "-aq", "--filter", filter)).isBlank();
    assertThat(ok("docker", "volume", "ls", "-q", "--filter", filter)).isBlank();
  }
}
