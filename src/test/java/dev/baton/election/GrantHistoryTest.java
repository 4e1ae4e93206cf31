package dev.baton.election;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.RedisServer;
import dev.baton.support.TestRedis;
import io.vertx.core.Future;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * acquire.lua appends every grant to {@code {p}:grants}, the failover history the dashboard shows.
 */
@Timeout(60)
class GrantHistoryTest {
  private static RedisServer redis;
  private static TestRedis rc;
  private final Keys keys = new Keys("t" + UUID.randomUUID().toString().substring(0, 8));

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.start();
    rc = new TestRedis(redis.url());
  }

  @AfterAll
  static void stopRedis() {
    rc.close();
    redis.close();
  }

  private Lease lease(String nodeId) {
    return new Lease(new RedisOps(rc.client(), 2000), keys, nodeId, 60_000);
  }

  private static Lease.Attempt await(Future<Lease.Attempt> f) throws Exception {
    return f.await(5, TimeUnit.SECONDS);
  }

  @Test
  void everyGrantIsRecordedWithEpochNodeAndServerTimeAndRefusalsAreNot() throws Exception {
    Lease.Attempt first = await(lease("a").acquire(0));
    Lease.Attempt refused = await(lease("b").acquire(0));
    rc.cmd("DEL", keys.leader()); // a's lease lapses
    Lease.Attempt second = await(lease("b").acquire(0));
    assertThat(first.granted()).isTrue();
    assertThat(refused.granted()).isFalse();
    assertThat(second.granted()).isTrue();

    List<Replies.Entry> grants = rc.range(keys.grants());
    assertThat(grants).extracting(e -> e.fields().get("node")).containsExactly("a", "b");
    assertThat(grants)
        .extracting(e -> Long.parseLong(e.fields().get("epoch")))
        .containsExactly(first.epoch(), second.epoch());
    long serverMs = Long.parseLong(rc.strings("TIME").get(0)) * 1000;
    for (Replies.Entry e : grants) {
      long ts = Long.parseLong(e.fields().get("ts"));
      long idMs = Long.parseLong(e.id().substring(0, e.id().indexOf('-')));
      assertThat(ts).as("the Redis clock at the grant, like the entry id").isEqualTo(idMs);
      assertThat(serverMs - ts).isBetween(-1000L, 60_000L);
    }
  }

  @Test
  void theHistoryIsCappedNearAThousandGrants() throws Exception {
    Lease a = lease("a");
    for (int i = 0; i < 1_300; i++) {
      // the holder asking again is re-granted with a new epoch: one entry per call
      assertThat(await(a.acquire(0)).granted()).isTrue();
    }
    long length = rc.num("XLEN", keys.grants());
    assertThat(length).isBetween(1_000L, 1_200L);
    List<Replies.Entry> newest = rc.range(keys.grants());
    assertThat(Long.parseLong(newest.get(newest.size() - 1).fields().get("epoch")))
        .isEqualTo(1_300L);
  }

  @Test
  void aGrantsKeyOfAnotherTypeNeverBlocksAGrant() throws Exception {
    rc.cmd("SET", keys.grants(), "not a stream");
    Lease.Attempt grant = await(lease("a").acquire(0));
    assertThat(grant.granted()).isTrue();
    assertThat(rc.str("GET", keys.leader())).isEqualTo("a");
    assertThat(rc.str("GET", keys.grants())).isEqualTo("not a stream");
  }
}
