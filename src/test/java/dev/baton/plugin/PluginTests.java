package dev.baton.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.api.PluginContext;
import dev.baton.support.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What the plug-in tests share: a context to start a plug-in with, waiting for calls, a verifier.
 */
final class PluginTests {
  /** Long: only a failing test waits it out, and the first TLS call can take seconds under load. */
  static final Duration CALL_BOUND = Duration.ofSeconds(70);

  private PluginTests() {}

  static PluginContext context(Vertx vertx) {
    return new PluginContext() {
      @Override
      public Vertx vertx() {
        return vertx;
      }

      @Override
      public String nodeId() {
        return "test-node";
      }

      @Override
      public JsonObject settings() {
        return new JsonObject();
      }
    };
  }

  /** The future once it completed. */
  static <T> Future<T> settled(Future<T> f) {
    Await.until("the call ends", CALL_BOUND, f::isComplete);
    return f;
  }

  static <T> T result(Future<T> f) {
    Future<T> done = settled(f);
    assertThat(done.cause()).as("the call's failure").isNull();
    return done.result();
  }

  /** The AttemptFailure the call failed with. */
  static AttemptFailure failure(Future<?> f) {
    Future<?> done = settled(f);
    assertThat(done.succeeded()).as("the call fails, got " + done.result()).isFalse();
    assertThat(done.cause()).isInstanceOf(AttemptFailure.class);
    return (AttemptFailure) done.cause();
  }

  /**
   * A Standard Webhooks verifier written from the spec, independent of {@link Webhooks}: true when
   * one of the space-separated {@code v1,} signatures is the HMAC-SHA256 of {@code
   * id.timestamp.body} under {@code key}.
   */
  static boolean verifies(byte[] key, String id, String timestamp, byte[] body, String header) {
    if (id == null || timestamp == null || header == null) {
      return false;
    }
    byte[] expected;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      expected = mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    for (String sig : header.split(" ")) {
      if (sig.startsWith("v1,")) {
        byte[] given;
        try {
          given = Base64.getDecoder().decode(sig.substring(3));
        } catch (IllegalArgumentException e) {
          continue;
        }
        if (MessageDigest.isEqual(expected, given)) {
          return true;
        }
      }
    }
    return false;
  }
}
