package dev.baton.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How a failed call is classified: the HTTP reads count only failures that are not timeouts. */
class RedisOpsTest {
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private Throwable failureOf(int port, long timeoutMs) {
    Redis client =
        Redis.createClient(
            vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:" + port));
    try {
      Future<Response> f = new RedisOps(client, timeoutMs).send(Request.cmd(Command.PING));
      try {
        f.await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // the cause is what matters
      }
      assertThat(f.failed()).as("the call failed").isTrue();
      return f.cause();
    } finally {
      client.close();
    }
  }

  @Test
  void aServerThatNeverAnswersIsATimeoutNotAnErrorReply() throws Exception {
    try (ServerSocket silent = new ServerSocket(0)) {
      Thread acceptor =
          new Thread(
              () -> {
                try (Socket s = silent.accept()) {
                  s.getInputStream().readAllBytes(); // reads and never answers
                } catch (Exception e) {
                  // closed at the end of the test
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      Throwable e = failureOf(silent.getLocalPort(), 200);
      assertThat(RedisOps.isTimeout(e)).as(String.valueOf(e)).isTrue();
      assertThat(RedisOps.isErrorReply(e)).isFalse();
    }
  }

  @Test
  void aRefusedConnectionIsNeitherATimeoutNorAnErrorReply() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    Throwable e = failureOf(port, 5_000);
    assertThat(RedisOps.isTimeout(e)).as(String.valueOf(e)).isFalse();
    assertThat(RedisOps.isErrorReply(e)).isFalse();
  }
}
