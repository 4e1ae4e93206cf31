package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.NodeProcess;
import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.tool.ExitCodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every stop ends: whatever refuses or fails while a generator stops (its lease release refused by
 * an ACL, Redis frozen, Redis gone), the process exits with 1 within the stop deadline (10 s; the
 * bound here adds the JVM's own start and exit), says why in one line, and never dies of an
 * uncaught exception (which left the JVM running, since Vert.x's threads are not daemons).
 */
@Timeout(180)
class StopIT {
  /** Main's stop deadline plus generous slack for a loaded machine: a liveness bound. */
  private static final long EXIT_BOUND_MS = 25_000;

  private final String prefix = "stop" + UUID.randomUUID().toString().substring(0, 8);
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private RedisServer redis() {
    RedisServer r = RedisServer.start();
    closing.add(r);
    return r;
  }

  /** A generator with a lease that outlives the test: it still leads when it is told to stop. */
  private NodeProcess generator(RedisServer redis, Map<String, String> extra) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("BATON_NODE_ID", prefix);
    env.put("BATON_REDIS_URL", redis.url());
    env.put("BATON_REDIS_KEY_PREFIX", prefix);
    env.put("BATON_REDIS_EMBEDDED", "off");
    env.put("BATON_REDIS_COMMAND_TIMEOUT_MS", "1000");
    env.put("BATON_ELECTION_LEASE_MS", "60000");
    env.put("BATON_ELECTION_RENEW_MS", "20000");
    env.put("BATON_GENERATOR_INTERVAL_MS", "100");
    env.putAll(extra);
    NodeProcess node = NodeProcess.start(env, "-conf", "conf/node.json");
    closing.add(node);
    Await.until("it generates", Duration.ofSeconds(60), () -> "generator".equals(node.role()));
    return node;
  }

  /** SIGTERM; the exit code and how long the process took to end. */
  private static long[] stop(NodeProcess node) {
    long start = System.nanoTime();
    int exit = node.terminate();
    return new long[] {exit, (System.nanoTime() - start) / 1_000_000};
  }

  private static void assertFailedStop(NodeProcess node, long[] stopped, String why) {
    String log = node.log();
    assertThat(stopped[0]).as("exit code\n" + log).isEqualTo(ExitCodes.REDIS);
    assertThat(stopped[1]).as("ms to exit\n" + log).isLessThan(EXIT_BOUND_MS);
    assertThat(log).as(log).doesNotContain("Exception in thread");
    assertThat(count(log, "stop failed")).as(log).isEqualTo(1);
    assertThat(log).contains(why);
  }

  private static int count(String text, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Test
  void aReleaseRefusedByAnAclEndsTheStopWithExitOneAndOneLine() throws Exception {
    RedisServer redis = redis();
    redis.command("ACL", "SETUSER", "baton", "on", ">pw", "~*", "&*", "+@all");
    NodeProcess node =
        generator(redis, Map.of("BATON_REDIS_USER", "baton", "BATON_REDIS_PASSWORD", "pw"));
    // the operator takes the scripts away while the node runs: its release is refused
    redis.command("ACL", "SETUSER", "baton", "-evalsha", "-eval");

    long[] stopped = stop(node);
    assertFailedStop(node, stopped, "could not release the lease");
  }

  @Test
  void aReleaseWhoseNoticeIsRefusedStillReleasesTheLease() throws Exception {
    RedisServer redis = redis();
    redis.command("ACL", "SETUSER", "baton", "on", ">pw", "~*", "&*", "+@all");
    NodeProcess node =
        generator(redis, Map.of("BATON_REDIS_USER", "baton", "BATON_REDIS_PASSWORD", "pw"));
    // no channel any more: the release's PUBLISH is refused (the first report of the issue)
    redis.command("ACL", "SETUSER", "baton", "resetchannels");

    long[] stopped = stop(node);
    String log = node.log();
    assertThat(stopped[0]).as(log).isZero();
    assertThat(log).as(log).doesNotContain("Exception in thread").contains("released the lease");
    assertThat(redis.command("EXISTS", "{" + prefix + "}:leader")).isEqualTo("0");
  }

  @Test
  void redisFrozenDuringTheStopEndsItWithinTheDeadline() throws Exception {
    RedisServer redis = redis();
    NodeProcess node = generator(redis, Map.of());
    redis.pause();
    try {
      long[] stopped = stop(node);
      assertFailedStop(node, stopped, "could not release the lease");
    } finally {
      redis.resume();
    }
  }

  @Test
  void redisGoneDuringTheStopEndsItWithExitOne() throws Exception {
    RedisServer redis = redis();
    NodeProcess node = generator(redis, Map.of());
    redis.kill();

    long[] stopped = stop(node);
    assertFailedStop(node, stopped, "could not release the lease");
  }
}
