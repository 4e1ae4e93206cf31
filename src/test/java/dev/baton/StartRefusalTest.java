package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Await;
import dev.baton.support.NodeHttp;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import dev.baton.tool.ExitCodes;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node refuses to start, before its first lease attempt, on a Redis that would lose its data or
 * deny what it needs: an evicting maxmemory-policy (unless the operator accepts the risk), an ACL
 * that denies a command, Baton's keys or its channels, a read-only replica. It exits with {@link
 * ExitCodes#REDIS_UNSUITABLE} and one message that names what is wrong and the fix.
 */
@Timeout(120)
class StartRefusalTest {
  private static RedisServer redis;
  @TempDir Path tmp;
  private final String prefix = "sr" + UUID.randomUUID().toString().substring(0, 8);

  private record Outcome(int code, String err) {}

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  private Outcome run(String url, JsonObject redisSettings) throws Exception {
    Path conf = tmp.resolve("node-" + System.nanoTime() + ".json");
    JsonObject r =
        new JsonObject()
            .put("url", url)
            .put("embedded", "off")
            .put("keyPrefix", prefix)
            .put("commandTimeoutMs", 2000)
            .mergeIn(redisSettings);
    Files.writeString(
        conf,
        new JsonObject().put("redis", r).put("http", new JsonObject().put("port", 0)).encode());
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      int code = Main.commandLine().execute("-conf", conf.toString());
      return new Outcome(code, captured.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }

  private Outcome asUser(String... rules) throws Exception {
    String user = "u" + UUID.randomUUID().toString().substring(0, 6);
    String[] cmd = new String[4 + rules.length];
    cmd[0] = "ACL";
    cmd[1] = "SETUSER";
    cmd[2] = user;
    cmd[3] = "on";
    System.arraycopy(rules, 0, cmd, 4, rules.length);
    assertThat(redis.command(cmd)).isEqualTo("OK");
    return run(redis.url(), new JsonObject().put("user", user).put("password", "pw"));
  }

  private static void refused(Outcome o, String... says) {
    assertThat(o.code()).as(o.err()).isEqualTo(ExitCodes.REDIS_UNSUITABLE);
    assertThat(o.err()).as(o.err()).contains("refusing to start").contains(says);
    assertThat(o.err().lines().filter(l -> l.contains("refusing to start")).count()).isEqualTo(1);
  }

  @Test
  void anEvictingPolicyRefusesTheStartNamingTheSettingToChange() throws Exception {
    for (String policy : new String[] {"allkeys-lru", "volatile-lru"}) {
      try (RedisServer evicting =
          RedisServer.start(false, "--maxmemory", "100mb", "--maxmemory-policy", policy)) {
        refused(
            run(evicting.url(), new JsonObject()),
            "maxmemory-policy is " + policy,
            "maxmemory-policy noeviction",
            "redis.acceptEvictionDataLoss");
      }
    }
  }

  @Test
  void aUserWithoutChannelsIsRefusedNamingTheChannelsAndTheRule() throws Exception {
    // Redis 7's default for a new user: every command and key, no Pub/Sub channel
    Outcome o = asUser(">pw", "~*", "+@all", "resetchannels");
    refused(
        o,
        "publish on the channel {" + prefix + "}:events",
        "subscribe to the channel {" + prefix + "}:presence:",
        "ACL SETUSER",
        "&{" + prefix + "}:*",
        "presence.enabled false needs no presence channel");
  }

  @Test
  void aUserWithoutTheBlockingReadsIsRefusedNamingTheCommand() throws Exception {
    refused(
        asUser(">pw", "~*", "&*", "+@all", "-xreadgroup"),
        "run XREADGROUP (the blocking stream reads)",
        "+xreadgroup");
  }

  @Test
  void aUserWithoutBatonsKeysIsRefusedNamingTheKeyPattern() throws Exception {
    refused(
        asUser(">pw", "~other:*", "&*", "+@all"),
        "use the keys {" + prefix + "}:leader",
        "~{" + prefix + "}:*");
  }

  @Test
  void aUserWithoutScriptsIsRefusedNamingTheCommand() throws Exception {
    refused(asUser(">pw", "~*", "&*", "+@all", "-evalsha", "-eval"), "EVAL", "+eval");
  }

  @Test
  void theAclTheReadmeRecommendsStartsAHealthyNode() {
    redis.command(
        "ACL",
        "SETUSER",
        "baton",
        "on",
        ">pw",
        "~{" + prefix + "}:*",
        "&{" + prefix + "}:*",
        "+@all",
        "-@dangerous",
        "+info");
    try (TestNode node =
        TestNode.start(
            TestNode.fastSettings(redis.url(), prefix)
                .put(
                    "redis",
                    TestNode.fastSettings(redis.url(), prefix)
                        .getJsonObject("redis")
                        .put("user", "baton")
                        .put("password", "pw")))) {
      Await.until(
          "a healthy generator",
          Duration.ofSeconds(30),
          () -> node.isGenerator() && NodeHttp.health(node).status() == 200);
    }
  }

  @Test
  void aReadOnlyReplicaIsRefusedNamingTheFix() throws Exception {
    try (RedisServer replica =
        RedisServer.start(false, "--replicaof", "127.0.0.1", Integer.toString(redis.port()))) {
      refused(
          run(replica.url(), new JsonObject()),
          "read-only replica of 127.0.0.1:" + redis.port(),
          "point redis.url at the primary",
          "redis.type: sentinel");
    }
  }
}
