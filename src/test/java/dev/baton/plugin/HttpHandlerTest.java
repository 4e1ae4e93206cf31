package dev.baton.plugin;

import static dev.baton.plugin.PluginTests.context;
import static dev.baton.plugin.PluginTests.failure;
import static dev.baton.plugin.PluginTests.result;
import static dev.baton.plugin.PluginTests.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.byLessThan;

import dev.baton.api.Invocation;
import dev.baton.api.Outcome;
import dev.baton.config.PluginSettings.HttpPlugin;
import dev.baton.plugin.WebhookServer.Received;
import dev.baton.support.Await;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.junit5.VertxExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook handler against real HTTP servers it does not control the behaviour of: what it sends
 * (body, Standard Webhooks headers, signature), how each kind of answer becomes an outcome or a
 * failed attempt, that a timed-out or cancelled request is really ended, and its connection pool.
 */
@ExtendWith(VertxExtension.class)
@Timeout(120)
class HttpHandlerTest {
  private static final long TIMEOUT_MS = 10_000;

  private static Invocation invocation(String id, String text) {
    return Invocation.of(id, text, 1_700_000_000_000L, 1, 1_700_000_030_000L);
  }

  private static HttpHandler started(Vertx vertx, String url, byte[] secret, int pool, long ms) {
    HttpHandler h = new HttpHandler(new HttpPlugin(url, secret), pool, ms);
    result(h.start(context(vertx)));
    return h;
  }

  private static HttpHandler started(Vertx vertx, WebhookServer server) {
    return started(vertx, server.url(), null, 4, TIMEOUT_MS);
  }

  /** Answers by the invocation's text: {@code answers.get(text)} is {status, body}. */
  private static BiConsumer<HttpServerRequest, Buffer> byText(Map<String, Object[]> answers) {
    return (req, body) -> {
      Object[] a = answers.get(new JsonObject(body).getString("text"));
      req.response().setStatusCode((Integer) a[0]).end((String) a[1]);
    };
  }

  @Test
  void postsTheInvocationWithStandardWebhooksHeadersSignedAsTheSpecSays(Vertx vertx) {
    WebhookServer server = WebhookServer.start(vertx).answer(200, "{\"outcome\":\"ok\"}");
    byte[] key = WebhooksTest.vectorKey();
    HttpHandler handler = started(vertx, server.url(), key, 4, TIMEOUT_MS);
    Invocation inv = invocation("1700000000000-7", "héllo \"world\"");

    assertThat(result(handler.handle(inv))).isEqualTo(Outcome.ok());

    Received r = server.received().get(0);
    assertThat(r.method()).isEqualTo(HttpMethod.POST);
    assertThat(r.uri()).isEqualTo("/hook");
    assertThat(r.headers().get("content-type")).isEqualTo("application/json");
    assertThat(new JsonObject(r.body())).isEqualTo(inv.toJson());
    assertThat(r.headers().get("webhook-id")).isEqualTo(inv.id());
    long ts = Long.parseLong(r.headers().get("webhook-timestamp"));
    assertThat(ts).isCloseTo(System.currentTimeMillis() / 1000, byLessThan(6L));
    // the verifier is the spec's algorithm written independently; it accepts the spec's vector
    assertThat(
            PluginTests.verifies(
                key,
                WebhooksTest.VECTOR_ID,
                Long.toString(WebhooksTest.VECTOR_TIMESTAMP),
                WebhooksTest.VECTOR_PAYLOAD.getBytes(),
                WebhooksTest.VECTOR_SIGNATURE))
        .isTrue();
    String signature = r.headers().get("webhook-signature");
    assertThat(signature).startsWith("v1,");
    assertThat(
            PluginTests.verifies(
                key,
                inv.id(),
                r.headers().get("webhook-timestamp"),
                r.body().getBytes(),
                signature))
        .isTrue();
    byte[] tampered = r.body().toString().replace("world", "w0rld").getBytes();
    assertThat(
            PluginTests.verifies(
                key, inv.id(), r.headers().get("webhook-timestamp"), tampered, signature))
        .isFalse();
  }

  @Test
  void sendsNoSignatureWithoutASecret(Vertx vertx) {
    WebhookServer server = WebhookServer.start(vertx);
    HttpHandler handler = started(vertx, server);

    assertThat(result(handler.handle(invocation("1-0", "a")))).isEqualTo(Outcome.ok());

    Received r = server.received().get(0);
    assertThat(r.headers().get("webhook-id")).isEqualTo("1-0");
    assertThat(r.headers().get("webhook-timestamp")).matches("[0-9]+");
    assertThat(r.headers().contains("webhook-signature")).isFalse();
  }

