package dev.baton.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.cluster.ClusterView;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Epochs are integers end to end: they keep growing exactly past 2^53 (where Lua's doubles stop
 * counting), are never reused after Redis lost them, and a corrupt epoch or lease key is refused as
 * what it is, with nothing written, instead of being mistaken for an outage.
 */
@Timeout(60)
class EpochTest {
  private static final long BEYOND_DOUBLES = 9_007_199_254_740_993L; // 2^53 + 1: no double holds it
  private static RedisServer redis;
  private static TestRedis rc;
  private static RedisOps ops;
  private final String prefix = "e" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  @RegisterExtension final Closer closer = new Closer();

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

  private Lease lease(String node) {
    return new Lease(ops, keys, node, 5000);
  }

  @Test
  void epochsGrowExactlyPastTwoToTheFiftyThird() throws Exception {
    rc.cmd("SET", keys.epoch(), Long.toString(BEYOND_DOUBLES));
    Lease.Attempt first = lease("n1").acquire(0).await(5, TimeUnit.SECONDS);
    assertThat(first.granted()).isTrue();
    assertThat(first.epoch()).isEqualTo(BEYOND_DOUBLES + 1);
    // a node that revoked itself locally takes a fresh epoch: one more, not the same double
    Lease.Attempt again = lease("n1").acquire(first.epoch()).await(5, TimeUnit.SECONDS);
    assertThat(again.epoch()).isEqualTo(BEYOND_DOUBLES + 2);
    assertThat(rc.str("GET", keys.epoch())).isEqualTo(Long.toString(BEYOND_DOUBLES + 2));
    Lease.Attempt other = lease("n2").acquire(0).await(5, TimeUnit.SECONDS);
    assertThat(other.granted()).isFalse();
    assertThat(other.epoch()).isEqualTo(BEYOND_DOUBLES + 2);
  }

  @Test
  void afterRedisLostTheEpochTheFloorIsExceededExactly() throws Exception {
    // the keys are gone (FLUSHALL, a restart without persistence); the node saw 2^53 + 1
    Lease.Attempt a = lease("n2").acquire(BEYOND_DOUBLES).await(5, TimeUnit.SECONDS);
    assertThat(a.granted()).isTrue();
    assertThat(a.epoch()).isEqualTo(BEYOND_DOUBLES + 1);
  }

  @Test
  void aCorruptEpochIsRefusedAsWhatItIsAndNothingIsWritten() {
    for (String[] corrupt :
        new String[][] {
          {"SET", "banana"},
          {"SET", "007"},
          {"SET", "-3"},
          {"SET", "99999999999999999999"},
          {"HSET", "f"}
        }) {
      rc.cmd("DEL", keys.epoch(), keys.leader(), keys.grants());
      if (corrupt[0].equals("SET")) {
        rc.cmd("SET", keys.epoch(), corrupt[1]);
      } else {
        rc.cmd("HSET", keys.epoch(), corrupt[1], "v");
      }
      assertThatThrownBy(() -> lease("n1").acquire(0).await(5, TimeUnit.SECONDS))
          .as("epoch %s", String.join(" ", corrupt))
          .satisfies(
              e -> assertThat(RedisOps.isErrorReply(e)).as("a refusal, not an outage").isTrue())
          .hasMessageContaining("Redis holds a corrupt epoch")
          .hasMessageContaining(keys.epoch());
      assertThat(rc.num("EXISTS", keys.leader(), keys.grants())).as("nothing written").isZero();
      assertThatThrownBy(() -> ClusterView.fetch(ops, keys).await(5, TimeUnit.SECONDS))
          .hasMessageContaining("Redis holds a corrupt epoch");
    }
  }

  @Test
  void exhaustedEpochsAreRefused() {
    rc.cmd("SET", keys.epoch(), Long.toString(Long.MAX_VALUE));
    assertThatThrownBy(() -> lease("n1").acquire(0).await(5, TimeUnit.SECONDS))
        .hasMessageContaining("no epoch is left");
    assertThat(rc.num("EXISTS", keys.leader())).isZero();
    assertThat(rc.str("GET", keys.epoch())).isEqualTo(Long.toString(Long.MAX_VALUE));
  }

  @Test
  void aLeaseKeyOfAnotherTypeIsRefusedAsACorruptLease() {
    rc.cmd("HSET", keys.leader(), "f", "v");
    assertThatThrownBy(() -> lease("n1").acquire(0).await(5, TimeUnit.SECONDS))
        .hasMessageContaining("Redis holds a corrupt lease")
        .hasMessageContaining(keys.leader());
    assertThat(rc.num("EXISTS", keys.epoch())).isZero();
    assertThatThrownBy(() -> ClusterView.fetch(ops, keys).await(5, TimeUnit.SECONDS))
        .hasMessageContaining("Redis holds a corrupt lease");
  }

  @Test
  void aNodeReportsACorruptEpochAsARefusalAndLeadsOnceItIsRepaired() {
    rc.cmd("SET", keys.epoch(), "banana");
    TestNode n =
        closer.add(TestNode.start(TestNode.fastSettings(redis.url(), prefix).put("nodeId", "n1")));
    Await.until(
        "the refusal is reported",
        Duration.ofSeconds(10),
        () -> {
          JsonObject refusal = n.state().redis().recentRefusal();
          return refusal != null
              && refusal.getString("message").contains("Redis holds a corrupt epoch");
        });
    assertThat(n.isGenerator()).isFalse();
    assertThat(n.state().redis().up()).as("Redis answers: not an outage").isTrue();
    assertThat(rc.num("EXISTS", keys.leader())).isZero();
    rc.cmd("SET", keys.epoch(), "41");
    Await.until("n1 leads", Duration.ofSeconds(10), n::isGenerator);
    assertThat(n.state().role().epoch()).isEqualTo(42);
  }
}
