package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Await;
import dev.baton.support.DockerTests;
import dev.baton.support.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The same node against the official Redis 7 image; runs where a Docker engine answers, and must
 * under REQUIRE_DOCKER_TESTS=1 (see {@link DockerTests}).
 */
@ExtendWith(DockerTests.class)
@Testcontainers
@Timeout(180)
class RedisContainerTest {
  @Container
  private static final GenericContainer<?> REDIS =
      new GenericContainer<>(DockerImageName.parse("redis:7-alpine")).withExposedPorts(6379);

  @Test
  void nodesElectAGeneratorAndHandleMessagesOnTheOfficialImage() {
    String url = "redis://" + REDIS.getHost() + ":" + REDIS.getMappedPort(6379);
    List<TestNode> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        nodes.add(TestNode.start(url, "docker", "d" + i));
      }
      Await.until(
          "one generator",
          Duration.ofSeconds(20),
          () -> nodes.stream().filter(TestNode::isGenerator).count() == 1);
      Await.until(
          "messages handled",
          Duration.ofSeconds(30),
          () -> nodes.stream().mapToLong(n -> n.state().counters().processed.get()).sum() > 20);
      assertThat(nodes).allSatisfy(n -> assertThat(n.state().role().maxVerticles()).isEqualTo(1));
    } finally {
      nodes.forEach(TestNode::close);
    }
  }
}
