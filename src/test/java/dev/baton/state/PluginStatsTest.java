package dev.baton.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.state.PluginStats.AttemptOutcome;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When a plug-in counts as failing every attempt (what /health's handler_failing reports). */
class PluginStatsTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final PluginStats stats = new PluginStats(now::get);

  {
    stats.failingAfter(10_000, 10_000);
  }

  @Test
  void aHandlerIsFailingOnceNoAttemptSucceededForTheWindowAndSeveralFailed() {
    stats.attemptEnded(AttemptOutcome.FAILED, "timeout: no answer");
    stats.attemptEnded(AttemptOutcome.FAILED, "timeout: no answer");
    now.addAndGet(11_000);
    assertThat(stats.failing()).as("two failures are not enough").isNull();
    stats.attemptEnded(AttemptOutcome.FAILED, "http_status: HTTP 503");
    assertThat(stats.failing())
        .contains("failed its last 3 attempts")
        .contains("none succeeded for 11 s")
        .contains("(last: http_status: HTTP 503)");
    stats.attemptEnded(AttemptOutcome.ERROR, null); // an error is an answer: the plug-in works
    assertThat(stats.failing()).isNull();
  }

  @Test
  void failuresWithinTheWindowOfASuccessAreNotFailingYet() {
    stats.attemptEnded(AttemptOutcome.OK, null);
    for (int i = 0; i < 5; i++) {
      stats.attemptEnded(AttemptOutcome.FAILED, "crash");
    }
    now.addAndGet(9_000);
    assertThat(stats.failing()).isNull();
    now.addAndGet(2_000);
    assertThat(stats.failing()).isNotNull();
  }

  @Test
  void aSourceIsFailingOnceNoTickWasAnsweredForTheWindowAndSeveralFailed() {
    for (int i = 0; i < 3; i++) {
      stats.sourceEnded(false, "timeout");
    }
    assertThat(stats.sourceFailing()).isNull();
    now.addAndGet(10_000);
    assertThat(stats.sourceFailing()).contains("failed its last 3 ticks");
    stats.sourceEnded(true, null);
    assertThat(stats.sourceFailing()).isNull();
  }
}
