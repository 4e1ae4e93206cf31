package dev.baton.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two processes with one node id would take the lease from each other in turn (each takes the lease
 * that "still names this node" with a fresh epoch). Presence sees the second one: a second
 * subscriber on the node's own channel. At start the newcomer is refused; one that appears later is
 * detected by the heartbeats, and the node competes for the lease no more until it is gone.
 */
@Timeout(120)
class DuplicateNodeIdTest {
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "d" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  @Test
  void aSecondProcessWithTheSameNodeIdIsRefusedAtStart() {
    RedisServer redis = closer.add(RedisServer.start());
    TestNode a = closer.add(TestNode.start(redis.url(), prefix, "a"));
    Await.until("a leads", Duration.ofSeconds(10), a::isGenerator);
    long epoch = a.state().role().epoch();
    assertThatThrownBy(() -> closer.add(TestNode.start(redis.url(), prefix, "a")))
        .hasStackTraceContaining("another process already runs with node id 'a'");
    assertThat(a.isGenerator()).isTrue();
    assertThat(a.state().role().epoch()).as("the lease stayed where it was").isEqualTo(epoch);
  }

  @Test
  void aDuplicateThatAppearsLaterIsDetectedAndTheNodeStopsCompetingUntilItIsGone()
      throws Exception {
    RedisServer redis = closer.add(RedisServer.start());
    TestRedis rc = closer.add(new TestRedis(redis.url()));
    TestNode b = closer.add(TestNode.start(redis.url(), prefix, "b"));
    Await.until("b leads", Duration.ofSeconds(10), b::isGenerator);
    TestNode a = closer.add(TestNode.start(redis.url(), prefix, "a"));
    Await.until("a handles", Duration.ofSeconds(10), a::isHandler);
    assertThat(a.state().role().duplicateNodeId()).isFalse();

    // another process subscribes to a's channel as a second node 'a' does (sharded where a's is)
    boolean sharded = rc.str("HGET", keys.presence(), "a").endsWith(" s");
    RedisConnection other = rc.client().connect().await(5, TimeUnit.SECONDS);
    other
        .send(
            Request.cmd(sharded ? Command.SSUBSCRIBE : Command.SUBSCRIBE)
                .arg(keys.presenceChannel("a")))
        .await(5, TimeUnit.SECONDS);
    Await.until(
        "a sees the duplicate", Duration.ofSeconds(10), () -> a.state().role().duplicateNodeId());

    // the lease is free now; while the duplicate lives, a does not take it
    b.close();
    Await.until(
        "b released the lease", Duration.ofSeconds(10), () -> rc.num("EXISTS", keys.leader()) == 0);
    Set<String> beats = new HashSet<>();
    Await.until(
        "a beats three more times",
        Duration.ofSeconds(20),
        () -> {
          beats.add(rc.str("ZSCORE", keys.heartbeats(), "a"));
          return beats.size() > 3;
        });
    assertThat(rc.num("EXISTS", keys.leader())).as("a did not compete for the lease").isZero();
    assertThat(a.isGenerator()).isFalse();

    other.close().await(5, TimeUnit.SECONDS);
    Await.until(
        "a no longer sees a duplicate",
        Duration.ofSeconds(10),
        () -> !a.state().role().duplicateNodeId());
    Await.until("a leads", Duration.ofSeconds(10), a::isGenerator);
  }
}
