package dev.baton.chaos;

import dev.baton.bench.FreePort;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hostile webhook for the chaos suite, on a port it keeps across stops: it logs every request as
 * {@link InvocationLog} reads it, and decides per (id, attempt): a text with the word "storm" is an
 * error; every {@code lateEvery}-th first attempt it receives answers ok only after {@code lateMs}
 * (past the handler's deadline: Baton has reset the request and retried by then; counted, not
 * hashed, so that every {@code lateEvery} messages bring one however few a loaded machine
 * publishes); one attempt in {@code failEvery} (by a hash of id and attempt) answers 503 with a
 * fail body; the rest ok after {@code slowMs}.
 */
final class ChaosWebhook implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final int port;
  private final Path log;
  private final int lateEvery;
  private final long lateMs;
  private final int failEvery;
  private final long slowMs;
  private final AtomicInteger firstAttempts = new AtomicInteger();
  private final AtomicInteger lates = new AtomicInteger();
  private HttpServer server;

  ChaosWebhook(Path log, int lateEvery, long lateMs, int failEvery, long slowMs)
      throws IOException {
    this.port = FreePort.pick();
    this.log = log;
    this.lateEvery = lateEvery;
    this.lateMs = lateMs;
    this.failEvery = failEvery;
    this.slowMs = slowMs;
  }

  /** How many attempts it has answered, or will answer, after {@code lateMs}. */
  int lates() {
    return lates.get();
  }

  String url() {
    return "http://127.0.0.1:" + port + "/hook";
  }

  void start() throws Exception {
    server =
        vertx
            .createHttpServer()
            .requestHandler(req -> req.body().onSuccess(body -> handle(req, body.toJsonObject())))
            .listen(port, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
  }

  /** Closes the listening socket and every connection, as a crashed or restarted server does. */
  void stop() throws Exception {
    if (server != null) {
      server.close().await(10, TimeUnit.SECONDS);
      server = null;
    }
  }

  private static boolean bucket(String key, int every) {
    return every > 0 && Math.floorMod(key.hashCode(), every) == 0;
  }

  private void handle(HttpServerRequest req, JsonObject inv) {
    String id = inv.getString("id");
    int attempt = inv.getInteger("attempt");
    String key = id + "#" + attempt;
    JsonObject line = new JsonObject().put("node", "webhook").put("id", id).put("attempt", attempt);
    if (attempt == 1 && lateEvery > 0 && firstAttempts.incrementAndGet() % lateEvery == 0) {
      record(line.put("did", "late"));
      lates.incrementAndGet();
      vertx.setTimer(lateMs, t -> req.response().end("{\"outcome\":\"ok\"}"));
      return;
    }
    JsonObject answer;
    int status = 200;
    if (bucket("fail" + key, failEvery)) {
      answer = new JsonObject().put("outcome", "fail").put("reason", "transient " + key);
      status = 503;
    } else if (inv.getString("text").matches("(.* )?storm( .*)?")) {
      answer =
          new JsonObject()
              .put("outcome", "error")
              .put("reason", "storm in " + id)
              .put("details", new JsonObject().put("attempt", attempt));
    } else {
      answer = new JsonObject().put("outcome", "ok");
    }
    record(line.put("did", "answered").put("answer", answer));
    int code = status;
    vertx.setTimer(
        Math.max(1, slowMs),
        t ->
            req.response()
                .setStatusCode(code)
                .putHeader("content-type", "application/json")
                .end(answer.encode()));
  }

  private synchronized void record(JsonObject line) {
    try {
      Files.writeString(
          log,
          line.encode() + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the test is over
    }
  }
}
