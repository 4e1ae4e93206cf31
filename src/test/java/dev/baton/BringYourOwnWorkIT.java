package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.FreePort;
import dev.baton.bench.NodeProcess;
import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.RedisExtension;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The examples' READMEs, followed with real processes: three nodes from the fat jar running the
 * Python webhook, three running the Python subprocess handler, and the Java handler built as its
 * own Maven module and loaded from the class path and from a plug-in directory; and a bad plug-in
 * configuration refused at start with exit code 2, naming the setting.
 */
@Timeout(300)
class BringYourOwnWorkIT {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  private final String prefix = "byo" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<Process> others = new ArrayList<>();

  @AfterEach
  void stopAll() {
    nodes.forEach(NodeProcess::close);
    others.forEach(Process::destroyForcibly);
  }

  /** The README's environment, plus where Redis is for this test. */
  private Map<String, String> env(String nodeId, Map<String, String> readme) {
    Map<String, String> env = new HashMap<>(readme);
    env.put("BATON_NODE_ID", nodeId);
    env.put("BATON_REDIS_URL", REDIS.url());
    env.put("BATON_REDIS_KEY_PREFIX", prefix);
    env.put("BATON_REDIS_EMBEDDED", "off");
    env.put("BATON_GENERATOR_INTERVAL_MS", "50");
    return env;
  }

  private void threeNodes(Map<String, String> readme) throws IOException {
    for (int i = 1; i <= 3; i++) {
      nodes.add(NodeProcess.start(env("n" + i, readme), "-conf", "conf/node.json"));
    }
  }

  private static int freePort() throws IOException {
    return FreePort.pick();
  }

