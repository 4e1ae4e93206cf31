package dev.baton.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.deadletter.ReplayScript;
import dev.baton.election.AcquireScript;
import dev.baton.election.Lease;
import dev.baton.election.PresenceScript;
import dev.baton.election.ReleaseScript;
import dev.baton.election.RenewScript;
import dev.baton.errors.DrainAckScript;
import dev.baton.errors.DrainClaimScript;
import dev.baton.errors.DrainEndScript;
import dev.baton.errors.ErrorEntry;
import dev.baton.generator.PublishScript;
import dev.baton.handler.ClaimScript;
import dev.baton.handler.CommitScript;
import dev.baton.handler.Committer;
import dev.baton.handler.HoldScript;
import dev.baton.handler.ReapScript;
import dev.baton.handler.ReclaimScript;
import dev.baton.handler.RescueScript;
import dev.baton.heartbeat.HeartbeatScript;
import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.support.TestRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scripts never half-apply: for every script, each key it writes is given another type (and each
 * counter it increments a value that is not an integer), and the script must refuse with an error
 * reply having written nothing at all, compared key by key ({@code DUMP}, expiry) before and after.
 * Each case first runs on the untouched state and must write there, so the retyped runs prove the
 * guard and not a state in which the script had nothing to do.
 */
@Timeout(120)
class ScriptGuardsTest {
  private static RedisServer redis;
  private static TestRedis rc;
  private static RedisOps ops;
  private static final List<RedisConnection> subscribers = new ArrayList<>();