  @Test
  void eachAnswerOfA2xxIsItsOutcome(Vertx vertx) {
    Map<String, Object[]> answers =
        Map.of(
            "empty", new Object[] {200, ""},
            "no content", new Object[] {204, ""},
            "ok", new Object[] {200, "{\"outcome\":\"ok\"}"},
            "accepted", new Object[] {202, " {\"outcome\":\"ok\", \"note\": 1}\n"},
            "error",
                new Object[] {
                  200,
                  "{\"outcome\":\"error\",\"reason\":\"forbidden word\","
                      + "\"details\":{\"word\":\"x\",\"at\":3}}"
                },
            "bare error", new Object[] {200, "{\"outcome\":\"error\",\"reason\":\"bad\"}"},
            "fail", new Object[] {200, "{\"outcome\":\"fail\",\"reason\":\"db busy\"}"},
            "own id", new Object[] {200, "{\"id\":\"5-0\",\"outcome\":\"ok\"}"});
    WebhookServer server = WebhookServer.start(vertx).answer(byText(answers));
    HttpHandler handler = started(vertx, server);

    for (String text : List.of("empty", "no content", "ok", "accepted", "own id")) {
      assertThat(result(handler.handle(invocation("5-0", text)))).as(text).isEqualTo(Outcome.ok());
    }
    assertThat(result(handler.handle(invocation("5-0", "error"))))
        .isEqualTo(Outcome.error("forbidden word", new JsonObject().put("word", "x").put("at", 3)));
    assertThat(result(handler.handle(invocation("5-0", "bare error"))))
        .isEqualTo(Outcome.error("bad"));
    assertThat(result(handler.handle(invocation("5-0", "fail"))))
        .isEqualTo(Outcome.fail("db busy"));
  }

  @Test
  void a2xxThatIsNoSuchAnswerIsABadAnswer(Vertx vertx) {
    String big =
        "{\"outcome\":\"ok\",\"pad\":\"" + "x".repeat(WebhookClient.MAX_ANSWER_BYTES) + "\"}";
    Map<String, Object[]> answers =
        Map.of(
            "text", new Object[] {200, "all good"},
            "array", new Object[] {200, "[\"ok\"]"},
            "unknown", new Object[] {200, "{\"outcome\":\"maybe\"}"},
            "no outcome", new Object[] {200, "{\"status\":\"ok\"}"},
            "no reason", new Object[] {200, "{\"outcome\":\"error\"}"},
            "fail no reason", new Object[] {200, "{\"outcome\":\"fail\",\"reason\":7}"},
            "details",
                new Object[] {200, "{\"outcome\":\"error\",\"reason\":\"r\",\"details\":[1]}"},
            "other id", new Object[] {200, "{\"id\":\"9-9\",\"outcome\":\"ok\"}"},
            "big", new Object[] {200, big});
    WebhookServer server = WebhookServer.start(vertx).answer(byText(answers));
    HttpHandler handler = started(vertx, server);

    for (String text : answers.keySet()) {
      AttemptFailure f = failure(handler.handle(invocation("5-0", text)));
      assertThat(f.failureClass()).as(text).isEqualTo(FailureClass.BAD_ANSWER);
    }
    assertThat(failure(handler.handle(invocation("5-0", "text"))).getMessage())
        .isEqualTo("not JSON: all good");
    assertThat(failure(handler.handle(invocation("5-0", "other id"))).getMessage())
        .contains("another message");
    assertThat(failure(handler.handle(invocation("5-0", "big"))).getMessage())
        .contains("over " + WebhookClient.MAX_ANSWER_BYTES + " bytes");
  }

  @Test
  void aBodyTooBigWithoutALengthIsCutOffAsItStreams(Vertx vertx) {
    WebhookServer server =
        WebhookServer.start(vertx)
            .answer(
                (req, body) -> {
                  req.response().setChunked(true);
                  // 2 MiB in chunks; the client must stop at 1 MiB and close the connection
                  Buffer chunk = Buffer.buffer("x".repeat(64 * 1024));
                  for (int i = 0; i < 32; i++) {
                    req.response().write(chunk);
                  }
                  req.response().end();
                });
    HttpHandler handler = started(vertx, server);

    AttemptFailure f = failure(handler.handle(invocation("1-0", "a")));

    assertThat(f.failureClass()).isEqualTo(FailureClass.BAD_ANSWER);
    assertThat(f.getMessage()).contains("over");
    Await.until("the connection is closed", Duration.ofSeconds(5), () -> server.closed.get() == 1);
  }

