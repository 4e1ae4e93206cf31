package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.NodeProcess;
import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisExtension;
import dev.baton.tool.ExitCodes;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The real fat jar as OS processes: what a user runs. */
@Timeout(180)
class FatJarIT {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension(true);
  private final String prefix = "it" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void stopNodes() {
    nodes.forEach(NodeProcess::close);
  }

  private Map<String, String> env(String nodeId) {
    Map<String, String> env = new HashMap<>();
    env.put("BATON_NODE_ID", nodeId);
    env.put("BATON_REDIS_URL", REDIS.url());
    env.put("BATON_REDIS_KEY_PREFIX", prefix);
    env.put("BATON_REDIS_EMBEDDED", "off");
    env.put("BATON_GENERATOR_INTERVAL_MS", "100");
    return env;
  }

  private NodeProcess node(String nodeId) throws Exception {
    NodeProcess p = NodeProcess.start(env(nodeId), "-conf", "conf/node.json");
    nodes.add(p);
    return p;
  }

  private NodeProcess generator() {
    return nodes.stream()
        .filter(n -> n.process().isAlive() && "generator".equals(n.role()))
        .findFirst()
        .orElse(null);
  }

  @Test
  void killingTheGeneratorWithSigkillHandsTheBatonToAnotherNodeWithAHigherEpoch() throws Exception {
    for (int i = 1; i <= 3; i++) {
      node("p" + i);
    }
    NodeProcess first =
        Await.value("a generator among three processes", Duration.ofSeconds(60), this::generator);
    Await.until(
        "every process answers",
        Duration.ofSeconds(30),
        () -> nodes.stream().allMatch(n -> n.status() != null));
    long epoch = first.status().getLong("epoch");
    Await.until(
        "messages flow",
        Duration.ofSeconds(30),
        () -> REDIS.client().num("HGET", keys.stats(), "processed") > 10);

    first.kill();
    NodeProcess next =
        Await.value("another process generates", Duration.ofSeconds(60), this::generator);
    assertThat(next).isNotSameAs(first);
    JsonObject status = next.status();
    assertThat(status.getLong("epoch")).isGreaterThan(epoch);
    long publishedAtTakeover = status.getJsonObject("counters").getLong("published");
    Await.until(
        "it publishes",
        Duration.ofSeconds(30),
        () ->
            Objects.requireNonNull(next.status()).getJsonObject("counters").getLong("published")
                > publishedAtTakeover);
  }

  @Test
  void sigtermMakesTheGeneratorReleaseTheLeaseAndExitPromptly() throws Exception {
    node("t1");
    NodeProcess first = Await.value("t1 generates", Duration.ofSeconds(60), this::generator);
    NodeProcess second = node("t2");
    Await.until("t2 handles", Duration.ofSeconds(60), () -> "handler".equals(second.role()));
    long epoch = first.status().getLong("epoch");

    long start = System.nanoTime();
    int exit = first.terminate();
    assertThat(exit)
        .as("a clean stop on SIGTERM (not 143, the JVM's default)\n" + first.log())
        .isZero();
    assertThat(first.log()).contains("released the lease of epoch " + epoch);
    Await.until("t2 takes over", Duration.ofSeconds(60), () -> "generator".equals(second.role()));
    assertThat((System.nanoTime() - start) / 1_000_000).as("exit and handover").isLessThan(15_000);
  }

  @Test
  void aBadConfigurationStopsTheProcessAtOnceNamingTheSetting() throws Exception {
    Map<String, String> env = env("bad");
    env.put("BATON_ELECTION_RENEW_MS", "900");
    NodeProcess p = NodeProcess.start(env, "-conf", "conf/node.json");
    nodes.add(p);
    assertThat(p.waitFor()).isEqualTo(ExitCodes.CONFIG);
    assertThat(p.log()).contains("election.renewMs: must be at most election.leaseMs/3");

    NodeProcess missing = NodeProcess.start(env("m"), "-conf", "does-not-exist.json");
    nodes.add(missing);
    assertThat(missing.waitFor()).isEqualTo(ExitCodes.CONFIG);
    assertThat(missing.log()).contains("does-not-exist.json").contains("cannot be read");
  }
}
