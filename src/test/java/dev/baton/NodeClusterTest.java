package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bus.Addresses;
import dev.baton.support.Await;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(120)
class NodeClusterTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  private final List<TestNode> nodes = new ArrayList<>();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);

  @AfterEach
  void stopNodes() {
    nodes.forEach(TestNode::close);
  }

  @Test
  void fiveNodesElectOneGeneratorAndFourHandlersThatShareTheWork() {
    for (int i = 0; i < 5; i++) {
      nodes.add(TestNode.start(REDIS.url(), prefix, "n" + i));
    }
    Await.until(
        "one generator and four handlers",
        Duration.ofSeconds(10),
        () ->
            nodes.stream().filter(TestNode::isGenerator).count() == 1
                && nodes.stream().filter(TestNode::isHandler).count() == 4);
    TestNode generator = nodes.stream().filter(TestNode::isGenerator).findFirst().orElseThrow();
    Await.until(
        "100 messages committed",
        Duration.ofSeconds(30),
        () -> nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum() >= 100);
    assertThat(generator.state().counters().processed.get()).isZero();
    assertThat(
            nodes.stream()
                .filter(n -> n != generator)
                .filter(n -> n.state().counters().processed.get() > 0)
                .count())
        .as("handlers that processed something")
        .isGreaterThanOrEqualTo(2);
    assertThat(nodes).allSatisfy(n -> assertThat(n.state().role().maxVerticles()).isEqualTo(1));
    assertThat(REDIS.client().str("GET", "{" + prefix + "}:leader")).isEqualTo(generator.id());
  }

  @Test
  void eachRoleIsAVerticleAndASwitchUndeploysTheOldRoleBeforeDeployingTheNew() {
    TestNode node = TestNode.start(REDIS.url(), prefix, "switcher");
    nodes.add(node);
    Await.until("generator", Duration.ofSeconds(10), node::isGenerator);
    // node, HTTP, heartbeat, election and exactly one role verticle
    assertThat(node.vertx().deploymentIDs()).hasSize(5);
    List<String> roles = new CopyOnWriteArrayList<>();
    List<Integer> runningAtSwitch = new CopyOnWriteArrayList<>();
    Addresses.ROLE_CHANGED
        .consume(
            node.vertx().eventBus(),
            "switcher",
            changed -> {
              roles.add(changed.role().label());
              runningAtSwitch.add(node.state().role().verticles());
            })
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .join();

    for (int round = 0; round < 3; round++) {
      // someone else takes the lease for a moment: the node must switch to handler and back
      REDIS.client().cmd("SET", "{" + prefix + "}:leader", "other", "PX", "300");
      REDIS.client().cmd("INCR", "{" + prefix + "}:epoch");
      int expected = 2 * (round + 1);
      Await.until("switched away and back", Duration.ofSeconds(10), () -> roles.size() >= expected);
    }
    Await.until("generator again", Duration.ofSeconds(10), node::isGenerator);
    assertThat(roles)
        .startsWith("handler", "generator", "handler", "generator", "handler", "generator");
    assertThat(runningAtSwitch).containsOnly(1);
    assertThat(node.state().role().maxVerticles()).isEqualTo(1);
    assertThat(node.vertx().deploymentIDs()).hasSize(5);
  }
}