  @Test
  void anotherStatusFailsTheAttemptNamingItAndTheStartOfTheBody(Vertx vertx) {
    Map<String, Object[]> answers =
        Map.of(
            "503", new Object[] {503, "{\"outcome\":\"fail\",\"reason\":\"db down\"}"},
            "404", new Object[] {404, ""},
            "302", new Object[] {302, "moved"},
            "500", new Object[] {500, "y".repeat(5_000)});
    WebhookServer server = WebhookServer.start(vertx).answer(byText(answers));
    HttpHandler handler = started(vertx, server);

    for (String text : answers.keySet()) {
      AttemptFailure f = failure(handler.handle(invocation("1-0", text)));
      assertThat(f.failureClass()).as(text).isEqualTo(FailureClass.HTTP_STATUS);
      assertThat(f.getMessage()).as(text).startsWith("HTTP " + text);
    }
    assertThat(failure(handler.handle(invocation("1-0", "503"))).getMessage())
        .isEqualTo("HTTP 503 Service Unavailable: {\"outcome\":\"fail\",\"reason\":\"db down\"}");
    assertThat(failure(handler.handle(invocation("1-0", "404"))).getMessage())
        .isEqualTo("HTTP 404 Not Found (empty body)");
    assertThat(failure(handler.handle(invocation("1-0", "500"))).getMessage())
        .hasSizeLessThan(WebhookClient.REASON_BODY_CHARS + 40);
    // failed answers read to their end keep their connection
    assertThat(server.opened.get()).isEqualTo(1);
  }

  @Test
  void bytesThatAreNotHttpAreABadAnswer(Vertx vertx) throws Exception {
    NetServer garbage =
        vertx
            .createNetServer()
            .connectHandler(s -> s.handler(b -> s.write("garbage\r\n\r\n")))
            .listen(0, "127.0.0.1")
            .await(5, TimeUnit.SECONDS);
    HttpHandler handler =
        started(vertx, "http://127.0.0.1:" + garbage.actualPort() + "/", null, 2, TIMEOUT_MS);

    AttemptFailure f = failure(handler.handle(invocation("1-0", "a")));

    assertThat(f.failureClass()).isEqualTo(FailureClass.BAD_ANSWER);
    assertThat(f.getMessage()).startsWith("not an HTTP answer");
  }

  @Test
  void aServerThatNeverAnswersTimesOutAndSeesItsRequestEnded(Vertx vertx) {
    WebhookServer server = WebhookServer.start(vertx).answer((req, body) -> {});
    HttpHandler handler = started(vertx, server.url(), null, 2, 300);

    long t0 = System.nanoTime();
    AttemptFailure f = failure(handler.handle(invocation("1-0", "a")));
    long tookMs = (System.nanoTime() - t0) / 1_000_000;

    assertThat(f.failureClass()).isEqualTo(FailureClass.TIMEOUT);
    assertThat(f.getMessage()).isEqualTo("no answer within 300 ms (request reset)");
    assertThat(tookMs).isBetween(290L, 10_000L);
    Await.until(
        "the server sees the connection closed",
        Duration.ofSeconds(5),
        () -> server.closed.get() == 1);
    assertThat(server.inFlight.get()).isZero();

    server.answer(200, "");
    assertThat(result(handler.handle(invocation("2-0", "b")))).isEqualTo(Outcome.ok());
    assertThat(server.opened.get()).isEqualTo(2);
  }

  @Test
  void cancelResetsTheRequestAndTheServersLateAnswerGoesNowhere(Vertx vertx) {
    List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
    WebhookServer server = WebhookServer.start(vertx).answer((req, body) -> held.add(req));
    HttpHandler handler = started(vertx, server);
    Invocation inv = invocation("1-0", "a");

    Future<Outcome> call = handler.handle(inv);
    Await.until("the server holds the request", Duration.ofSeconds(5), () -> held.size() == 1);
    handler.cancel(inv);

    AttemptFailure f = failure(call);
    assertThat(f.failureClass()).isEqualTo(FailureClass.TIMEOUT);
    assertThat(f.getMessage()).startsWith("cancelled");
    Await.until(
        "the server sees the connection closed",
        Duration.ofSeconds(5),
        () -> server.closed.get() == 1);
    Future<Void> late = held.get(0).response().end("{\"outcome\":\"error\",\"reason\":\"late\"}");
    assertThat(settled(late).failed()).as("the late answer has no connection to go to").isTrue();
    assertThat(call.cause()).isSameAs(f);
  }

