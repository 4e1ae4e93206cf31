package dev.baton.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.state.Component;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.RedisServer;
import dev.baton.support.TestNode;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A refusal of one component's commands ends when that component's calls succeed again: a
 * successful GET /status reports success for "status" itself (it once reported a bare "Redis is
 * up", so the status refusal stayed on for good, and its next refusal and its recovery were never
 * logged).
 */
@Timeout(90)
class RefusalRecoveryTest {
  @RegisterExtension final Closer closer = new Closer();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final String prefix = "r" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  /**
   * GET /status: its {@code redis} field, "up" when the cluster view was read, "error" when
   * refused.
   */
  private static String status(TestNode node) {
    try {
      String body =
          HTTP.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + node.httpPort() + "/status"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return new JsonObject(body).getString("redis");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void theStatusRefusalEndsOnceStatusIsServedAgainAndTheNextOneIsSeen() {
    RedisServer redis = closer.add(RedisServer.start());
    TestRedis rc = closer.add(new TestRedis(redis.url()));
    TestNode node = closer.add(TestNode.start(redis.url(), prefix, "s1"));
    Await.until("s1 leads", Duration.ofSeconds(10), node::isGenerator);

    rc.cmd("SET", keys.epoch(), "banana"); // view.lua refuses: Redis holds a corrupt epoch
    Await.until(
        "GET /status finds Redis refusing",
        Duration.ofSeconds(10),
        () -> "error".equals(status(node)));
    assertThat(node.state().redis().refusingNow(Component.STATUS)).isTrue();

    rc.cmd("DEL", keys.epoch());
    // each successful GET /status reports success for "status"; the refusal is over after the quiet
    // period
    Await.until(
        "the status refusal is over",
        Duration.ofSeconds(30),
        () -> "up".equals(status(node)) && !node.state().redis().refusingNow(Component.STATUS));

    rc.cmd("SET", keys.epoch(), "banana");
    Await.until(
        "a new refusal is seen",
        Duration.ofSeconds(10),
        () -> "error".equals(status(node)) && node.state().redis().refusingNow(Component.STATUS));
    rc.cmd("DEL", keys.epoch());
  }
}
