package dev.baton.plugin;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A webhook endpoint a test controls: what it answers ({@link #answer}), what it received, and what
 * the client did to its connections (opened, closed, at most how many at once) and requests (at
 * most how many in flight at once).
 */
final class WebhookServer implements AutoCloseable {
  /** One request as it arrived. */
  record Received(HttpMethod method, String uri, MultiMap headers, Buffer body) {}

  private final Vertx vertx;
  private final HttpServerOptions options;
  private HttpServer server;
  private int port;
  private volatile BiConsumer<HttpServerRequest, Buffer> behaviour =
      (req, body) -> req.response().end();

  final List<Received> received = new ArrayList<>();
  final AtomicInteger opened = new AtomicInteger();
  final AtomicInteger closed = new AtomicInteger();
  final AtomicInteger open = new AtomicInteger();
  final AtomicInteger maxOpen = new AtomicInteger();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();

  private WebhookServer(Vertx vertx, HttpServerOptions options) {
    this.vertx = vertx;
    this.options = options;
  }

  static WebhookServer start(Vertx vertx) {
    return start(vertx, new HttpServerOptions());
  }

  static WebhookServer start(Vertx vertx, HttpServerOptions options) {
    WebhookServer s = new WebhookServer(vertx, options);
    s.listen(0);
    return s;
  }

  int port() {
    return port;
  }

  String url() {
    return (options.isSsl() ? "https://localhost:" : "http://127.0.0.1:") + port + "/hook";
  }

  /** From now on, each request is answered by {@code behaviour} (given the request's body). */
  WebhookServer answer(BiConsumer<HttpServerRequest, Buffer> behaviour) {
    this.behaviour = behaviour;
    return this;
  }

  /** Answers every request with this status and body. */
  WebhookServer answer(int status, String body) {
    return answer((req, b) -> req.response().setStatusCode(status).end(body));
  }

  List<Received> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  /** Stops listening and closes every connection. */
  void stop() {
    await(server.close());
  }

  /** Listens again on the same port. */
  void restart() {
    listen(port);
  }

  private void listen(int onPort) {
    server =
        vertx
            .createHttpServer(options)
            .connectionHandler(this::connected)
            .requestHandler(this::request);
    await(server.listen(onPort, options.isSsl() ? "localhost" : "127.0.0.1"));
    port = server.actualPort();
  }

  private void connected(HttpConnection c) {
    opened.incrementAndGet();
    maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
    c.closeHandler(
        v -> {
          open.decrementAndGet();
          closed.incrementAndGet();
        });
  }

  private void request(HttpServerRequest req) {
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    boolean[] ended = new boolean[1];
    Runnable done =
        () -> {
          if (!ended[0]) {
            ended[0] = true;
            inFlight.decrementAndGet();
          }
        };
    req.response().endHandler(v -> done.run());
    req.response().closeHandler(v -> done.run());
    req.body()
        .onSuccess(
            body -> {
              synchronized (received) {
                received.add(new Received(req.method(), req.uri(), req.headers(), body));
              }
              behaviour.accept(req, body);
            });
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    await(server.close());
  }
}
