package dev.baton.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HttpBudgetTest {
  @Test
  void admitsRequestsUpToTheCapAndAgainOnceOneIsDone() {
    HttpBudget budget = new HttpBudget(2, 100);
    assertThat(budget.admitRequest()).isTrue();
    assertThat(budget.admitRequest()).isTrue();
    assertThat(budget.admitRequest()).isFalse();
    assertThat(budget.shed()).isEqualTo(1);
    budget.requestDone();
    assertThat(budget.admitRequest()).isTrue();
    assertThat(budget.requestsInProgress()).isEqualTo(2);
  }

  @Test
  void readsShareOneBudgetOfEntries() {
    HttpBudget budget = new HttpBudget(10, 20_000);
    assertThat(budget.admitRead(10_000)).isTrue();
    assertThat(budget.admitRead(10_000)).isTrue();
    assertThat(budget.admitRead(1)).as("the budget is spent").isFalse();
    budget.readDone(10_000);
    assertThat(budget.admitRead(5_000)).isTrue();
    assertThat(budget.admitRead(5_001)).as("15 000 + 5 001 is over").isFalse();
    assertThat(budget.admitRead(5_000)).isTrue();
    assertThat(budget.entriesBeingRead()).isEqualTo(20_000);
    assertThat(budget.shed()).isEqualTo(2);
  }

  @Test
  void aReadLargerThanTheBudgetRunsAloneButNeverBesideAnother() {
    HttpBudget budget = new HttpBudget(10, 100);
    assertThat(budget.admitRead(1_000)).as("nothing else is read").isTrue();
    assertThat(budget.admitRead(1)).isFalse();
    budget.readDone(1_000);
    assertThat(budget.admitRead(1)).isTrue();
    assertThat(budget.admitRead(1_000)).as("something else is read").isFalse();
  }

  @Test
  void refusesToReleaseWhatItNeverAdmitted() {
    HttpBudget budget = new HttpBudget(1, 1);
    assertThatThrownBy(budget::requestDone).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> budget.readDone(1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new HttpBudget(0, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
