package dev.baton.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RateWindowTest {

  @Test
  void isZeroUntilTwoSamplesAtDifferentTimes() {
    RateWindow w = new RateWindow(5_000);
    assertThat(w.perSecond()).isZero();
    w.add(1_000, 10);
    assertThat(w.perSecond()).isZero();
    w.add(1_000, 12); // same instant: replaces the sample
    assertThat(w.perSecond()).isZero();
    w.add(1_500, 13);
    assertThat(w.perSecond()).isCloseTo(2.0, within(1e-9));
  }

  @Test
  void averagesOverTheWindowAndForgetsOlderSamples() {
    RateWindow w = new RateWindow(2_000);
    w.add(0, 0);
    w.add(1_000, 100); // a burst of 100/s
    w.add(2_000, 101);
    assertThat(w.perSecond()).as("0..2000: 101 in 2 s").isCloseTo(50.5, within(1e-9));
    w.add(3_000, 102);
    w.add(4_000, 103);
    assertThat(w.perSecond())
        .as("the burst left the window: 2000..4000")
        .isCloseTo(1.0, within(1e-9));
  }

  @Test
  void spansTheLastGapWhenSamplesAreSparserThanTheWindow() {
    RateWindow w = new RateWindow(1_000);
    w.add(0, 0);
    w.add(10_000, 50);
    w.add(20_000, 150);
    assertThat(w.perSecond()).isCloseTo(10.0, within(1e-9));
  }

  @Test
  void aCounterThatGoesDownOrAClockThatGoesBackStartsAfresh() {
    RateWindow w = new RateWindow(5_000);
    w.add(0, 500);
    w.add(1_000, 600);
    w.add(2_000, 3); // restarted
    assertThat(w.perSecond()).isZero();
    w.add(3_000, 5);
    assertThat(w.perSecond()).isCloseTo(2.0, within(1e-9));
    w.add(2_500, 7); // clock went back
    assertThat(w.perSecond()).isZero();
  }

  @Test
  void refusesAnEmptyWindow() {
    assertThatThrownBy(() -> new RateWindow(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
