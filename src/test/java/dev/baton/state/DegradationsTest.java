package dev.baton.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Conditions stay raised until cleared; events for their hold time; new reasons are announced. */
class DegradationsTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final Degradations d = new Degradations(now::get);

  @Test
  void aConditionStaysRaisedUntilCleared() {
    d.raise(Degradations.PRESENCE_REFUSED, "presence refused: failover falls back to the lease");
    now.addAndGet(3_600_000);
    assertThat(d.active())
        .containsExactly(
            Map.entry(
                Degradations.PRESENCE_REFUSED,
                "presence refused: failover falls back to the lease"));
    d.clear(Degradations.PRESENCE_REFUSED);
    assertThat(d.active()).isEmpty();
    assertThat(d.raised(Degradations.PRESENCE_REFUSED)).isFalse();
  }

  @Test
  void anEventStaysRaisedForItsHoldTimeThenEndsByItself() {
    d.raise(Degradations.REDIS_DATA_LOST, "the stream vanished", 60_000);
    now.addAndGet(59_999);
    assertThat(d.raised(Degradations.REDIS_DATA_LOST)).isTrue();
    d.clear(Degradations.REDIS_DATA_LOST); // cleared early: the hold still runs
    assertThat(d.raised(Degradations.REDIS_DATA_LOST)).isTrue();
    now.addAndGet(1);
    assertThat(d.active()).isEmpty();
  }

  @Test
  void aSecondEventExtendsTheHoldAndAnEventNeverEndsACondition() {
    d.raise(Degradations.REDIS_DATA_LOST, "first", 10_000);
    now.addAndGet(8_000);
    d.raise(Degradations.REDIS_DATA_LOST, "second", 10_000);
    now.addAndGet(8_000);
    assertThat(d.active()).containsEntry(Degradations.REDIS_DATA_LOST, "second");
    now.addAndGet(2_000);
    assertThat(d.active()).isEmpty();

    d.raise(Degradations.REDIS_EVICTING, "the policy evicts");
    d.raise(Degradations.REDIS_EVICTING, "12 keys evicted", 1_000);
    now.addAndGet(5_000);
    assertThat(d.active()).containsEntry(Degradations.REDIS_EVICTING, "12 keys evicted");
    d.clear(Degradations.REDIS_EVICTING);
    assertThat(d.active()).isEmpty();
  }

  @Test
  void everyKnownReasonIsListedFromTheStartAndNewOnesAreAnnounced() {
    assertThat(d.reasons()).containsAll(Degradations.REASONS);
    List<String> announced = new ArrayList<>();
    d.onNewReason(announced::add);
    d.raise(Degradations.REDIS_EVICTING, "x");
    d.raise("a_new_reason", "something new is missing");
    d.raise("a_new_reason", "still");
    assertThat(announced).containsExactly("a_new_reason");
    assertThat(d.reasons()).contains("a_new_reason");
  }
}
