package dev.baton.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Await;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * docker/docker-compose.yml brought up as a user would (image built from docker/Dockerfile, three
 * nodes); killing the generator's container hands the baton to another node, which publishes.
 * Runs only where a Docker engine with Compose is available; {@link ContainerFilesTest} checks the
 * files everywhere else.
 */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(900)
class ComposeClusterTest {
  private static final int NODES = 3;
  private static final int HTTP_PORT = 8080;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Container
  private static final ComposeContainer COMPOSE = compose();

  private static ComposeContainer compose() {
    ComposeContainer c = new ComposeContainer(new File("docker/docker-compose.yml"))
        .withBuild(true)
        .withEnv("REDIS_PASSWORD", "compose-test-password")
        .withScaledService("node", NODES)
        .withStartupTimeout(Duration.ofMinutes(10));
    for (int i = 1; i <= NODES; i++) {
      c.withExposedService("node", i, HTTP_PORT,
          Wait.forHttp("/health").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(10)));
    }
    return c;
  }

  private static JsonObject status(int instance) {
    try {
      String host = COMPOSE.getServiceHost("node-" + instance, HTTP_PORT);
      int port = COMPOSE.getServicePort("node-" + instance, HTTP_PORT);
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/status"))
          .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static Integer generator(List<Integer> among) {
    for (int i : among) {
      JsonObject s = status(i);
      if (s != null && "generator".equals(s.getString("role"))) {
        return i;
      }
    }
    return null;
  }

  @Test
  void killingTheGeneratorsContainerHandsTheBatonToAnotherNode() {
    List<Integer> all = new ArrayList<>();
    for (int i = 1; i <= NODES; i++) {
      all.add(i);
    }
    int first = Await.value("a generator", Duration.ofSeconds(60), () -> generator(all));
    long epoch = status(first).getLong("epoch");
    Await.until("the cluster handles messages", Duration.ofSeconds(60),
        () -> status(first).getJsonObject("cluster").getLong("processed", 0L) > 5);

    ContainerState container = COMPOSE.getContainerByServiceName("node-" + first).orElseThrow();
    DockerClientFactory.lazyClient().killContainerCmd(container.getContainerId()).exec();

    List<Integer> rest = new ArrayList<>(all);
    rest.remove(Integer.valueOf(first));
    int next = Await.value("another node generates", Duration.ofSeconds(60), () -> generator(rest));
    assertThat(status(next).getLong("epoch")).isGreaterThan(epoch);
    long published = status(next).getJsonObject("counters").getLong("published");
    Await.until("the new generator publishes", Duration.ofSeconds(30),
        () -> status(next).getJsonObject("counters").getLong("published") > published);
  }
}
