package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.NodeProcess;
import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.tool.ExitCodes;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fat jar run as in production: an ACL user and passwords from a file, the URL or the
 * environment, a bearer token, JSON logs, a Redis outage. No secret appears in any log line, HTTP
 * answer or command output, and each state change is logged once.
 */
@Timeout(240)
class ProductionIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final String prefix = "prod" + UUID.randomUUID().toString().substring(0, 8);
  private final String userPassword = "Us3r-pw-" + UUID.randomUUID();
  private final String defaultPassword = "D3fault-pw-" + UUID.randomUUID();
  private final String wrongPassword = "Wr0ng-pw-" + UUID.randomUUID();
  private final String token = "T0ken-" + UUID.randomUUID();
  private final List<NodeProcess> processes = new ArrayList<>();
  private final StringBuilder seen = new StringBuilder();
  private RedisServer redis;

  @TempDir Path tmp;

  @AfterEach
  void stop() {
    processes.forEach(NodeProcess::close);
    if (redis != null) {
      redis.close();
    }
  }

  private Map<String, String> env(String nodeId) {
    Map<String, String> env = new HashMap<>();
    env.put("BATON_NODE_ID", nodeId);
    env.put("BATON_REDIS_URL", redis.url());
    env.put("BATON_REDIS_KEY_PREFIX", prefix);
    env.put("BATON_REDIS_EMBEDDED", "off");
    env.put("BATON_GENERATOR_INTERVAL_MS", "100");
    env.put("BATON_HANDLER_ERROR_PROBABILITY", "0.3");
    return env;
  }

  private NodeProcess start(Map<String, String> env) throws IOException {
    NodeProcess p = NodeProcess.start(env, "-conf", "conf/node.json");
    processes.add(p);
    return p;
  }

  /** An HTTP exchange, remembered for the secret check. */
  private HttpResponse<String> http(
      NodeProcess node, String method, String path, String authorization) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
              .method(method, HttpRequest.BodyPublishers.noBody())
              .timeout(Duration.ofSeconds(20));
      if (authorization != null) {
        b.header("Authorization", authorization);
      }
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      seen.append(r.headers().map()).append(r.body()).append('\n');
      return r;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String redisState(NodeProcess node) {
    return new JsonObject(http(node, "GET", "/status", null).body()).getString("redis");
  }

  private record Run(int exit, String stdout, String stderr) {}

  private Run getErrors(Map<String, String> env) throws Exception {
    Path out = tmp.resolve("out-" + UUID.randomUUID());
    Path err = tmp.resolve("err-" + UUID.randomUUID());
    ProcessBuilder pb =
        new ProcessBuilder(
                NodeProcess.javaBin(),
                "-jar",
                NodeProcess.JAR.toString(),
                "getErrors",
                "-conf",
                "conf/node.json")
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    Run run = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    seen.append(run.stdout()).append(run.stderr());
    return run;
  }

  @Test
  void secretsNeverLeaveTheProcessAndStateChangesAreLoggedOnceAsJson() throws Exception {
    redis =
        RedisServer.start(
            false,
            "--requirepass",
            defaultPassword,
            "--user",
            "baton",
            "on",
            ">" + userPassword,
            "~*",
            "&*",
            "+@all");
    Path passwordFile = tmp.resolve("redis-password");
    Files.writeString(passwordFile, userPassword + "\n");

    // A: ACL user, password from a file, a bearer token, JSON logs
    Map<String, String> envA = env("prod-a");
    envA.put("BATON_REDIS_USER", "baton");
    envA.put("BATON_REDIS_PASSWORD_FILE", passwordFile.toString());
    envA.put("BATON_HTTP_TOKEN", token);
    envA.put("BATON_LOG_FORMAT", "json");
    NodeProcess a = start(envA);
    // B: the credentials inside the URL
    Map<String, String> envB = env("prod-b");
    envB.put(
        "BATON_REDIS_URL",
        "redis://baton:"
            + URLEncoder.encode(userPassword, StandardCharsets.UTF_8)
            + "@127.0.0.1:"
            + redis.port());
    NodeProcess b = start(envB);
    // C: a wrong password from the environment
    Map<String, String> envC = env("prod-c");
    envC.put("BATON_REDIS_PASSWORD", wrongPassword);
    NodeProcess c = start(envC);

    Await.until(
        "A and B settle, one of them generating",
        Duration.ofSeconds(60),
        () -> {
          String ra = a.role();
          String rb = b.role();
          return ra != null && rb != null && (ra.equals("generator") ^ rb.equals("generator"));
        });
    Await.until(
        "errors are stored",
        Duration.ofSeconds(30),
        () -> new JsonObject(http(a, "GET", "/errors?limit=1", null).body()).getLong("count") > 0);
    try {
      Await.until(
          "C answers and reports Redis refusing it",
          Duration.ofSeconds(60),
          () -> c.status() != null && !"up".equals(redisState(c)));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; C's log:\n" + c.log(), e);
    }
    for (NodeProcess n : List.of(a, b, c)) {
      for (String path : List.of("/status", "/health", "/metrics", "/errors")) {
        http(n, "GET", path, null);
      }
    }
    assertThat(http(a, "POST", "/errors/drain", null).statusCode()).isEqualTo(401);
    assertThat(http(a, "POST", "/errors/drain", "Bearer " + wrongPassword).statusCode())
        .isEqualTo(401);
    assertThat(http(a, "POST", "/errors/drain", "Bearer " + token).statusCode()).isEqualTo(200);
    assertThat(http(c, "POST", "/errors/drain", null).statusCode()).isEqualTo(503);

    // one Redis outage: many failed calls, one line each way
    redis.kill();
    Await.until(
        "A and B see Redis down",
        Duration.ofSeconds(20),
        () -> "down".equals(redisState(a)) && "down".equals(redisState(b)));
    http(a, "GET", "/health", null);
    http(b, "GET", "/metrics", null);
    redis.restart();
    Await.until(
        "A and B see Redis again",
        Duration.ofSeconds(30),
        () -> "up".equals(redisState(a)) && "up".equals(redisState(b)));
    Await.until(
        "A and B settle again",
        Duration.ofSeconds(30),
        () -> {
          String ra = a.role();
          String rb = b.role();
          return ra != null && rb != null && (ra.equals("generator") ^ rb.equals("generator"));
        });

    Map<String, String> tool = env("tool");
    tool.put("BATON_REDIS_URL", envB.get("BATON_REDIS_URL"));
    assertThat(getErrors(tool).exit()).isZero();
    tool.put("BATON_REDIS_URL", "redis://baton:" + wrongPassword + "@127.0.0.1:" + redis.port());
    Run refused = getErrors(tool);
    assertThat(refused.exit()).isEqualTo(ExitCodes.REDIS);
    assertThat(refused.stderr())
        .contains("cannot reach Redis at redis://127.0.0.1:" + redis.port());
    tool.put("BATON_REDIS_URL", "ftp://baton:" + wrongPassword + "@127.0.0.1:1");
    Run badConfig = getErrors(tool);
    assertThat(badConfig.exit()).isEqualTo(ExitCodes.CONFIG);
    assertThat(badConfig.stderr()).contains("redis.url");

    for (NodeProcess n : List.of(a, b, c)) {
      n.terminate();
      seen.append(n.log());
    }

    String everything = seen.toString();
    for (String secret : List.of(userPassword, defaultPassword, wrongPassword, token)) {
      assertThat(everything)
          .doesNotContain(secret)
          .doesNotContain(URLEncoder.encode(secret, StandardCharsets.UTF_8));
    }

    List<JsonObject> lines = new ArrayList<>();
    for (String line : a.log().split("\n")) {
      if (!line.isBlank()) {
        lines.add(new JsonObject(line)); // every line of A is one JSON object
      }
    }
    assertThat(lines)
        .isNotEmpty()
        .allSatisfy(
            l -> {
              assertThat(l.getJsonObject("context").getJsonObject("properties").getString("node"))
                  .isEqualTo("prod-a");
              if (l.getString("loggerName").startsWith("dev.baton")) {
                assertThat(l.getJsonArray("kvpList").encode()).contains("\"node\":\"prod-a\"");
              }
            });
    // one line when Redis goes, one when it is back: never a line per failed command. The outage
    // above is one episode; a starved machine may add one more (a command past its deadline)
    String episodes =
        lines.stream()
            .map(l -> l.getString("formattedMessage"))
            .map(
                m ->
                    m.startsWith("Redis is unreachable")
                        ? "down "
                        : m.startsWith("Redis is reachable again") ? "up " : "")
            .collect(Collectors.joining())
            .trim();
    assertThat(episodes).matches("down up( down up)*");
    // text logs name the node on every line too
    for (String line : b.log().split("\n")) {
      if (line.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*")) {
        assertThat(line).contains("[prod-b]");
      }
    }
  }
}
