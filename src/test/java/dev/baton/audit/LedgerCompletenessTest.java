package dev.baton.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.Quiesce;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import dev.baton.tool.ExitCodes;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * verify cannot be fooled by a lost ledger: when Redis lost part of what the ledger should hold
 * (FLUSHALL mid-run, keys evicted, the ledger's counts deleted), the ledger that remains may look
 * consistent, and verify used to print "OK: nothing lost". It now exits 4 with "the ledger is
 * incomplete: Redis lost data (…)", and says OK only for a ledger it can show complete.
 */
@Timeout(180)
class LedgerCompletenessTest {
  private static final Duration BOUND = Duration.ofSeconds(30);

  @RegisterExtension final RedisExtension redis = new RedisExtension(); // one server per test
  @RegisterExtension final Closer closer = new Closer();
  @TempDir Path tmp;
  private final String prefix = "l" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  private record Outcome(int code, String out, String err) {}

  private List<TestNode> cluster(JsonObject overrides) {
    List<TestNode> nodes = new ArrayList<>();
    for (String id : List.of("a", "b")) {
      JsonObject settings =
          TestNode.fastSettings(redis.url(), prefix)
              .put("nodeId", prefix + "-" + id)
              .put("audit", new JsonObject().put("enabled", true))
              .mergeIn(overrides, true);
      nodes.add(closer.add(TestNode.start(settings)));
    }
    return nodes;
  }

  private void processed(List<TestNode> nodes, long atLeast) {
    long start = nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum();
    Await.until(
        atLeast + " more processed",
        BOUND,
        () ->
            nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum()
                >= start + atLeast);
  }

  private void quiesce() {
    Quiesce.holdBaton(redis.client(), keys);
    Quiesce.awaitDrained(redis.client(), keys, BOUND);
  }

  private Outcome verify() throws Exception {
    quiesce();
    return verifyAsIs();
  }

  private Outcome verifyAsIs() throws Exception {
    Path conf = tmp.resolve("v-" + System.nanoTime() + ".json");
    Files.writeString(
        conf,
        new JsonObject()
            .put("redis", new JsonObject().put("url", redis.url()).put("keyPrefix", prefix))
            .encode());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        new CommandLine(
                new VerifyCommand(
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)))
            .execute("-conf", conf.toString());
    return new Outcome(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static void incomplete(Outcome o, String why) {
    assertThat(o.code()).as(o.out() + o.err()).isEqualTo(ExitCodes.GUARANTEE_BROKEN);
    assertThat(o.out()).doesNotContain("OK: nothing lost");
    assertThat(o.out() + o.err())
        .contains("the ledger is incomplete: Redis lost data (")
        .contains(why);
  }

  @Test
  void aCompleteLedgerIsOk() throws Exception {
    List<TestNode> nodes = cluster(new JsonObject());
    processed(nodes, 50);
    Outcome o = verify();
    assertThat(o.code()).as(o.out() + o.err()).isZero();
    assertThat(o.out()).contains("OK: nothing lost").contains("ledger since");
  }

  @Test
  void flushallMidRunLeavesALedgerThatLooksConsistentAndIsIncomplete() throws Exception {
    List<TestNode> nodes = cluster(new JsonObject());
    processed(nodes, 50);
    redis.client().cmd("FLUSHALL");
    Await.until(
        "a node saw the loss",
        BOUND,
        () -> nodes.stream().anyMatch(n -> n.state().redisData().losses().get() > 0));
    processed(nodes, 50);
    incomplete(verify(), "a node saw Redis lose Baton's data at ");
  }

  @Test
  void keysEvictedUnderAFullSpeedRunMakeTheLedgerIncomplete() throws Exception {
    redis.client().cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    List<TestNode> nodes =
        cluster(
            new JsonObject()
                .put("redis", new JsonObject().put("acceptEvictionDataLoss", true))
                .put("generator", new JsonObject().put("intervalMs", 0).put("maxBacklog", 20_000)));
    processed(nodes, 1_000);
    long used = Long.parseLong(usedMemory());
    redis.client().cmd("CONFIG", "SET", "maxmemory", Long.toString(used + 1_000_000));
    try {
      Await.until(
          "keys evicted",
          BOUND,
          () -> nodes.stream().anyMatch(n -> n.state().redisData().evictedKeys().get() > 0));
    } finally {
      redis.client().cmd("CONFIG", "SET", "maxmemory", "0");
    }
    // what the evictions took decides the reasons: the counts, the marker, the evictions since
    incomplete(verify(), "");
  }

  @Test
  void aLedgerWhoseCountsAreGoneIsIncomplete() throws Exception {
    List<TestNode> nodes = cluster(new JsonObject());
    processed(nodes, 50);
    quiesce();
    nodes.forEach(TestNode::close);
    redis.client().cmd("DEL", keys.stats());
    incomplete(verifyAsIs(), "the ledger's counts in " + keys.stats() + " are gone");
  }

  @Test
  void aLedgerStreamThatLostEntriesIsIncomplete() throws Exception {
    List<TestNode> nodes = cluster(new JsonObject());
    processed(nodes, 50);
    quiesce();
    nodes.forEach(TestNode::close);
    // the first ten commits of the ledger gone (a third party trimmed it)
    String eleventh = redis.client().range(keys.auditCommitted()).get(10).id();
    redis.client().cmd("XTRIM", keys.auditCommitted(), "MINID", eleventh);
    incomplete(verifyAsIs(), keys.auditCommitted() + " holds ");
  }

  private String usedMemory() {
    String info = redis.client().str("INFO", "memory");
    int at = info.indexOf("used_memory:") + "used_memory:".length();
    return info.substring(at, info.indexOf('\r', at));
  }
}
