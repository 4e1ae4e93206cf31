package dev.baton.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The signer against the Standard Webhooks reference vector and under concurrent use. */
@Timeout(30)
class WebhooksTest {
  /**
   * The vector every reference library of github.com/standard-webhooks/standard-webhooks tests its
   * signer with (python test_sign_function, go TestWebhookSign, java validSigned).
   */
  static final String VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

  static final String VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  static final long VECTOR_TIMESTAMP = 1614265330L;
  static final String VECTOR_PAYLOAD = "{\"test\": 2432232314}";
  static final String VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  static byte[] vectorKey() {
    return Base64.getDecoder().decode(VECTOR_SECRET.substring("whsec_".length()));
  }

  @Test
  void signsThePublishedReferenceVector() {
    String signature =
        new Webhooks(vectorKey())
            .sign(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_PAYLOAD.getBytes(StandardCharsets.UTF_8));
    assertThat(signature).isEqualTo(VECTOR_SIGNATURE);
  }

  @Test
  void anyChangeToIdTimestampOrBodyChangesTheSignature() {
    Webhooks w = new Webhooks(vectorKey());
    byte[] body = VECTOR_PAYLOAD.getBytes(StandardCharsets.UTF_8);
    assertThat(w.sign(VECTOR_ID + "x", VECTOR_TIMESTAMP, body)).isNotEqualTo(VECTOR_SIGNATURE);
    assertThat(w.sign(VECTOR_ID, VECTOR_TIMESTAMP + 1, body)).isNotEqualTo(VECTOR_SIGNATURE);
    assertThat(w.sign(VECTOR_ID, VECTOR_TIMESTAMP, "{\"test\":2432232314}".getBytes()))
        .isNotEqualTo(VECTOR_SIGNATURE);
  }

  @Test
  void oneSignerIsSafeToShareBetweenThreads() throws Exception {
    Webhooks w = new Webhooks(vectorKey());
    byte[] body = VECTOR_PAYLOAD.getBytes(StandardCharsets.UTF_8);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        runs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 5_000; i++) {
                    if (!w.sign(VECTOR_ID, VECTOR_TIMESTAMP, body).equals(VECTOR_SIGNATURE)) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> run : runs) {
        assertThat(run.get(20, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
