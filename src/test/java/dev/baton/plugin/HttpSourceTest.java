package dev.baton.plugin;

import static dev.baton.plugin.PluginTests.context;
import static dev.baton.plugin.PluginTests.failure;
import static dev.baton.plugin.PluginTests.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.api.Tick;
import dev.baton.config.PluginSettings.HttpPlugin;
import dev.baton.plugin.WebhookServer.Received;
import dev.baton.support.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HTTP source against a real server: what a tick sends, which answers give which texts, and
 * that it fails, times out and is cancelled as the webhook handler does (same client).
 */
@ExtendWith(VertxExtension.class)
@Timeout(90)
class HttpSourceTest {
  private static final long TIMEOUT_MS = 10_000;

  private static HttpSource started(Vertx vertx, String url, byte[] secret, long timeoutMs) {
    HttpSource s = new HttpSource(new HttpPlugin(url, secret), timeoutMs);
    result(s.start(context(vertx)));
    return s;
  }

  /** Answers with {status, content type, body}, by the tick's seq. */
  private static WebhookServer answering(Vertx vertx, Map<Long, String[]> bySeq) {
    return WebhookServer.start(vertx)
        .answer(
            (req, body) -> {
              String id = req.getHeader("webhook-id");
              String[] a = bySeq.get(Long.parseLong(id.substring(id.indexOf(':') + 1)));
              if (a[1] != null) {
                req.response().putHeader("content-type", a[1]);
              }
              req.response().setStatusCode(Integer.parseInt(a[0])).end(a[2]);
            });
  }

  @Test
  void getsWithTheTickKeyAsWebhookIdSignedOverAnEmptyBody(Vertx vertx) {
    WebhookServer server =
        WebhookServer.start(vertx)
            .answer(
                (req, body) ->
                    req.response()
                        .putHeader("content-type", "application/json")
                        .end("{\"messages\":[\"a\",\"b c\"]}"));
    byte[] key = WebhooksTest.vectorKey();
    HttpSource source = started(vertx, server.url(), key, TIMEOUT_MS);

    assertThat(result(source.next(new Tick(7, 42, 0)))).containsExactly("a", "b c");

    Received r = server.received().get(0);
    assertThat(r.method()).isEqualTo(HttpMethod.GET);
    assertThat(r.body().length()).isZero();
    assertThat(r.headers().get("webhook-id")).isEqualTo("7:42");
    assertThat(
            PluginTests.verifies(
                key,
                "7:42",
                r.headers().get("webhook-timestamp"),
                new byte[0],
                r.headers().get("webhook-signature")))
        .isTrue();
  }

  @Test
  void eachAnswerGivesItsTexts(Vertx vertx) {
    Map<Long, String[]> answers =
        Map.of(
            1L, new String[] {"200", "application/json", "{\"messages\":[\"x\",\"y\"]}"},
            2L, new String[] {"200", "application/json; charset=utf-8", "{\"messages\":[]}"},
            3L, new String[] {"200", "text/plain", "one plain message\nwith two lines"},
            4L, new String[] {"200", null, "{\"messages\":[\"not json by its type\"]}"},
            5L, new String[] {"200", "application/json", "{\"other\":1}"},
            6L, new String[] {"200", "application/json", "[\"a\",\"b\"]"},
            7L, new String[] {"204", null, ""},
            8L, new String[] {"200", "text/plain", ""},
            9L, new String[] {"200", "application/vnd.baton+json", "{\"messages\":[\"é\"]}"});
    WebhookServer server = answering(vertx, answers);
    HttpSource source = started(vertx, server.url(), null, TIMEOUT_MS);

    assertThat(result(source.next(new Tick(1, 1, 0)))).containsExactly("x", "y");
    assertThat(result(source.next(new Tick(1, 2, 0)))).isEmpty();
    assertThat(result(source.next(new Tick(1, 3, 0))))
        .containsExactly("one plain message\nwith two lines");
    assertThat(result(source.next(new Tick(1, 4, 0))))
        .containsExactly("{\"messages\":[\"not json by its type\"]}");
    assertThat(result(source.next(new Tick(1, 5, 0)))).containsExactly("{\"other\":1}");
    assertThat(result(source.next(new Tick(1, 6, 0)))).containsExactly("[\"a\",\"b\"]");
    assertThat(result(source.next(new Tick(1, 7, 0)))).isEmpty();
    assertThat(result(source.next(new Tick(1, 8, 0)))).isEmpty();
    assertThat(result(source.next(new Tick(1, 9, 0)))).containsExactly("é");
    assertThat(server.opened.get()).as("one keep-alive connection for every tick").isEqualTo(1);
  }

  @Test
  void anythingElseFailsTheTick(Vertx vertx) {
    Map<Long, String[]> answers =
        Map.of(
            1L, new String[] {"500", "text/plain", "boom"},
            2L, new String[] {"201", "application/json", "{\"messages\":[\"x\"]}"},
            3L, new String[] {"200", "application/json", "{\"messages\":[\"x\",2]}"},
            4L, new String[] {"200", "application/json", "{\"messages\":\"x\"}"});
    WebhookServer server = answering(vertx, answers);
    HttpSource source = started(vertx, server.url(), null, TIMEOUT_MS);

    AttemptFailure status = failure(source.next(new Tick(1, 1, 0)));
    assertThat(status.failureClass()).isEqualTo(FailureClass.HTTP_STATUS);
    assertThat(status.getMessage()).isEqualTo("HTTP 500 Internal Server Error: boom");
    assertThat(failure(source.next(new Tick(1, 2, 0))).failureClass())
        .isEqualTo(FailureClass.HTTP_STATUS);
    assertThat(failure(source.next(new Tick(1, 3, 0))).failureClass())
        .isEqualTo(FailureClass.BAD_ANSWER);
    assertThat(failure(source.next(new Tick(1, 4, 0))).failureClass())
        .isEqualTo(FailureClass.BAD_ANSWER);
  }

  @Test
  void aSilentSourceTimesOutAndACancelledTickIsEnded(Vertx vertx) {
    WebhookServer server = WebhookServer.start(vertx).answer((req, body) -> {});
    HttpSource impatient = started(vertx, server.url(), null, 300);

    AttemptFailure timedOut = failure(impatient.next(new Tick(1, 1, 0)));
    assertThat(timedOut.failureClass()).isEqualTo(FailureClass.TIMEOUT);
    Await.until("the server sees it closed", Duration.ofSeconds(5), () -> server.closed.get() == 1);

    HttpSource patient = started(vertx, server.url(), null, TIMEOUT_MS);
    Tick tick = new Tick(1, 2, 0);
    Future<List<String>> call = patient.next(tick);
    Await.until(
        "the server has the tick", Duration.ofSeconds(5), () -> server.received().size() == 2);
    patient.cancel(tick);
    assertThat(failure(call).failureClass()).isEqualTo(FailureClass.TIMEOUT);
    Await.until("the server sees it closed", Duration.ofSeconds(5), () -> server.closed.get() == 2);
  }

  @Test
  void aStoppedSourceIsUnreachableUntilItIsBack(Vertx vertx) {
    WebhookServer server = WebhookServer.start(vertx).answer(200, "back");
    HttpSource source = started(vertx, server.url(), null, TIMEOUT_MS);
    server.stop();

    AttemptFailure f = failure(source.next(new Tick(1, 1, 0)));
    assertThat(f.failureClass()).isEqualTo(FailureClass.UNREACHABLE);

    server.restart();
    assertThat(result(source.next(new Tick(1, 2, 0)))).containsExactly("back");
  }
}
