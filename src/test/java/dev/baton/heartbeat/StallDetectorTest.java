package dev.baton.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Stall reasons from successive health.lua snapshots, on the Redis clock of the snapshots. */
class StallDetectorTest {
  private final StallDetector detector = new StallDetector(3_000, 10_000, 6_000, "{b}:leader");

  private static StallDetector.Snapshot at(
      long ms, int generators, int handlers, long entries, String oldest, boolean skipped) {
    return new StallDetector.Snapshot(
        ms, "string", "ghost", -1, generators, handlers, "stream", entries, oldest, skipped, 0);
  }

  @Test
  void noGeneratorIsAStallOnlyOnceItLastedTheThreshold() {
    assertThat(detector.observe(at(1_000, 0, 2, 0, "", false))).isEmpty();
    assertThat(detector.observe(at(3_999, 0, 2, 0, "", false))).isEmpty();
    assertThat(detector.observe(at(4_000, 0, 2, 0, "", false)))
        .containsOnlyKeys(StallDetector.NO_GENERATOR)
        .extractingByKey(StallDetector.NO_GENERATOR)
        .asString()
        .contains("'ghost'", "no expiry", "3.0 s");
    assertThat(detector.observe(at(4_100, 1, 2, 0, "", false))).isEmpty();
    assertThat(detector.observe(at(4_200, 0, 2, 0, "", false))).isEmpty(); // counts afresh
  }

  @Test
  void aBacklogIsNotDrainingWhenItsOldestEntryStaysWhileHandlersLive() {
    assertThat(detector.observe(at(0, 1, 1, 5, "1-0", false))).isEmpty();
    assertThat(detector.observe(at(9_000, 1, 1, 9, "2-0", false))).isEmpty(); // it moved
    assertThat(detector.observe(at(18_999, 1, 1, 90, "2-0", false))).isEmpty();
    assertThat(detector.observe(at(19_000, 1, 1, 90, "2-0", false)))
        .containsOnlyKeys(StallDetector.NOT_DRAINING);
    // no handler: a backlog that waits for one is not a stall of the handlers
    assertThat(detector.observe(at(30_000, 1, 0, 90, "2-0", false))).isEmpty();
  }

  @Test
  void skippedEntriesThatStayAreAStallAndAnOutageStartsEveryDurationAfresh() {
    assertThat(detector.observe(at(0, 1, 0, 5, "1-0", true))).isEmpty();
    assertThat(detector.observe(at(6_000, 1, 0, 5, "1-0", true)))
        .containsOnlyKeys(StallDetector.SKIPPED)
        .extractingByKey(StallDetector.SKIPPED)
        .asString()
        .contains("1-0", "no handler is live");
    detector.reset();
    assertThat(detector.observe(at(7_000, 1, 0, 5, "1-0", true))).isEmpty();
  }
}
