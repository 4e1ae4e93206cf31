package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Await;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class NodeClusterTest {
  private static RedisServer redis;
  private static TestRedis rc;
  private final List<TestNode> nodes = new ArrayList<>();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);

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

  @AfterEach
  void stopNodes() {
    nodes.forEach(TestNode::close);
  }

  @Test
  void fiveNodesElectOneGeneratorAndFourHandlersThatShareTheWork() {
    for (int i = 0; i < 5; i++) {
      nodes.add(TestNode.start(redis.url(), prefix, "n" + i));
    }
    Await.until("one generator and four handlers", Duration.ofSeconds(10), () ->
        nodes.stream().filter(TestNode::isGenerator).count() == 1
            && nodes.stream().filter(TestNode::isHandler).count() == 4);
    TestNode generator = nodes.stream().filter(TestNode::isGenerator).findFirst().orElseThrow();
    Await.until("200 messages committed", Duration.ofSeconds(30),
        () -> nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum() >= 200);
    assertThat(generator.state().counters().processed.get()).isZero();
    assertThat(nodes.stream().filter(n -> n != generator)
        .filter(n -> n.state().counters().processed.get() > 0).count())
        .as("handlers that processed something").isGreaterThanOrEqualTo(2);
    assertThat(nodes).allSatisfy(n -> assertThat(n.state().maxRoleVerticles()).isEqualTo(1));
    assertThat(rc.str("GET", "{" + prefix + "}:leader")).isEqualTo(generator.id());
  }
}
