package dev.baton.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.errors.Drainer;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.support.Await;
import dev.baton.support.LedgerCounts;
import dev.baton.support.Quiesce;
import dev.baton.support.RedisExtension;
import dev.baton.support.TcpProxy;
import dev.baton.support.TestNode;
import dev.baton.tool.ExitCodes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(180)
class VerifyTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  private static final String PREFIX = "t" + UUID.randomUUID().toString().substring(0, 8);
  private static final Keys KEYS = new Keys(PREFIX);

  @TempDir Path tmp;

  /**
   * A cluster with the ledger on runs, loses a handler mid-way, is quiesced and half-drained once.
   */
  @BeforeAll
  static void runAClusterWithTheLedger() throws Exception {
    List<TestNode> nodes = new ArrayList<>();
    try (TcpProxy proxy = new TcpProxy(REDIS.port())) {
      for (int i = 0; i < 3; i++) {
        String url = i == 2 ? proxy.url() : REDIS.url();
        nodes.add(
            TestNode.start(
                TestNode.fastSettings(url, PREFIX)
                    .put("nodeId", "v" + i)
                    .put("audit", new JsonObject().put("enabled", true))
                    .put("generator", new JsonObject().put("intervalMs", 10))
                    .put(
                        "handler",
                        new JsonObject().put("errorProbability", 0.2).put("reclaimIdleMs", 500))));
      }
      Await.until(
          "300 processed",
          Duration.ofSeconds(30),
          () -> nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum() >= 300);
      proxy.cut(); // node v2 dies as far as Redis knows, maybe holding messages
      nodes.get(2).close();
      Await.until(
          "300 more processed",
          Duration.ofSeconds(30),
          () -> nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum() >= 600);
      Quiesce.holdBaton(REDIS.client(), KEYS);
      Quiesce.awaitDrained(REDIS.client(), KEYS, Duration.ofSeconds(30));
      // half the error records leave through a drain; the ledger keeps their account
      new Drainer(
              REDIS.client().vertx(),
              new RedisOps(REDIS.client().client(), 10_000),
              KEYS,
              5_000,
              50,
              true)
          .drain(batch -> Future.failedFuture("stop after one batch"))
          .otherwiseEmpty()
          .await(30, TimeUnit.SECONDS);
      // the rest by a drainer whose own audit setting is off (getErrors run with the defaults):
      // the ledger in Redis, not the drainer's setting, decides that drains are recorded
      new Drainer(
              REDIS.client().vertx(),
              new RedisOps(REDIS.client().client(), 10_000),
              KEYS,
              1_000,
              50,
              false)
          .drain(batch -> Future.succeededFuture())
          .await(30, TimeUnit.SECONDS);
    } finally {
      nodes.forEach(TestNode::close);
    }
  }

  @AfterAll
  static void stop() {}

  private VerifyReport verify() throws Exception {
    return new Verifier(new RedisOps(REDIS.client().client(), 60_000), KEYS)
        .verify()
        .await(60, TimeUnit.SECONDS);
  }

  @Test
  void aCleanRunWithAHandlerKilledMidWayPasses() throws Exception {
    VerifyReport r = verify();
    assertThat(r.passed()).as(r.text()).isTrue();
    assertThat(r.toJson().getLong("published")).isGreaterThanOrEqualTo(600);
    assertThat(r.toJson().getLong("committed")).isEqualTo(r.toJson().getLong("published"));
    assertThat(
            r.toJson().getLong("lost")
                + r.toJson().getLong("duplicated")
                + r.toJson().getLong("unexpected")
                + r.toJson().getLong("overlap"))
        .isZero();
    assertThat(r.toJson().getLong("pending")).isZero();
    JsonObject errors = r.toJson().getJsonObject("errors");
    assertThat(errors.getLong("judged")).isPositive().isEqualTo(errors.getLong("records"));
    assertThat(r.toJson().getJsonArray("epochs").size()).isGreaterThanOrEqualTo(1);
    assertThat(REDIS.client().num("XLEN", KEYS.errors()))
        .isZero(); // all drained, yet accounted for
  }

  @Test
  void theCommandPrintsTheReportAndExitsZeroWhenItHolds() throws Exception {
    Path conf = tmp.resolve("c.json");
    Files.writeString(
        conf,
        new JsonObject()
            .put("redis", new JsonObject().put("url", REDIS.url()).put("keyPrefix", PREFIX))
            .encode());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        new CommandLine(
                new VerifyCommand(new PrintStream(out, true, StandardCharsets.UTF_8), System.err))
            .execute("-conf", conf.toString());
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(code).as(text).isZero();
    assertThat(text)
        .contains(
            "published",
            "committed",
            "lost           0",
            "duplicated     0",
            "unexpected     0",
            "overlap        0",
            "epoch ",
            "OK: nothing lost");

    ByteArrayOutputStream json = new ByteArrayOutputStream();
    new CommandLine(
            new VerifyCommand(new PrintStream(json, true, StandardCharsets.UTF_8), System.err))
        .execute("-conf", conf.toString(), "--json");
    assertThat(new JsonObject(json.toString(StandardCharsets.UTF_8)).getBoolean("ok")).isTrue();
  }

  private int command(
      String prefix, ByteArrayOutputStream out, ByteArrayOutputStream err, String... extra)
      throws Exception {
    Path conf = tmp.resolve(prefix + ".json");
    Files.writeString(
        conf,
        new JsonObject()
            .put("redis", new JsonObject().put("url", REDIS.url()).put("keyPrefix", prefix))
            .encode());
    List<String> args = new ArrayList<>(List.of("-conf", conf.toString()));
    args.addAll(List.of(extra));
    return new CommandLine(
            new VerifyCommand(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)))
        .execute(args.toArray(String[]::new));
  }

  @Test
  void withoutALedgerThereIsNothingToVerifyAndItIsNotOk() throws Exception {
    String none = "t" + UUID.randomUUID().toString().substring(0, 8);
    REDIS
        .client()
        .cmd(
            "XADD",
            new Keys(none).messages(),
            "*",
            "gen",
            "g",
            "epoch",
            "1",
            "seq",
            "1",
            "ts",
            "1",
            "text",
            "published without the ledger");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(command(none, out, err)).isEqualTo(ExitCodes.NOTHING_TO_VERIFY);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("NOTHING TO VERIFY")
        .doesNotContain("OK");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("no audit ledger", "audit.enabled");

    ByteArrayOutputStream json = new ByteArrayOutputStream();
    assertThat(command(none, json, new ByteArrayOutputStream(), "--json"))
        .isEqualTo(ExitCodes.NOTHING_TO_VERIFY);
    JsonObject r = new JsonObject(json.toString(StandardCharsets.UTF_8));
    assertThat(r.getBoolean("ok")).isFalse();
    assertThat(r.getBoolean("ledger")).isFalse();
    assertThat(r.getBoolean("nothingToVerify")).isTrue();
  }

  @Test
  void whileNodesWorkItChecksOneInstantAndFindsNothingWrong() throws Exception {
    String live = "t" + UUID.randomUUID().toString().substring(0, 8);
    Keys k = new Keys(live);
    List<TestNode> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        nodes.add(
            TestNode.start(
                TestNode.fastSettings(REDIS.url(), live)
                    .put("nodeId", live + "-" + i)
                    .put("audit", new JsonObject().put("enabled", true))
                    .put("generator", new JsonObject().put("intervalMs", 1))
                    .put("handler", new JsonObject().put("errorProbability", 0.3))));
      }
      RedisOps ops = new RedisOps(REDIS.client().client(), 60_000);
      long before = 0;
      for (int run = 0; run < 3; run++) {
        long floor = before + 1_000;
        Await.until(
            floor + " processed",
            Duration.ofSeconds(60),
            () ->
                nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum() >= floor);
        // a drain beside the work, by a drainer without the audit setting
        new Drainer(REDIS.client().vertx(), ops, k, 1_000, 50, false)
            .drain(batch -> Future.succeededFuture())
            .await(30, TimeUnit.SECONDS);
        VerifyReport r = new Verifier(ops, k).verify().await(60, TimeUnit.SECONDS);
        assertThat(r.passed()).as(r.text()).isTrue();
        assertThat(r.toJson().getLong("published")).isGreaterThan(before);
        before = r.toJson().getLong("published");
      }
    } finally {
      nodes.forEach(TestNode::close);
    }
  }

  @Test
  void everyKindOfViolationIsCountedAndFailsTheCheck() throws Exception {
    String other = "t" + UUID.randomUUID().toString().substring(0, 8);
    Keys k = new Keys(other);
    // a tiny ledger, written by hand: m1..m3 published under epochs 1, 2 and then 1 again
    REDIS
        .client()
        .cmd(
            "XADD",
            k.messages(),
            "*",
            "gen",
            "g",
            "epoch",
            "1",
            "seq",
            "1",
            "ts",
            "1",
            "text",
            "in flight");
    String inFlight = REDIS.client().range(k.messages()).get(0).id();
    REDIS
        .client()
        .cmd("XADD", k.auditPublished(), "*", "msg", "100-1", "epoch", "1", "gen", "a", "seq", "1");
    REDIS
        .client()
        .cmd("XADD", k.auditPublished(), "*", "msg", "100-2", "epoch", "2", "gen", "b", "seq", "1");
    REDIS
        .client()
        .cmd("XADD", k.auditPublished(), "*", "msg", "100-3", "epoch", "1", "gen", "a", "seq", "2");
    REDIS
        .client()
        .cmd("XADD", k.auditPublished(), "*", "msg", "100-4", "epoch", "2", "gen", "b", "seq", "2");
    REDIS
        .client()
        .cmd(
            "XADD", k.auditPublished(), "*", "msg", inFlight, "epoch", "2", "gen", "b", "seq", "3");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            "100-1",
            "handler",
            "h",
            "kind",
            "ok",
            "reclaimed",
            "0");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            "100-2",
            "handler",
            "h",
            "kind",
            "error",
            "reclaimed",
            "0");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            "100-2",
            "handler",
            "h2",
            "kind",
            "error",
            "reclaimed",
            "1");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            "999-9",
            "handler",
            "h",
            "kind",
            "ok",
            "reclaimed",
            "0");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            "100-3",
            "handler",
            "h",
            "kind",
            "ok",
            "reclaimed",
            "0");
    // 100-4 was published and never committed, and it is not in the stream: lost
    REDIS
        .client()
        .cmd(
            "XADD",
            k.errors(),
            "*",
            "record",
            new JsonObject().put("id", "100-1").encode()); // not judged an error

    VerifyReport r =
        new Verifier(new RedisOps(REDIS.client().client(), 60_000), k)
            .verify()
            .await(60, TimeUnit.SECONDS);
    assertThat(r.passed()).isFalse();
    assertThat(r.toJson().getLong("published")).isEqualTo(5);
    assertThat(r.toJson().getLong("lost")).isEqualTo(1);
    assertThat(r.toJson().getJsonObject("samples").getJsonArray("lost").getString(0))
        .isEqualTo("100-4");
    assertThat(r.toJson().getLong("duplicated")).isEqualTo(1);
    assertThat(r.toJson().getLong("unexpected")).isEqualTo(1);
    assertThat(r.toJson().getLong("pending")).isEqualTo(1);
    assertThat(r.toJson().getLong("overlap")).isEqualTo(1);
    JsonObject errors = r.toJson().getJsonObject("errors");
    assertThat(errors.getLong("missing")).isEqualTo(1); // 100-2 judged an error, no record
    assertThat(errors.getLong("extra")).isEqualTo(1); // a record for 100-1, never judged one
    JsonObject epoch1 = r.toJson().getJsonArray("epochs").getJsonObject(0);
    assertThat(epoch1.getLong("count")).isEqualTo(2);
  }

  @Test
  void packsAreCheckedMessageByMessage() throws Exception {
    Keys k = new Keys("t" + UUID.randomUUID().toString().substring(0, 8));
    REDIS
        .client()
        .cmd(
            "XADD",
            k.messages(),
            "*",
            "gen",
            "g",
            "epoch",
            "1",
            "seq",
            "7",
            "ts",
            "1",
            "n",
            "2",
            "texts",
            "a\nb");
    String inFlight = REDIS.client().range(k.messages()).get(0).id();
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditPublished(),
            "*",
            "msg",
            "100-1",
            "epoch",
            "1",
            "gen",
            "a",
            "seq",
            "1",
            "n",
            "3");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditPublished(),
            "*",
            "msg",
            "100-2",
            "epoch",
            "1",
            "gen",
            "a",
            "seq",
            "4",
            "n",
            "3");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditPublished(),
            "*",
            "msg",
            "100-3",
            "epoch",
            "1",
            "gen",
            "a",
            "seq",
            "7",
            "n",
            "2");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditPublished(),
            "*",
            "msg",
            inFlight,
            "epoch",
            "1",
            "gen",
            "a",
            "seq",
            "9",
            "n",
            "2");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            "100-1",
            "handler",
            "h",
            "n",
            "3",
            "kinds",
            "oed",
            "reclaimed",
            "0");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            "100-2",
            "handler",
            "h",
            "n",
            "3",
            "kinds",
            "ooo",
            "reclaimed",
            "0");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            "100-2",
            "handler",
            "h2",
            "n",
            "3",
            "kinds",
            "ooo",
            "reclaimed",
            "1");
    // 100-3 (2 messages) was never committed and is not in the stream: lost
    REDIS
        .client()
        .cmd("XADD", k.errors(), "*", "record", new JsonObject().put("id", "100-1/1").encode());

    VerifyReport r =
        new Verifier(new RedisOps(REDIS.client().client(), 60_000), k)
            .verify()
            .await(60, TimeUnit.SECONDS);
    assertThat(r.passed()).isFalse();
    assertThat(r.toJson().getLong("published")).isEqualTo(10);
    assertThat(r.toJson().getLong("committed")).isEqualTo(6);
    assertThat(r.toJson().getLong("lost")).isEqualTo(2);
    assertThat(r.toJson().getJsonObject("samples").getJsonArray("lost").getList())
        .containsExactly("100-3/0", "100-3/1");
    assertThat(r.toJson().getLong("duplicated")).isEqualTo(3);
    assertThat(r.toJson().getLong("pending")).isEqualTo(2);
    assertThat(r.toJson().getLong("deadLettered")).isEqualTo(1);
    assertThat(r.toJson().getJsonObject("errors").getLong("judged")).isEqualTo(1);
    assertThat(r.toJson().getJsonObject("errors").getBoolean("ok"))
        .isTrue(); // the one error has its one record
    assertThat(r.toJson().getJsonArray("epochs").getJsonObject(0).getLong("count")).isEqualTo(10);
  }

  /** A publish in the ledger by hand: a generator's, or a replay's when replayOf is not null. */
  private static void published(Keys k, String msg, int epoch, String replayOf) {
    List<Object> args =
        new ArrayList<>(
            List.of(
                "XADD",
                k.auditPublished(),
                "*",
                "msg",
                msg,
                "epoch",
                epoch,
                "gen",
                "a",
                "seq",
                "1"));
    if (replayOf != null) {
      args.addAll(List.of("replayOf", replayOf));
    }
    REDIS.client().cmd(args.toArray());
    LedgerCounts.count(REDIS.client(), k, "ledgerPublished");
  }

  private static void committed(Keys k, String msg, String kind) {
    LedgerCounts.count(REDIS.client(), k, "ledgerCommitted");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            msg,
            "handler",
            "h",
            "kind",
            kind,
            "reclaimed",
            "0");
  }

  private static VerifyReport verify(Keys k) throws Exception {
    return new Verifier(new RedisOps(REDIS.client().client(), 60_000), k)
        .verify()
        .await(60, TimeUnit.SECONDS);
  }

  @Test
  void replaysAreMessagesCommittedOnceAndTheirErrorRecordsNameTheOriginal() throws Exception {
    Keys k = new Keys("t" + UUID.randomUUID().toString().substring(0, 8));
    published(k, "100-1", 2, null);
    published(k, "100-2", 2, null);
    published(k, "100-3", 3, null);
    committed(k, "100-1", "dead");
    committed(k, "100-2", "dead");
    committed(k, "100-3", "ok");
    // replays of epoch-2 messages after epoch 3 published: no split brain
    published(k, "200-1", 2, "100-1");
    committed(k, "200-1", "ok");
    published(k, "200-2", 2, "100-2");
    committed(k, "200-2", "dead"); // died again, and was replayed again
    published(k, "200-3", 2, "100-2");
    committed(k, "200-3", "error");
    // the handler writes the replayed message's own id into the record
    REDIS
        .client()
        .cmd("XADD", k.errors(), "*", "record", new JsonObject().put("id", "100-2").encode());

    VerifyReport r = verify(k);
    assertThat(r.passed()).as(r.text()).isTrue();
    assertThat(r.toJson().getLong("published")).isEqualTo(6);
    assertThat(r.toJson().getLong("committed")).isEqualTo(6);
    assertThat(r.toJson().getLong("replayed")).isEqualTo(3);
    assertThat(r.toJson().getLong("deadLettered")).isEqualTo(3);
    assertThat(
            r.toJson().getLong("overlap")
                + r.toJson().getLong("duplicated")
                + r.toJson().getLong("lost"))
        .isZero();
    JsonObject errors = r.toJson().getJsonObject("errors");
    assertThat(errors.getLong("judged")).isEqualTo(1);
    assertThat(errors.getLong("records")).isEqualTo(1);
    assertThat(r.toJson().getJsonArray("epochs").getJsonObject(0).getLong("count"))
        .as("epoch 2 published two messages; its replays are not publishes of it")
        .isEqualTo(2);
    assertThat(r.text()).contains("replayed       3");
  }

  @Test
  void aReplayCommittedTwiceOrOfAMessageNeverDeadLetteredIsDuplicated() throws Exception {
    Keys k = new Keys("t" + UUID.randomUUID().toString().substring(0, 8));
    published(k, "100-1", 2, null);
    committed(k, "100-1", "dead");
    published(k, "200-1", 2, "100-1");
    committed(k, "200-1", "ok");
    committed(k, "200-1", "ok");
    // put back though it was handled: it runs twice
    published(k, "100-2", 2, null);
    committed(k, "100-2", "ok");
    published(k, "200-2", 2, "100-2");
    committed(k, "200-2", "ok");
    // a replay never committed and not in the stream: lost like any message
    published(k, "100-3", 2, null);
    committed(k, "100-3", "dead");
    published(k, "200-3", 2, "100-3");

    VerifyReport r = verify(k);
    assertThat(r.passed()).isFalse();
    assertThat(r.toJson().getLong("duplicated")).isEqualTo(2);
    assertThat(r.toJson().getJsonObject("samples").getJsonArray("duplicated").getList())
        .containsExactly("100-2 (replayed 1 times, dead-lettered 0 times)", "200-1 (2 commits)");
    assertThat(r.toJson().getLong("lost")).isEqualTo(1);
    assertThat(r.toJson().getJsonObject("samples").getJsonArray("lost").getList())
        .containsExactly("200-3");
    assertThat(r.toJson().getLong("replayed")).isEqualTo(3);
  }

  @Test
  void aDuplicateInjectedIntoTheRealLedgerFailsTheCommand() throws Exception {
    String other = "t" + UUID.randomUUID().toString().substring(0, 8);
    Keys k = new Keys(other);
    // copy the real run's ledger under another prefix, then inject one duplicate commit
    for (String key : List.of(KEYS.auditPublished(), KEYS.auditCommitted(), KEYS.auditDrained())) {
      REDIS.client().cmd("COPY", key, key.replace(PREFIX, other));
    }
    String someCommitted = REDIS.client().range(k.auditCommitted()).get(0).fields().get("msg");
    REDIS
        .client()
        .cmd(
            "XADD",
            k.auditCommitted(),
            "*",
            "msg",
            someCommitted,
            "handler",
            "ghost",
            "kind",
            "ok",
            "reclaimed",
            "0");
    Path conf = tmp.resolve("dup.json");
    Files.writeString(
        conf,
        new JsonObject()
            .put("redis", new JsonObject().put("url", REDIS.url()).put("keyPrefix", other))
            .encode());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        new CommandLine(
                new VerifyCommand(new PrintStream(out, true, StandardCharsets.UTF_8), System.err))
            .execute("-conf", conf.toString());
    assertThat(code).isEqualTo(ExitCodes.GUARANTEE_BROKEN);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("duplicated     1")
        .contains(someCommitted)
        .contains("FAILED");
  }
}