  /**
   * One script run: how to build a state where it writes, its keys and arguments, what it writes.
   */
  record Case(
      String name,
      Script script,
      Consumer<Keys> setup,
      Function<Keys, List<String>> keys,
      Function<Keys, List<?>> args,
      Function<Keys, Map<String, String>> written,
      Function<Keys, Map<String, List<String>>> counters) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.start();
    rc = new TestRedis(redis.url());
    ops = new RedisOps(rc.client(), 5000);
  }

  @AfterAll
  static void stopRedis() {
    rc.close();
    redis.close();
  }

  @AfterEach
  void closeSubscribers() {
    subscribers.forEach(RedisConnection::close);
    subscribers.clear();
  }

  private static String runId() {
    String info = rc.str("INFO", "server");
    int at = info.indexOf("run_id:") + "run_id:".length();
    return info.substring(at, at + 40);
  }

  /** A stream with the handlers group, two entries read by consumer c1 (pending there). */
  private static void messagesPendingOn(Keys k, String consumer) {
    rc.cmd(
        "XADD", k.messages(), "*", "gen", "g", "epoch", "1", "seq", "1", "ts", "1", "text", "one");
    rc.cmd(
        "XADD", k.messages(), "*", "gen", "g", "epoch", "1", "seq", "2", "ts", "1", "text", "two");
    rc.cmd("XGROUP", "CREATE", k.messages(), Keys.HANDLERS_GROUP, "0");
    rc.cmd(
        "XREADGROUP",
        "GROUP",
        Keys.HANDLERS_GROUP,
        consumer,
        "COUNT",
        "10",
        "STREAMS",
        k.messages(),
        ">");
    rc.cmd(
        "HSET",
        k.stats(),
        "published",
        "2",
        "backlog",
        "2",
        "processed",
        "0",
        "errors",
        "0",
        "deadLettered",
        "0");
  }

  private static void lease(Keys k) {
    rc.cmd("SET", k.leader(), "n1", "PX", "60000");
    rc.cmd("SET", k.epoch(), "3");
  }

  /** Error records read by drain run r1 (pending there), and the drainers' lease. */
  private static void errorsDrainedBy(Keys k) {
    rc.cmd("XADD", k.errors(), "*", "record", "{\"messageId\":\"1-1\"}");
    rc.cmd("XGROUP", "CREATE", k.errors(), Keys.DRAIN_GROUP, "0");
    rc.cmd(
        "XREADGROUP", "GROUP", Keys.DRAIN_GROUP, "r1", "COUNT", "10", "STREAMS", k.errors(), ">");
    rc.cmd("ZADD", k.drainers(), "99999999999999", "r1");
  }

  private static List<String> entryIds(String stream) {
    List<String> ids = new ArrayList<>();
    for (Response e : rc.cmd("XRANGE", stream, "-", "+")) {
      ids.add(e.get(0).toString());
    }
    return ids;
  }

  private static Map<String, String> types(String... keyTypes) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keyTypes.length; i += 2) {
      m.put(keyTypes[i], keyTypes[i + 1]);
    }
    return m;
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case(
            "acquire",
            AcquireScript.SCRIPT,
            k -> {
              // a takeover from a holder whose presence vanished: it writes the lease, the epoch
              // and presence
              rc.cmd("SET", k.leader(), "old", "PX", "60000");
              rc.cmd("SET", k.epoch(), "3");
              rc.cmd("HSET", k.presence(), "old", runId() + " n");
            },
            AcquireScript::keys,
            k -> AcquireScript.args("n1", 5000, 0, Lease.Mode.TAKEOVER),
            k -> types(k.leader(), "string", k.epoch(), "string", k.presence(), "hash"),
            k -> Map.of()),
        new Case(
            "renew",
            RenewScript.SCRIPT,
            ScriptGuardsTest::lease,
            RenewScript::keys,
            k -> RenewScript.args("n1", 3, 90000),
            k -> types(k.leader(), "string"),
            k -> Map.of()),
        new Case(
            "release",
            ReleaseScript.SCRIPT,
            ScriptGuardsTest::lease,
            ReleaseScript::keys,
            k -> ReleaseScript.args("n1", 3, k.events()),
            k -> types(k.leader(), "string"),
            k -> Map.of()),
        new Case(
            "publish",
            PublishScript.SCRIPT,
            ScriptGuardsTest::lease,
            PublishScript::keys,
            k ->
                PublishScript.args(
                    "n1", 3, 1000, 1, true, PublishScript.ENTRIES, List.of("hello", "world")),
            k -> types(k.messages(), "stream", k.stats(), "hash", k.auditPublished(), "stream"),
            k -> Map.of(k.stats(), List.of("published", "ledgerPublished"))),
        new Case(
            "publish packs",
            PublishScript.SCRIPT,
            ScriptGuardsTest::lease,
            PublishScript::keys,
            k ->
                PublishScript.args(
                    "n1", 3, 1000, 1, true, PublishScript.PACKS, List.of("2", "hello\nworld")),
            k -> types(k.messages(), "stream", k.stats(), "hash", k.auditPublished(), "stream"),
            k -> Map.of(k.stats(), List.of("published", "ledgerPublished"))),
        new Case(
            "publish a source's tick",
            PublishScript.SCRIPT,
            ScriptGuardsTest::lease,
            PublishScript::keys,
            k ->
                PublishScript.args(
                    "n1", 3, 1000, 1, true, PublishScript.TICK, List.of("7", "hello", "world")),
            k ->
                types(
                    k.messages(),
                    "stream",
                    k.stats(),
                    "hash",
                    k.auditPublished(),
                    "stream",
                    k.tick(),
                    "string"),
            k -> Map.of(k.stats(), List.of("published"))),
        new Case(
            "hold",
            HoldScript.SCRIPT,
            k -> messagesPendingOn(k, "c1"),
            HoldScript::keys,
            k -> {
              List<String> ids = entryIds(k.messages());
              return HoldScript.args(
                  "c1",
                  true,
                  List.of(
                      new HoldScript.Claim(ids.get(0), 1), new HoldScript.Claim(ids.get(1), 1)));
            },
            k -> types(k.messages(), "stream"),
            k -> Map.of()),
        new Case(
            "commit",
            CommitScript.SCRIPT,
            k -> messagesPendingOn(k, "c1"),
            CommitScript::keys,
            k -> {
              List<String> ids = entryIds(k.messages());
              return CommitScript.args(
                  "c1",
                  true,
                  false,
                  List.of(
                      new Committer.Judged(ids.get(0), 0, 0).error("{}"),
                      new Committer.Judged(ids.get(1), 0, 0).dead("bad", 1)));
            },
            k ->
                types(
                    k.messages(),
                    "stream",
                    k.errors(),
                    "stream",
                    k.deadLetter(),
                    "stream",
                    k.stats(),
                    "hash",
                    k.auditCommitted(),
                    "stream"),
            k ->
                Map.of(
                    k.stats(),
                    List.of("processed", "errors", "deadLettered", "backlog", "ledgerCommitted"))),
        new Case(
            "reclaim",
            ReclaimScript.SCRIPT,
            k -> messagesPendingOn(k, "c1"),
            ReclaimScript::keys,
            k -> ReclaimScript.args("c2", 0, "0-0", 10, 1, true),
            k ->
                types(
                    k.messages(),
                    "stream",
                    k.deadLetter(),
                    "stream",
                    k.stats(),
                    "hash",
                    k.auditCommitted(),
                    "stream"),
            k -> Map.of(k.stats(), List.of("deadLettered", "backlog", "ledgerCommitted"))),
        new Case(
            "claim",
            ClaimScript.SCRIPT,
            k -> {
              messagesPendingOn(k, "c1");
              rc.cmd(
                  "HSET",
                  k.presence(),
                  "c1",
                  runId() + " n"); // seen here, nobody subscribed: vanished
            },
            ClaimScript::keys,
            k -> ClaimScript.args("c2", "c1", 10, 1, true),
            k ->
                types(
                    k.messages(),
                    "stream",
                    k.deadLetter(),
                    "stream",
                    k.stats(),
                    "hash",
                    k.auditCommitted(),
                    "stream",
                    k.presence(),
                    "hash"),
            k -> Map.of(k.stats(), List.of("deadLettered", "backlog", "ledgerCommitted"))),
        new Case(
            "presence",
            PresenceScript.SCRIPT,
            k -> subscribe(k.presenceChannel("n1")),
            PresenceScript::keys,
            k -> PresenceScript.args("n1", "n"),
            k -> types(k.presence(), "hash"),
            k -> Map.of()),
        new Case(
            "reap",
            ReapScript.SCRIPT,
            k -> {
              rc.cmd("XADD", k.messages(), "*", "text", "x");
              rc.cmd("XGROUP", "CREATE", k.messages(), Keys.HANDLERS_GROUP, "$");
              rc.cmd("XGROUP", "CREATECONSUMER", k.messages(), Keys.HANDLERS_GROUP, "c9");
              rc.cmd("HSET", k.presence(), "c9", "gone x");
            },
            ReapScript::keys,
            k -> ReapScript.args(-1),
            k -> types(k.messages(), "stream", k.presence(), "hash"),
            k -> Map.of()),
        new Case(
            "rescue",
            RescueScript.SCRIPT,
            k -> {
              // two entries behind the group's cursor, pending nowhere: skipped
              rc.cmd(
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
                  "one");
              rc.cmd(
                  "XADD",
                  k.messages(),
                  "*",
                  "gen",
                  "g",
                  "epoch",
                  "1",
                  "seq",
                  "2",
                  "ts",
                  "1",
                  "text",
                  "two");
              rc.cmd("XGROUP", "CREATE", k.messages(), Keys.HANDLERS_GROUP, "$");
              rc.cmd("HSET", k.stats(), "skipped", "0");
            },
            RescueScript::keys,
            k -> RescueScript.args("c1", "0-0", 10),
            k -> types(k.messages(), "stream", k.stats(), "hash"),
            k -> Map.of(k.stats(), List.of("skipped"))),
        new Case(
            "heartbeat",
            HeartbeatScript.SCRIPT,
            k -> {
              // a member whose presence vanished: the beat drops it and marks it gone
              rc.cmd(
                  "ZADD", k.heartbeats(), Long.toString(System.currentTimeMillis() + 60_000), "m2");
              rc.cmd("HSET", k.presence(), "m2", runId() + " n");
            },
            HeartbeatScript::keys,
            k ->
                HeartbeatScript.args(
                    "n1", new JsonObject(), 10000, HeartbeatScript.Presence.WATCHER),
            k -> types(k.heartbeats(), "zset", k.nodes(), "hash", k.presence(), "hash"),
            k -> Map.of()),
        new Case(
            "inspect",
            InspectScript.SCRIPT,
            k -> {}, // no marker yet: the inspection writes it
            InspectScript::keys,
            k -> InspectScript.args("m1", null),
            k -> types(k.marker(), "hash"),
            k -> Map.of()),
        new Case(
            "drain-claim",
            DrainClaimScript.SCRIPT,
            k -> rc.cmd("XADD", k.errors(), "*", "record", "{}"),
            DrainClaimScript::keys,
            k -> DrainClaimScript.args("r2", 5000, "+", 10),
            k -> types(k.errors(), "stream", k.drainers(), "zset"),
            k -> Map.of()),
        new Case(
            "drain-ack",
            DrainAckScript.SCRIPT,
            ScriptGuardsTest::errorsDrainedBy,
            DrainAckScript::keys,
            k ->
                DrainAckScript.args(
                    "r1",
                    5000,
                    true,
                    List.of(
                        new ErrorEntry(
                            entryIds(k.errors()).get(0), new JsonObject().put("id", "1-1"), null))),
            k ->
                types(
                    k.errors(),
                    "stream",
                    k.drainers(),
                    "zset",
                    k.auditDrained(),
                    "stream",
                    k.stats(),
                    "hash"),
            k -> Map.of(k.stats(), List.of("ledgerDrained"))),
        new Case(
            "replay",
            ReplayScript.SCRIPT,
            k -> {
              // a message's dead letter, and a ledger the replay is recorded in
              rc.cmd(
                  "XADD",
                  k.deadLetter(),
                  "*",
                  "messageId",
                  "1-1",
                  "reason",
                  "r",
                  "attempts",
                  "3",
                  "handler",
                  "h",
                  "field:gen",
                  "g",
                  "field:epoch",
                  "1",
                  "field:seq",
                  "1",
                  "field:ts",
                  "1",
                  "field:text",
                  "one");
              rc.cmd("XADD", k.auditPublished(), "*", "msg", "1-1", "epoch", "1", "gen", "g");
              rc.cmd("HSET", k.stats(), "backlog", "0", "replayed", "0");
            },
            ReplayScript::keys,
            k -> ReplayScript.args(false, List.of(entryIds(k.deadLetter()).get(0))),
            k ->
                types(
                    k.deadLetter(),
                    "stream",
                    k.messages(),
                    "stream",
                    k.stats(),
                    "hash",
                    k.auditPublished(),
                    "stream"),
            k -> Map.of(k.stats(), List.of("backlog", "replayed"))),
        new Case(
            "drain-end",
            DrainEndScript.SCRIPT,
            k -> {
              errorsDrainedBy(k);
              rc.cmd("XACK", k.errors(), Keys.DRAIN_GROUP, entryIds(k.errors()).get(0));
            },
            DrainEndScript::keys,
            k -> DrainEndScript.args("r1"),
            k -> types(k.errors(), "stream", k.drainers(), "zset"),
            k -> Map.of()));
  }

  private static void subscribe(String channel) {
    try {
      RedisConnection conn = rc.client().connect().await(5, TimeUnit.SECONDS);
      subscribers.add(conn);
      conn.send(Request.cmd(Command.SUBSCRIBE).arg(channel)).await(5, TimeUnit.SECONDS);
      // the client completes a subscribe before Redis has it: wait until the server counts it
      Await.until(
          "subscribed",
          Duration.ofSeconds(5),
          () -> rc.cmd("PUBSUB", "NUMSUB", channel).get(1).toLong() == 1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every key of the prefix: its type, serialized value and expiry (rounded to 10 s: set keys
   * expire in 60 s, a renewal takes 90 s).
   */
  private static Map<String, String> snapshot(Keys k) {
    Map<String, String> out = new TreeMap<>();
    for (Response key :
        rc.cmd("KEYS", k.leader().substring(0, k.leader().indexOf(':') + 1) + "*")) {
      String name = key.toString();
      Response dump = rc.cmd("DUMP", name);
      long ttl = rc.num("PTTL", name);
      out.put(
          name,
          rc.str("TYPE", name)
              + " "
              + HexFormat.of().formatHex(dump.toBytes())
              + (ttl >= 0 ? " ttl " + (ttl + 5_000) / 10_000 : ""));
    }
    return out;
  }

  private static Keys fresh() {
    return new Keys("g" + UUID.randomUUID().toString().substring(0, 8));
  }

  private static Future<Response> run(Case c, Keys k) {
    return ops.eval(c.script(), c.keys().apply(k), c.args().apply(k));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theUntouchedStateIsWritten(Case c) throws Exception {
    Keys k = fresh();
    c.setup().accept(k);
    Map<String, String> before = snapshot(k);
    run(c, k).await(5, TimeUnit.SECONDS);
    Map<String, String> after = snapshot(k);
    for (String key : c.written().apply(k).keySet()) {
      assertThat(after.get(key)).as(c + " writes " + key).isNotEqualTo(before.get(key));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aRetypedKeyIsRefusedAndNothingIsWritten(Case c) throws Exception {
    int keysWritten = c.written().apply(fresh()).size();
    for (int i = 0; i < keysWritten; i++) {
      Keys k = fresh();
      c.setup().accept(k);
      List<?> argsBefore = c.args().apply(k);
      Map.Entry<String, String> w = new ArrayList<>(c.written().apply(k).entrySet()).get(i);
      String key = w.getKey();
      rc.cmd("DEL", key);
      if (w.getValue().equals("string")) {
        rc.cmd("HSET", key, "f", "v");
      } else {
        rc.cmd("SET", key, "x");
      }
      Map<String, String> before = snapshot(k);
      assertThatThrownBy(
              () -> ops.eval(c.script(), c.keys().apply(k), argsBefore).await(5, TimeUnit.SECONDS))
          .as(c + " with " + key + " retyped")
          .hasMessageContaining(key);
      assertThat(snapshot(k)).as(c + " with " + key + " retyped writes nothing").isEqualTo(before);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aCorruptCounterIsRefusedAndNothingIsWritten(Case c) throws Exception {
    Map<String, List<String>> counters = c.counters().apply(fresh());
    int index = 0;
    for (Map.Entry<String, List<String>> hash : counters.entrySet()) {
      for (String field : hash.getValue()) {
        Keys k = fresh();
        c.setup().accept(k);
        String key = new ArrayList<>(c.counters().apply(k).keySet()).get(index);
        List<?> args = c.args().apply(k);
        rc.cmd("HSET", key, field, "banana");
        Map<String, String> before = snapshot(k);
        assertThatThrownBy(
                () -> ops.eval(c.script(), c.keys().apply(k), args).await(5, TimeUnit.SECONDS))
            .as(c + " with " + field + " corrupt")
            .hasMessageContaining("corrupt counter");
        assertThat(snapshot(k))
            .as(c + " with " + field + " corrupt writes nothing")
            .isEqualTo(before);
      }
      index++;
    }
  }

  @Test
  void aGrantsHistoryOfAnotherTypeIsLeftAloneAndTheGrantStands() throws Exception {
    Keys k = fresh();
    rc.cmd("HSET", k.grants(), "f", "v");
    Response r =
        ops.eval(
                AcquireScript.SCRIPT,
                AcquireScript.keys(k),
                AcquireScript.args("n1", 5000, 0, Lease.Mode.LEASE))
            .await(5, TimeUnit.SECONDS);
    assertThat(r.get(0).toLong()).isEqualTo(1);
    assertThat(rc.str("GET", k.leader())).isEqualTo("n1");
    assertThat(rc.cmd("HGETALL", k.grants()).toString()).contains("f").contains("v");
    assertThat(rc.str("TYPE", k.grants())).isEqualTo("hash");
  }
}
