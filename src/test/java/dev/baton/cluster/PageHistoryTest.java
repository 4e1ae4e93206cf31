package dev.baton.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;

class PageHistoryTest {
  @Test
  void keepsTheLastMinuteWithRatesFromTheTotals() {
    PageHistory h = new PageHistory();
    // 90 s of beats, one a second: 2 published and 2 processed a second, backlog 5
    for (int s = 0; s <= 90; s++) {
      h.add(1_000_000 + s * 1000L, 2L * s, 2L * s, 5);
    }
    JsonArray points = h.toJson();
    assertThat(points.getJsonArray(0).getLong(0)).isEqualTo(1_000_000 + 30_000);
    assertThat(points.getJsonArray(points.size() - 1).getLong(0)).isEqualTo(1_000_000 + 90_000);
    assertThat(points).hasSize(61);
    assertThat(h.latest().publishedPerSec()).isEqualTo(2.0);
    assertThat(h.latest().processedPerSec()).isEqualTo(2.0);
    assertThat(h.latest().backlog()).isEqualTo(5);
  }

  @Test
  void aLateReplyIsDroppedAndAClockThatWentBackStartsAfresh() {
    PageHistory h = new PageHistory();
    h.add(50_000, 0, 0, 0);
    h.add(51_000, 10, 10, 0);
    // the page's poll answered after the probe's later read: older than the newest, dropped
    assertThat(h.add(50_900, 9, 9, 0)).isNull();
    assertThat(h.toJson()).hasSize(2);
    assertThat(h.latest().processedPerSec()).isEqualTo(10.0);
    // another Redis with a clock a minute behind: the old points mean nothing next to it
    assertThat(h.add(-10_000, 3, 3, 1)).isNotNull();
    assertThat(h.toJson()).hasSize(1);
    assertThat(h.latest().processedPerSec()).isZero();
  }

  @Test
  void totalsThatWentDownRestartTheRatesInsteadOfGoingNegative() {
    PageHistory h = new PageHistory();
    h.add(1_000, 100, 100, 0);
    h.add(2_000, 110, 110, 0);
    h.add(3_000, 0, 0, 0); // Redis came back empty
    assertThat(h.latest().processedPerSec()).isZero();
    h.add(4_000, 4, 4, 0);
    assertThat(h.latest().processedPerSec()).isEqualTo(4.0);
    assertThat(h.toJson()).hasSize(4);
  }
}