  @Test
  void cancellingACallThatEndedOrNeverBeganIsHarmless(Vertx vertx) {
    WebhookServer server = WebhookServer.start(vertx);
    HttpHandler handler = started(vertx, server);
    Invocation inv = invocation("1-0", "a");

    assertThat(result(handler.handle(inv))).isEqualTo(Outcome.ok());
    handler.cancel(inv);
    handler.cancel(invocation("2-0", "never"));

    assertThat(result(handler.handle(invocation("3-0", "b")))).isEqualTo(Outcome.ok());
    assertThat(server.opened.get()).isEqualTo(1);
    assertThat(server.closed.get()).isZero();
  }

  @Test
  void aStoppedServerIsUnreachableAndServedAgainOnceRestarted(Vertx vertx) {
    WebhookServer server = WebhookServer.start(vertx);
    HttpHandler handler = started(vertx, server);
    assertThat(result(handler.handle(invocation("1-0", "a")))).isEqualTo(Outcome.ok());

    server.stop();
    // the pooled connection may be closing while the call is sent ("Connection was closed")
    AttemptFailure f = failure(handler.handle(invocation("2-0", "b")));
    assertThat(f.failureClass()).isEqualTo(FailureClass.UNREACHABLE);
    AttemptFailure refused = failure(handler.handle(invocation("2-0", "b")));
    assertThat(refused.failureClass()).isEqualTo(FailureClass.UNREACHABLE);
    assertThat(refused.getMessage()).containsIgnoringCase("refused");

    server.restart();
    assertThat(result(handler.handle(invocation("3-0", "c")))).isEqualTo(Outcome.ok());
  }

  @Test
  void aConnectionClosedBeforeTheAnswerIsUnreachable(Vertx vertx) {
    WebhookServer server =
        WebhookServer.start(vertx).answer((req, body) -> req.connection().close());
    HttpHandler handler = started(vertx, server);

    AttemptFailure f = failure(handler.handle(invocation("1-0", "a")));

    assertThat(f.failureClass()).isEqualTo(FailureClass.UNREACHABLE);
  }

  @Test
  void anUnknownHostIsUnreachable(Vertx vertx) {
    HttpHandler handler = started(vertx, "http://no-such-host.invalid/", null, 1, TIMEOUT_MS);

    AttemptFailure f = failure(handler.handle(invocation("1-0", "a")));

    assertThat(f.failureClass()).isEqualTo(FailureClass.UNREACHABLE);
  }

  @Test
  void keepsItsConnectionsAliveAcrossCalls(Vertx vertx) {
    WebhookServer server = WebhookServer.start(vertx);
    HttpHandler handler = started(vertx, server);

    for (int i = 0; i < 50; i++) {
      assertThat(result(handler.handle(invocation(i + "-0", "a")))).isEqualTo(Outcome.ok());
    }

    assertThat(server.received()).hasSize(50);
    assertThat(server.opened.get()).isEqualTo(1);
    assertThat(server.closed.get()).isZero();
  }

  @Test
  void neverHasMoreConnectionsOrRequestsInFlightThanItsConcurrency(Vertx vertx) {
    int concurrency = 3;
    WebhookServer server =
        WebhookServer.start(vertx)
            .answer((req, body) -> vertx.setTimer(30, t -> req.response().end()));
    HttpHandler handler = started(vertx, server.url(), null, concurrency, TIMEOUT_MS);

    List<Future<Outcome>> calls = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      calls.add(handler.handle(invocation(i + "-0", "a")));
    }
    for (Future<Outcome> call : calls) {
      assertThat(result(call)).isEqualTo(Outcome.ok());
    }

