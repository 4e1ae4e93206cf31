package dev.baton.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.audit.Verifier;
import dev.baton.audit.VerifyReport;
import dev.baton.plugin.ScriptedHandler;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.LedgerCounts;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Dead letters replayed into a running handler (the scripted Java plug-in, {@link
 * ScriptedHandler}): the plug-in sees the same message id with attempt numbers going on from the
 * earlier ones, the replay is committed once, and verify adds it all up.
 */
@Timeout(120)
class DeadLettersReplayTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  @TempDir Path tmp;

  @BeforeEach
  void reset() {
    ScriptedHandler.reset();
  }

  /** A handler-only node with the ledger on: the lease is held by nobody who renews. */
  private TestNode handlerNode() {
    REDIS.client().cmd("SET", keys.leader(), "nobody", "PX", "600000");
    JsonObject settings =
        TestNode.fastSettings(REDIS.url(), prefix)
            .put("nodeId", "h1")
            .put("audit", new JsonObject().put("enabled", true));
    settings
        .getJsonObject("handler")
        .put("type", "java")
        .put("java", new JsonObject().put("class", ScriptedHandler.class.getName()))
        .put("retryBackoffMs", 20)
        .put("retryBackoffMaxMs", 100)
        .put("maxDeliveries", 3);
    return closer.add(TestNode.start(settings));
  }

  /** A message with this text as a generator at epoch 1 publishes it, ledger entry included. */
  private String publish(int seq, String text) {
    String id =
        REDIS
            .client()
            .str(
                "XADD",
                keys.messages(),
                "*",
                "gen",
                "g",
                "epoch",
                "1",
                "seq",
                seq,
                "ts",
                System.currentTimeMillis(),
                "text",
                text);
    REDIS
        .client()
        .cmd("XADD", keys.auditPublished(), "*", "msg", id, "epoch", "1", "gen", "g", "seq", seq);
    LedgerCounts.count(REDIS.client(), keys, "ledgerPublished");
    REDIS.client().cmd("HINCRBY", keys.stats(), "backlog", 1);
    REDIS.client().cmd("HINCRBY", keys.stats(), "published", 1);
    return id;
  }

  private long stat(String field) {
    return REDIS.client().num("HGET", keys.stats(), field);
  }

  private List<Integer> attempts(String id) {
    return ScriptedHandler.callsOf(id).stream().map(ScriptedHandler.Call::attempt).toList();
  }

  @Test
  void aReplayedDeadLetterKeepsItsIdGoesOnCountingAttemptsIsCommittedOnceAndVerifyAddsUp()
      throws Exception {
    handlerNode();
    String recovers = publish(1, "fail 3 recovers on its fourth attempt");
    String hopeless = publish(2, "failall");
    String fine = publish(3, "ok");
    Await.until("two dead letters", Duration.ofSeconds(30), () -> stat("deadLettered") == 2);
    Await.until("the fine one committed", Duration.ofSeconds(30), () -> stat("processed") == 1);
    assertThat(attempts(recovers)).containsExactly(1, 2, 3);
    assertThat(attempts(hopeless)).containsExactly(1, 2, 3);
    assertThat(attempts(fine)).containsExactly(1);

    Path conf = tmp.resolve("node.json");
    Files.writeString(
        conf,
        new JsonObject()
            .put("redis", new JsonObject().put("url", REDIS.url()).put("keyPrefix", prefix))
            .encode());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        new CommandLine(
                new DeadLettersCommand(
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)))
            .execute("-conf", conf.toString(), "--replay");
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    // one line per dead letter, in the dead-letter stream's order (which of the two ran out of
    // attempts first is a race between their retries)
    assertThat(lines).hasSize(2);
    Map<String, String> replays = new HashMap<>();
    for (String line : lines) {
      String[] parts = line.split(" -> ", 2);
      assertThat(parts).as(line).hasSize(2);
      replays.put(parts[0], parts[1]);
    }
    assertThat(replays).containsOnlyKeys(recovers, hopeless);
    String replayOfRecovers = replays.get(recovers);

    Await.until("the replays ended", Duration.ofSeconds(30), () -> stat("deadLettered") == 3);
    Await.until(
        "the recovered one committed", Duration.ofSeconds(30), () -> stat("processed") == 2);
    // the plug-in sees the message's own id throughout, never the replay's entry id
    assertThat(attempts(recovers)).containsExactly(1, 2, 3, 4);
    assertThat(attempts(hopeless)).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(ScriptedHandler.callsOf(replayOfRecovers)).isEmpty();
    assertThat(ScriptedHandler.CALLS).hasSize(11);

    // the hopeless one is a dead letter again, under its id, with every attempt counted
    List<Replies.Entry> dead = REDIS.client().range(keys.deadLetter());
    assertThat(dead).hasSize(1);
    Map<String, String> f = dead.get(0).fields();
    assertThat(f.get("messageId")).isEqualTo(hopeless);
    assertThat(f.get("attempts")).isEqualTo("6");
    assertThat(f.get("reason")).contains("attempt 6 failed");
    assertThat(f.get("field:text")).isEqualTo("failall");
    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
    assertThat(stat("replayed")).isEqualTo(2);
    assertThat(stat("backlog")).isZero();
    assertThat(
            REDIS.client().range(keys.auditCommitted()).stream()
                .filter(e -> e.fields().get("msg").equals(replayOfRecovers))
                .map(e -> e.fields().get("kind"))
                .toList())
        .as("the replay committed once, as handled")
        .containsExactly("ok");

    VerifyReport r =
        new Verifier(new RedisOps(REDIS.client().client(), 60_000), keys)
            .verify()
            .await(60, TimeUnit.SECONDS);
    assertThat(r.passed()).as(r.text()).isTrue();
    assertThat(r.toJson().getLong("published")).isEqualTo(5);
    assertThat(r.toJson().getLong("committed")).isEqualTo(5);
    assertThat(r.toJson().getLong("replayed")).isEqualTo(2);
    assertThat(r.toJson().getLong("deadLettered")).isEqualTo(3);
    assertThat(
            r.toJson().getLong("pending")
                + r.toJson().getLong("lost")
                + r.toJson().getLong("duplicated"))
        .isZero();
  }
}