  private Process python(Map<String, String> env, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("python3"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(Files.createTempFile("example", ".log").toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    others.add(p);
    return p;
  }

  private long stat(String field) {
    return REDIS.client().num("HGET", keys.stats(), field);
  }

  private List<JsonObject> errorRecords() {
    List<JsonObject> out = new ArrayList<>();
    for (Replies.Entry e : REDIS.client().range(keys.errors())) {
      out.add(new JsonObject(e.fields().get("record")));
    }
    return out;
  }

  /** Messages flow through every node's plug-in and some come out as the plug-in's errors. */
  private void awaitWorkAndErrors(String reasonStart) {
    Await.until(
        "messages committed and errors recorded",
        Duration.ofSeconds(90),
        () -> stat("processed") > 60 && !errorRecords().isEmpty());
    for (JsonObject r : errorRecords()) {
      assertThat(r.getString("reason")).startsWith(reasonStart);
      assertThat(r.getJsonObject("details")).isNotNull();
    }
    Await.until(
        "two handlers took part",
        Duration.ofSeconds(30),
        () -> nodes.stream().filter(n -> positive(n.status(), "processed")).count() >= 2);
  }

  private static boolean positive(JsonObject status, String counter) {
    return status != null && status.getJsonObject("counters").getLong(counter) > 0;
  }

  @Test
  void threeNodesRunThePythonWebhookOfTheReadme() throws Exception {
    int port = freePort();
    String secret = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
    python(
        Map.of("WEBHOOK_SECRET", secret, "FORBIDDEN_WORD", "dragon", "FAIL_PERCENT", "10"),
        "examples/python-webhook/handler.py",
        Integer.toString(port));
    threeNodes(
        Map.of(
            "BATON_HANDLER_TYPE",
            "http",
            "BATON_HANDLER_HTTP_URL",
            "http://127.0.0.1:" + port + "/",
            "BATON_HANDLER_HTTP_SECRET",
            secret,
            "BATON_HANDLER_RETRY_BACKOFF_MS",
            "50"));
    awaitWorkAndErrors("");
    assertThat(errorRecords()).allSatisfy(r -> assertThat(r.getString("text")).contains("dragon"));
    JsonObject handler =
        nodes.stream()
            .map(NodeProcess::status)
            .filter(s -> s != null && "handler".equals(s.getString("role")))
            .findFirst()
            .orElseThrow()
            .getJsonObject("plugins")
            .getJsonObject("handler");
    assertThat(handler.getString("type")).isEqualTo("http");
    assertThat(handler.getLong("attempts")).isPositive();
  }

  @Test
  void threeNodesRunThePythonSubprocessHandlerOfTheReadme() throws Exception {
    threeNodes(
        Map.of(
            "BATON_HANDLER_TYPE", "command",
            "BATON_HANDLER_COMMAND", "[\"python3\",\"examples/python-command/handler.py\"]"));
    awaitWorkAndErrors("contains the forbidden word");
  }

  @Test
  void theJavaExampleBuildsAsItsOwnModuleAndRunsFromTheClassPathAndAPluginDirectory()
      throws Exception {
    // what `mvn install` does for a user: Baton's jar and pom in the local repository
    mvn("install:install-file", "-Dfile=target/baton-1.0.0-SNAPSHOT.jar", "-DpomFile=pom.xml");
    mvn("-f", "examples/java-handler/pom.xml", "package");
    Path jar = Path.of("examples/java-handler/target/word-length-handler.jar");
    assertThat(jar).exists();
    Path plugins = Files.createTempDirectory("plugins");
    Files.copy(jar, plugins.resolve(jar.getFileName()));

    // two nodes with the plug-in on the class path, one loading it from the directory: whichever
    // generates, two handlers run it, and a node whose plug-in failed to load would exit 2
    Map<String, String> readme = Map.of("BATON_HANDLER_TYPE", "java", "MAX_WORD", "8");
    String classPath = NodeProcess.JAR + File.pathSeparator + jar;
    nodes.add(
        NodeProcess.startOnClassPath(classPath, env("cp1", readme), "-conf", "conf/node.json"));
    nodes.add(
        NodeProcess.startOnClassPath(classPath, env("cp2", readme), "-conf", "conf/node.json"));
    Map<String, String> fromDir = new HashMap<>(readme);
    fromDir.put("BATON_HANDLER_JAVA_PATH", plugins.toString());
    nodes.add(NodeProcess.start(env("dir", fromDir), "-conf", "conf/node.json"));
    awaitWorkAndErrors("a word is longer than 8 letters");
    assertThat(nodes).allSatisfy(n -> assertThat(n.status()).as(n.log()).isNotNull());
    for (JsonObject r : errorRecords()) {
      assertThat(r.getJsonObject("details").getInteger("length")).isGreaterThan(8);
    }
  }

  private static void mvn(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-q"));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile("mvn", ".log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("mvn %s finished", List.of(args)).isTrue();
    assertThat(p.exitValue()).as("mvn %s: %s", List.of(args), Files.readString(log)).isZero();
  }

  private long redisMs() {
    List<String> t = REDIS.client().strings("TIME");
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }

  /** Commits the handler {@code nodeId} made after {@code fromMs} (Redis clock), per the ledger. */
  private long commitsBy(String nodeId, long fromMs) {
    return REDIS.client().range(keys.auditCommitted()).stream()
        .filter(e -> nodeId.equals(e.fields().get("handler")))
        .filter(e -> Long.parseLong(e.id().substring(0, e.id().indexOf('-'))) >= fromMs)
        .count();
  }

  /**
   * SIGTERM to a handler with attempts under way: they finish within handler.stopGraceMs and are
   * committed by it, and it exits 0; with a grace shorter than the work, what runs is left pending
   * and another node commits it.
   */
  @Test
  void sigtermLetsTheAttemptsUnderWayFinishWithinTheGraceThenExitsZero() throws Exception {
    Map<String, String> slow = new HashMap<>();
    slow.put("BATON_AUDIT_ENABLED", "true");
    slow.put("BATON_HANDLER_TYPE", "command");
    slow.put("BATON_HANDLER_COMMAND", "[\"python3\",\"examples/python-command/handler.py\"]");
    slow.put("BATON_GENERATOR_INTERVAL_MS", "100");
    slow.put("HANDLER_WORK_MS", "1500");
    NodeProcess generator = NodeProcess.start(env("g", slow), "-conf", "conf/node.json");
    nodes.add(generator);
    Await.until("g generates", Duration.ofSeconds(60), () -> "generator".equals(generator.role()));

    Map<String, String> graceful = new HashMap<>(slow);
    graceful.put("BATON_HANDLER_STOP_GRACE_MS", "8000");
    NodeProcess a = NodeProcess.start(env("a", graceful), "-conf", "conf/node.json");
    nodes.add(a);
    Await.until("a works on several messages", Duration.ofSeconds(60), () -> inFlight(a) >= 3);
    long stoppedAt = redisMs();
    assertThat(a.terminate()).as(a.log()).isZero();
    assertThat(commitsBy("a", stoppedAt)).as("what a had under way, committed by a").isPositive();
    assertThat(a.log()).doesNotContain("still running after handler.stopGraceMs");

    Map<String, String> hasty = new HashMap<>(slow);
    hasty.put("BATON_HANDLER_STOP_GRACE_MS", "100");
    hasty.put("HANDLER_WORK_MS", "20000");
    NodeProcess b = NodeProcess.start(env("b", hasty), "-conf", "conf/node.json");
    nodes.add(b);
    Await.until("b works on several messages", Duration.ofSeconds(60), () -> inFlight(b) >= 3);
    assertThat(b.terminate()).as(b.log()).isZero();
    assertThat(b.log()).contains("still running after handler.stopGraceMs 100 ms");
    // what b left pending is handed to the next handler, here a fresh one with quick work
    NodeProcess c = NodeProcess.start(env("c", slow), "-conf", "conf/node.json");
    nodes.add(c);
    REDIS.client().cmd("SET", keys.leader(), "quiesce", "PX", "3600000");
    REDIS.client().cmd("INCR", keys.epoch());
    Await.until(
        "every message committed",
        Duration.ofSeconds(90),
        () -> REDIS.client().num("XLEN", keys.messages()) == 0);
    assertThat(REDIS.client().num("XLEN", keys.deadLetter())).isZero();
  }

  private static long inFlight(NodeProcess n) {
    JsonObject s = n.status();
    return s == null ? 0 : s.getJsonObject("plugins").getJsonObject("handler").getLong("inFlight");
  }

  /** A node given a bad plug-in setting exits 2 at start, and its message names the setting. */
  @Test
  void aBadPluginConfigurationExitsTwoNamingTheSetting() throws Exception {
    Map<Map<String, String>, String> cases = new LinkedHashMap<>();
    cases.put(Map.of("BATON_HANDLER_TYPE", "http"), "handler.http.url: required");
    cases.put(
        Map.of("BATON_HANDLER_TYPE", "http", "BATON_HANDLER_HTTP_URL", "ftp://example.org/hook"),
        "handler.http.url: must be an http:// or https:// URL");
    cases.put(
        Map.of("BATON_HANDLER_TYPE", "command", "BATON_HANDLER_COMMAND", "no-such-program-b9"),
        "handler.command: 'no-such-program-b9' is not found on PATH");
    cases.put(
        Map.of("BATON_HANDLER_TYPE", "java", "BATON_HANDLER_JAVA_CLASS", "com.example.Missing"),
        "handler.java.class: class 'com.example.Missing' not found");
    cases.put(
        Map.of("BATON_HANDLER_TYPE", "java", "BATON_HANDLER_JAVA_CLASS", "java.lang.String"),
        "handler.java.class: 'java.lang.String' does not implement dev.baton.api.MessageHandler");
    cases.put(
        Map.of("BATON_GENERATOR_SOURCE", "java"),
        "generator.java.class: empty, and no implementation of dev.baton.api.MessageSource");
    for (Map.Entry<Map<String, String>, String> c : cases.entrySet()) {
      NodeProcess p = NodeProcess.start(env("bad", c.getKey()), "-conf", "conf/node.json");
      nodes.add(p);
      int code = p.waitFor();
      assertThat(code).as("exit code for %s; log: %s", c.getKey(), p.log()).isEqualTo(2);
      assertThat(p.log()).as("for %s", c.getKey()).contains(c.getValue());
    }
  }
}
