package dev.baton.plugin;

import static dev.baton.plugin.PluginTests.context;
import static dev.baton.plugin.PluginTests.failure;
import static dev.baton.plugin.PluginTests.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.api.Invocation;
import dev.baton.api.Outcome;
import dev.baton.api.Tick;
import dev.baton.config.PluginSettings.HttpPlugin;
import dev.baton.support.Closer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Python examples a user copies, run for real with python3 and called by {@link HttpHandler}
 * and {@link HttpSource}: each outcome, signatures checked, retries deduplicated, ticks idempotent.
 */
@ExtendWith(VertxExtension.class)
@Timeout(90)
class PythonWebhookTest {
  private static final String SECRET =
      "whsec_"
          + Base64.getEncoder()
              .encodeToString("a secret of thirty-two bytes....".getBytes(StandardCharsets.UTF_8));
  private static final long TIMEOUT_MS = 10_000;

  @RegisterExtension final Closer closer = new Closer();

  private static byte[] key(String secret) {
    return Base64.getDecoder().decode(secret.substring("whsec_".length()));
  }

  private static Invocation invocation(String id, String text) {
    return Invocation.of(
        id, text, System.currentTimeMillis(), 1, System.currentTimeMillis() + 30_000);
  }

  private HttpHandler handler(Vertx vertx, PythonExample python, byte[] key) {
    HttpHandler h = new HttpHandler(new HttpPlugin(python.url(), key), 4, TIMEOUT_MS);
    result(h.start(context(vertx)));
    return h;
  }

  @Test
  void judgesOkAndErrorWithDetailsVerifyingTheSignature(Vertx vertx) throws Exception {
    PythonExample python =
        closer.add(PythonExample.start("handler.py", Map.of("WEBHOOK_SECRET", SECRET)));
    HttpHandler handler = handler(vertx, python, key(SECRET));

    assertThat(result(handler.handle(invocation("1-0", "an ordinary message"))))
        .isEqualTo(Outcome.ok());
    assertThat(result(handler.handle(invocation("2-0", "a FORBIDDEN message"))))
        .isEqualTo(
            Outcome.error(
                "forbidden word", new JsonObject().put("word", "forbidden").put("position", 2)));
    assertThat(python.lines()).anyMatch(l -> l.contains("2-0 attempt=1 200 error"));
  }

  @Test
  void failsAttemptsAsAskedSoBatonRetries(Vertx vertx) throws Exception {
    PythonExample python =
        closer.add(PythonExample.start("handler.py", Map.of("FAIL_PERCENT", "100")));
    HttpHandler handler = handler(vertx, python, null);

    AttemptFailure f = failure(handler.handle(invocation("1-0", "a")));

    assertThat(f.failureClass()).isEqualTo(FailureClass.HTTP_STATUS);
    assertThat(f.getMessage()).startsWith("HTTP 503").contains("simulated transient failure");
  }

  @Test
  void answersARetryOfDoneWorkAsBeforeWithoutDoingItAgain(Vertx vertx) throws Exception {
    PythonExample python = closer.add(PythonExample.start("handler.py", Map.of()));
    HttpHandler handler = handler(vertx, python, null);

    assertThat(result(handler.handle(invocation("7-0", "fine")))).isEqualTo(Outcome.ok());
    // the same id again: judged already, so its text is not looked at again
    Invocation retry = Invocation.of("7-0", "forbidden", 0, 2, 0);
    assertThat(result(handler.handle(retry))).isEqualTo(Outcome.ok());
    assertThat(result(handler.handle(invocation("8-0", "forbidden"))).kind())
        .isEqualTo(Outcome.Kind.ERROR);
  }

  @Test
  void rejectsAWrongKeyAndATamperedBody(Vertx vertx) throws Exception {
    PythonExample python =
        closer.add(PythonExample.start("handler.py", Map.of("WEBHOOK_SECRET", SECRET)));
    byte[] otherKey = "another secret, also 32 bytes...".getBytes(StandardCharsets.UTF_8);

    AttemptFailure wrongKey =
        failure(handler(vertx, python, otherKey).handle(invocation("1-0", "a")));
    assertThat(wrongKey.failureClass()).isEqualTo(FailureClass.HTTP_STATUS);
    assertThat(wrongKey.getMessage()).startsWith("HTTP 401").contains("no valid signature");
    AttemptFailure unsigned = failure(handler(vertx, python, null).handle(invocation("2-0", "a")));
    assertThat(unsigned.getMessage()).startsWith("HTTP 401").contains("missing");

    // signed right, then one byte of the body changed on the way
    String body = invocation("3-0", "pay 10").toJson().encode();
    long ts = System.currentTimeMillis() / 1000;
    String signature =
        new Webhooks(key(SECRET)).sign("3-0", ts, body.getBytes(StandardCharsets.UTF_8));
    List<Integer> statuses = new ArrayList<>();
    for (String sent : List.of(body, body.replace("pay 10", "pay 90"))) {
      HttpClientResponse r =
          result(
              vertx
                  .createHttpClient()
                  .request(
                      new RequestOptions()
                          .setMethod(HttpMethod.POST)
                          .setAbsoluteURI(python.url())
                          .putHeader("webhook-id", "3-0")
                          .putHeader("webhook-timestamp", Long.toString(ts))
                          .putHeader("webhook-signature", signature))
                  .compose(req -> req.send(Buffer.buffer(sent))));
      statuses.add(r.statusCode());
    }
    assertThat(statuses).containsExactly(200, 401);
  }

  @Test
  void theSourceGivesEachTickItsBatchAndTheSameBatchAgainForTheSameKey(Vertx vertx)
      throws Exception {
    PythonExample python =
        closer.add(
            PythonExample.start("source.py", Map.of("WEBHOOK_SECRET", SECRET, "BATCH", "3")));
    HttpSource source = new HttpSource(new HttpPlugin(python.url(), key(SECRET)), TIMEOUT_MS);
    result(source.start(context(vertx)));

    assertThat(result(source.next(new Tick(4, 1, 0)))).containsExactly("job 1", "job 2", "job 3");
    assertThat(result(source.next(new Tick(4, 2, 0)))).containsExactly("job 4", "job 5", "job 6");
    assertThat(result(source.next(new Tick(4, 1, 0)))).containsExactly("job 1", "job 2", "job 3");

    HttpSource unsigned = new HttpSource(new HttpPlugin(python.url(), null), TIMEOUT_MS);
    result(unsigned.start(context(vertx)));
    assertThat(failure(unsigned.next(new Tick(4, 3, 0))).getMessage()).startsWith("HTTP 401");
  }
}
