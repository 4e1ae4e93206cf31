package dev.baton.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HttpBudgetTest {
  private final AtomicLong nowNs = new AtomicLong(1_000_000_000L);

  private void advanceMs(long ms) {
    nowNs.addAndGet(ms * 1_000_000);
  }

  @Test
  void admitsRequestsUpToTheCapAndAgainOnceOneIsDone() {
    HttpBudget budget = new HttpBudget(2, 100, nowNs::get);
    assertThat(budget.admitRequest()).isTrue();
    assertThat(budget.admitRequest()).isTrue();
    assertThat(budget.admitRequest()).isFalse();
    assertThat(budget.shed()).isEqualTo(1);
    budget.requestDone();
    assertThat(budget.admitRequest()).isTrue();
    assertThat(budget.requestsInProgress()).isEqualTo(2);
  }

  @Test
  void readsSpendABudgetThatRefillsAtItsSizePerSecond() {
    HttpBudget budget = new HttpBudget(10, 20_000, nowNs::get);
    assertThat(budget.admitRead(10_000)).isTrue();
    assertThat(budget.admitRead(10_000)).as("a burst of the whole budget").isTrue();
    assertThat(budget.admitRead(1)).as("spent").isFalse();
    advanceMs(250);
    assertThat(budget.readable()).isEqualTo(5_000);
    assertThat(budget.admitRead(10_000)).as("admitted while not in debt, into debt").isTrue();
    assertThat(budget.admitRead(1)).as("in debt").isFalse();
    advanceMs(249);
    assertThat(budget.admitRead(1)).as("still in debt").isFalse();
    advanceMs(2);
    assertThat(budget.admitRead(1)).as("paid back").isTrue();
    advanceMs(10_000);
    assertThat(budget.readable()).as("never more than the budget").isEqualTo(20_000);
    assertThat(budget.shed()).isEqualTo(3);
  }

  @Test
  void whatAReadDidNotUseIsGivenBack() {
    HttpBudget budget = new HttpBudget(10, 10_000, nowNs::get);
    assertThat(budget.admitRead(10_000)).isTrue();
    budget.refund(9_750); // it found 250
    assertThat(budget.readable()).isEqualTo(9_750);
    budget.refund(1_000_000);
    assertThat(budget.readable()).as("never more than the budget").isEqualTo(10_000);
  }

  @Test
  void aFloodGetsNoMoreThanTheBudgetPerSecond() {
    HttpBudget budget = new HttpBudget(1_000, 20_000, nowNs::get);
    long admitted = 0;
    for (int ms = 0; ms < 10_000; ms++) {
      for (int client = 0; client < 10; client++) {
        if (budget.admitRead(10_000)) {
          admitted += 10_000;
        }
      }
      advanceMs(1);
    }
    // 10 s at 20 000 a second, plus the initial burst and one read into debt
    assertThat(admitted).isBetween(200_000L, 230_000L);
  }

  @Test
  void aReadLargerThanTheBudgetRunsAndIsPaidBackBeforeAnythingElse() {
    HttpBudget budget = new HttpBudget(10, 100, nowNs::get);
    assertThat(budget.admitRead(1_000)).isTrue();
    assertThat(budget.admitRead(1)).isFalse();
    advanceMs(5_000);
    assertThat(budget.readable()).as("still paying it back").isZero();
    assertThat(budget.admitRead(1)).isFalse();
    advanceMs(5_000);
    assertThat(budget.readable()).as("paid back").isEqualTo(100);
    assertThat(budget.admitRead(1)).isTrue();
  }

  @Test
  void refusesToReleaseWhatItNeverAdmitted() {
    HttpBudget budget = new HttpBudget(1, 1, nowNs::get);
    assertThatThrownBy(budget::requestDone).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> budget.admitRead(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HttpBudget(0, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