    assertThat(server.received()).hasSize(30);
    assertThat(server.maxInFlight.get()).isEqualTo(concurrency);
    assertThat(server.maxOpen.get()).isEqualTo(concurrency);
    assertThat(server.opened.get()).isEqualTo(concurrency);
  }

  /**
   * Two verticles, so two contexts on two event loops, sharing one handler and its one connection.
   */
  @Test
  void completesEachCallOnTheContextThatMadeIt(Vertx vertx) {
    WebhookServer server = WebhookServer.start(vertx);
    HttpHandler handler = started(vertx, server.url(), null, 1, TIMEOUT_MS);
    HttpHandler impatient = started(vertx, server.url(), null, 1, 300);
    List<Context> contexts = new CopyOnWriteArrayList<>();
    result(
        vertx.deployVerticle(
            () ->
                new VerticleBase() {
                  @Override
                  public Future<?> start() {
                    contexts.add(context);
                    return Future.succeededFuture();
                  }
                },
            new DeploymentOptions().setInstances(2)));
    Map<String, String> onCaller = new ConcurrentHashMap<>();
    Map<String, String> threads = new ConcurrentHashMap<>();

    for (int round = 0; round < 3; round++) {
      for (int c = 0; c < 2; c++) {
        Context ctx = contexts.get(c);
        String name = round + "/" + c;
        Promise<Void> done = Promise.promise();
        ctx.runOnContext(
            v ->
                handler
                    .handle(invocation(name, "a"))
                    .onComplete(
                        ar -> {
                          onCaller.put(
                              name,
                              Vertx.currentContext() != ctx
                                  ? "on another context"
                                  : ar.succeeded() ? "ok" : ar.cause().toString());
                          threads.put(name, Thread.currentThread().getName());
                          done.complete();
                        }));
        settled(done.future());
      }
    }
    assertThat(server.opened.get()).isEqualTo(1);
    // a timeout and a cancel from another thread complete on the caller's context too
    server.answer((req, body) -> {});
    Context ctx = contexts.get(1);
    Promise<Boolean> timedOut = Promise.promise();
    ctx.runOnContext(
        v ->
            impatient
                .handle(invocation("t", "a"))
                .onComplete(ar -> timedOut.complete(Vertx.currentContext() == ctx && ar.failed())));
    Promise<Boolean> cancelled = Promise.promise();
    Invocation c = invocation("c", "a");
    ctx.runOnContext(
        v ->
            handler
                .handle(c)
                .onComplete(
                    ar -> cancelled.complete(Vertx.currentContext() == ctx && ar.failed())));
    Await.until(
        "the server holds the call to cancel",
        Duration.ofSeconds(10),
        () -> server.received().stream().anyMatch(r -> "c".equals(r.headers().get("webhook-id"))));
    handler.cancel(c);

    assertThat(threads.get("0/0")).isNotEqualTo(threads.get("0/1"));
    assertThat(onCaller.values()).hasSize(6).containsOnly("ok");
    assertThat(result(timedOut.future())).isTrue();
    assertThat(result(cancelled.future())).isTrue();
  }

  @Test
  void callsHttpsUrlsCheckingTheServerAgainstTheJvmTrustStore(Vertx vertx, @TempDir Path dir)
      throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
    WebhookServer server =
        WebhookServer.start(
            vertx, new HttpServerOptions().setSsl(true).setKeyCertOptions(cert.keyCertOptions()));
    server.answer(200, "{\"outcome\":\"ok\"}");
    assertThat(server.url()).startsWith("https://localhost:");

    // loading the JVM's trust store and failing the handshake took 7 s on a loaded machine here
    HttpHandler untrusting = started(vertx, server.url(), null, 1, 60_000);
    AttemptFailure f = failure(untrusting.handle(invocation("1-0", "a")));
    assertThat(f.failureClass()).isEqualTo(FailureClass.UNREACHABLE);
    assertThat(f.getMessage()).startsWith("TLS");
    assertThat(server.received()).isEmpty();

    Path store = trustStoreOf(cert, dir);
    Map<String, String> saved = new HashMap<>();
    for (String p :
        List.of(
            "javax.net.ssl.trustStore",
            "javax.net.ssl.trustStoreType",
            "javax.net.ssl.trustStorePassword")) {
      saved.put(p, System.getProperty(p));
    }
    try {
      System.setProperty("javax.net.ssl.trustStore", store.toString());
      System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
      System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
      HttpHandler trusting = started(vertx, server.url(), null, 1, 60_000);
      assertThat(result(trusting.handle(invocation("2-0", "b")))).isEqualTo(Outcome.ok());
    } finally {
      saved.forEach(
          (k, v) -> {
            if (v == null) {
              System.clearProperty(k);
            } else {
              System.setProperty(k, v);
            }
          });
    }
    assertThat(server.received()).hasSize(1);
  }

  private static Path trustStoreOf(SelfSignedCertificate cert, Path dir) throws Exception {
    Certificate c;
    try (InputStream in = Files.newInputStream(Path.of(cert.certificatePath()))) {
      c = CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("webhook", c);
    Path store = dir.resolve("trust.p12");
    try (OutputStream out = Files.newOutputStream(store)) {
      ks.store(out, "changeit".toCharArray());
    }
    return store;
  }
}
