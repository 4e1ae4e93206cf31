package dev.baton.election;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.handler.ClaimScript;
import dev.baton.handler.ReapScript;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.support.TestRedis;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The presence scripts on a real Redis, one atomic step at a time: registration needs a live
 * subscription on this server instance, the takeover and the claim act only on a node that was seen
 * here and whose subscription is gone, and only once per break.
 */
@Timeout(60)
class PresenceScriptsTest {
  private static RedisServer redis;
  private static TestRedis rc;
  private static RedisOps ops;
  private final Keys keys = new Keys("t" + UUID.randomUUID().toString().substring(0, 8));
  private final List<RedisConnection> subscribers = new ArrayList<>();

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.start();
    rc = new TestRedis(redis.url());
    ops = new RedisOps(rc.client(), 2000);
  }

  @AfterAll
  static void stopRedis() {
    rc.close();
    redis.close();
  }

  @AfterEach
  void closeSubscribers() {
    subscribers.forEach(RedisConnection::close);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(5, TimeUnit.SECONDS);
  }

  private String runId() {
    String info = rc.str("INFO", "server");
    int at = info.indexOf("run_id:") + "run_id:".length();
    return info.substring(at, at + 40);
  }

  /**
   * A connection that holds {@code SSUBSCRIBE} of the node's presence channel, as a live node does.
   */
  private RedisConnection subscribe(String nodeId) throws Exception {
    RedisConnection conn = await(rc.client().connect());
    subscribers.add(conn);
    await(conn.send(Request.cmd(Command.SSUBSCRIBE).arg(keys.presenceChannel(nodeId))));
    return conn;
  }

  private long register(String nodeId) throws Exception {
    return Replies.toLong(
        await(
            ops.eval(
                PresenceScript.SCRIPT,
                PresenceScript.keys(keys),
                PresenceScript.args(nodeId, "s"))),
        -9);
  }

  private Lease lease(String nodeId) {
    return new Lease(ops, keys, nodeId, 60_000);
  }

  /**
   * Closes the subscriber's socket, as the kernel does when its process dies, and waits until Redis
   * dropped it.
   */
  private void vanish(RedisConnection conn, String nodeId) throws Exception {
    await(conn.close());
    Await.until(
        "Redis dropped " + nodeId + "'s subscription",
        Duration.ofSeconds(5),
        () -> shardSubscribers(nodeId) == 0);
  }

  private long shardSubscribers(String nodeId) {
    return rc.cmd("PUBSUB", "SHARDNUMSUB", keys.presenceChannel(nodeId)).get(1).toLong();
  }

  @Test
  void reapKeepsTheConsumerAndRecordOfAPresentNodeWhoseHeartbeatLooksStale() throws Exception {
    // a consumer with nothing pending, idle, no live heartbeat: what reap.lua removes, unless its
    // node is present (after a Sentinel promotion the replica's heartbeats lag behind live nodes)
    rc.cmd("XADD", keys.messages(), "*", "text", "x");
    rc.cmd("XGROUP", "CREATE", keys.messages(), Keys.HANDLERS_GROUP, "$");
    rc.cmd("XGROUP", "CREATECONSUMER", keys.messages(), Keys.HANDLERS_GROUP, "live");
    RedisConnection live = subscribe("live");
    Await.until(
        "the server counts the subscription",
        Duration.ofSeconds(5),
        () -> {
          try {
            return register("live") == 1;
          } catch (Exception e) {
            return false;
          }
        });
    List<String> keysOf = ReapScript.keys(keys);
    List<String> args = ReapScript.args(-1);
    assertThat(await(ops.eval(ReapScript.SCRIPT, keysOf, args)).size())
        .as("a present node is not reaped")
        .isZero();
    assertThat(rc.str("HGET", keys.presence(), "live")).isEqualTo(runId() + " s");

    live.close();
    Await.until(
        "the subscription is gone",
        Duration.ofSeconds(5),
        () -> rc.cmd("PUBSUB", "SHARDNUMSUB", keys.presenceChannel("live")).get(1).toLong() == 0);
    Response removed = await(ops.eval(ReapScript.SCRIPT, keysOf, args));
    assertThat(removed.size()).isEqualTo(1);
    assertThat(removed.get(0).toString()).isEqualTo("live");
    assertThat(rc.num("HEXISTS", keys.presence(), "live")).isZero();
  }

  @Test
  void registrationNeedsALiveSubscriptionAndBindsTheRecordToThisServerInstance() throws Exception {
    assertThat(register("a")).as("no subscription yet").isZero();
    assertThat(rc.str("HGET", keys.presence(), "a")).isNull();

    subscribe("a");
    assertThat(register("a")).isEqualTo(1);
    assertThat(rc.str("HGET", keys.presence(), "a")).isEqualTo(runId() + " s");

    subscribe("a"); // a second process with the same node id
    assertThat(register("a")).isEqualTo(2);
  }

  @Test
  void takesTheLeaseOverAtOnceFromAHolderWhoseSubscriptionVanishedAndOnlyOncePerBreak()
      throws Exception {
    RedisConnection holder = subscribe("g");
    register("g");
    Lease.Attempt first = await(lease("g").acquire(0, Lease.Mode.TAKEOVER));
    assertThat(first.granted()).isTrue();

    Lease.Attempt whilePresent = await(lease("w").acquire(0, Lease.Mode.TAKEOVER));
    assertThat(whilePresent.granted()).as("a present holder keeps its lease").isFalse();
    assertThat(whilePresent.holder()).isEqualTo("g");

    vanish(holder, "g");
    Lease.Attempt leaseOnly = await(lease("w").acquire(0, Lease.Mode.LEASE));
    assertThat(leaseOnly.granted()).as("presence off: the lease alone decides").isFalse();

    Lease.Attempt takeover = await(lease("w").acquire(0, Lease.Mode.TAKEOVER));
    assertThat(takeover.granted()).isTrue();
    assertThat(takeover.takenFrom()).isEqualTo("g");
    assertThat(takeover.epoch()).isGreaterThan(first.epoch());
    assertThat(rc.str("HGET", keys.presence(), "g")).isEqualTo("gone " + runId());
    assertThat(rc.range(keys.grants()).get(1).fields())
        .containsEntry("from", "g")
        .containsEntry("node", "w");

    // g (alive after all, its subscription had only broken) takes the lease back by the lease rule
    // while still unsubscribed: nobody may take it from g by presence again before g registered
    // anew
    rc.cmd("DEL", keys.leader());
    assertThat(await(lease("g").acquire(0, Lease.Mode.TAKEOVER)).granted()).isTrue();
    Lease.Attempt again = await(lease("w").acquire(0, Lease.Mode.TAKEOVER));
    assertThat(again.granted()).as("at most once per break").isFalse();

    // re-subscribed and registered, g counts as present again; its next vanishing counts again
    RedisConnection back = subscribe("g");
    register("g");
    assertThat(await(lease("w").acquire(0, Lease.Mode.TAKEOVER)).granted()).isFalse();
    vanish(back, "g");
    assertThat(await(lease("w").acquire(0, Lease.Mode.TAKEOVER)).takenFrom()).isEqualTo("g");
  }

  @Test
  void aRecordOfAnotherServerInstanceMeansNothing() throws Exception {
    // as after a restart from AOF or a promotion: the record survived, no subscription did
    assertThat(await(lease("g").acquire(0)).granted()).isTrue();
    rc.cmd("HSET", keys.presence(), "g", "0123456789012345678901234567890123456789 s");
    assertThat(await(lease("w").acquire(0, Lease.Mode.TAKEOVER)).granted()).isFalse();
    rc.cmd("HSET", keys.presence(), "g", "gone 0123456789012345678901234567890123456789");
    assertThat(await(lease("w").acquire(0, Lease.Mode.TAKEOVER)).granted()).isFalse();
    rc.cmd("HDEL", keys.presence(), "g");
    assertThat(await(lease("w").acquire(0, Lease.Mode.TAKEOVER)).granted())
        .as("never registered")
        .isFalse();
  }

  @Test
  void theWatchersPollNamesOnlyAbsentConsumersThatHoldEntries() throws Exception {
    rc.cmd("XGROUP", "CREATE", keys.messages(), "handlers", "0", "MKSTREAM");
    for (int i = 0; i < 3; i++) {
      rc.cmd("XADD", keys.messages(), "*", "n", Integer.toString(i));
    }
    RedisConnection dead = subscribe("h1");
    register("h1");
    subscribe("h2");
    register("h2");
    rc.cmd("XREADGROUP", "GROUP", "handlers", "h1", "COUNT", "2", "STREAMS", keys.messages(), ">");
    rc.cmd("XREADGROUP", "GROUP", "handlers", "h2", "COUNT", "1", "STREAMS", keys.messages(), ">");
    rc.cmd(
        "XREADGROUP",
        "GROUP",
        "handlers",
        "h3",
        "COUNT",
        "1",
        "STREAMS",
        keys.messages(),
        ">"); // no record

    assertThat(await(lease("w").acquire(0, Lease.Mode.WATCH)).absent()).isEmpty();
    vanish(dead, "h1");
    assertThat(await(lease("w").acquire(0, Lease.Mode.TAKEOVER)).absent())
        .as("only the watcher asks")
        .isEmpty();
    assertThat(await(lease("w").acquire(0, Lease.Mode.WATCH)).absent()).containsExactly("h1");
  }

  @Test
  void aClaimTakesOnlyTheVanishedConsumersEntriesAndMarksItGone() throws Exception {
    rc.cmd("XGROUP", "CREATE", keys.messages(), "handlers", "0", "MKSTREAM");
    for (int i = 0; i < 5; i++) {
      rc.cmd("XADD", keys.messages(), "*", "n", Integer.toString(i));
    }
    RedisConnection dead = subscribe("h1");
    register("h1");
    subscribe("h2");
    register("h2");
    rc.cmd("XREADGROUP", "GROUP", "handlers", "h1", "COUNT", "3", "STREAMS", keys.messages(), ">");
    rc.cmd("XREADGROUP", "GROUP", "handlers", "h2", "COUNT", "2", "STREAMS", keys.messages(), ">");

    assertThat(claim("h2").get(1).size()).as("h2 is present").isZero();
    assertThat(claim("h1").get(1).size()).as("h1 is present").isZero();
    vanish(dead, "h1");
    Response claimed = claim("h1");
    assertThat(claimed.get(0).toString()).isEqualTo("vanished");
    assertThat(claimed.get(1).size()).isEqualTo(3);
    assertThat(rc.str("HGET", keys.presence(), "h1")).isEqualTo("gone " + runId());
    assertThat(rc.cmd("XPENDING", keys.messages(), "handlers", "-", "+", "10", "w").size())
        .isEqualTo(3);
    assertThat(rc.cmd("XPENDING", keys.messages(), "handlers", "-", "+", "10", "h2").size())
        .isEqualTo(2);
    assertThat(claim("h1").get(1).size()).as("nothing left on h1").isZero();
  }

  @Test
  void aClaimDeadLettersEntriesDeliveredTooOftenOnceEach() throws Exception {
    rc.cmd("XGROUP", "CREATE", keys.messages(), "handlers", "0", "MKSTREAM");
    rc.cmd(
        "XADD", keys.messages(), "*", "gen", "g", "epoch", "1", "seq", "1", "ts", "1", "text", "x");
    RedisConnection dead = subscribe("h1");
    register("h1");
    rc.cmd("XREADGROUP", "GROUP", "handlers", "h1", "COUNT", "1", "STREAMS", keys.messages(), ">");
    vanish(dead, "h1");
    // delivered once to h1, a claim would be the second delivery: over a limit of 1
    Response claimed = claim("h1", 1);
    assertThat(claimed.get(1).size()).isZero();
    assertThat(claimed.get(2).toLong()).isEqualTo(1);
    assertThat(rc.num("XLEN", keys.deadLetter())).isEqualTo(1);
    assertThat(rc.num("XLEN", keys.messages())).isZero();
    assertThat(rc.str("HGET", keys.stats(), "deadLettered")).isEqualTo("1");
    assertThat(claim("h1", 1).get(2).toLong()).as("nothing twice").isZero();
  }

  private Response claim(String consumer) throws Exception {
    return claim(consumer, 5);
  }

  private Response claim(String consumer, int maxDeliveries) throws Exception {
    return await(
        ops.eval(
            ClaimScript.SCRIPT,
            ClaimScript.keys(keys),
            ClaimScript.args("w", consumer, 100, maxDeliveries, false)));
  }
}
