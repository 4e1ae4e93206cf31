package dev.baton.election;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Resp;
import java.util.List;
import org.junit.jupiter.api.Test;

/** acquire.lua's reply decoded without Redis, and the presence modes as the script reads them. */
class LeaseRepliesTest {
  @Test
  void eachPresenceModeHasAFixedWireValue() {
    // acquire.lua compares ARGV[4] with '0', '1' and '2': these values are the protocol
    assertThat(Lease.Mode.LEASE.wire()).isEqualTo(0);
    assertThat(Lease.Mode.TAKEOVER.wire()).isEqualTo(1);
    assertThat(Lease.Mode.WATCH.wire()).isEqualTo(2);
    assertThat(Lease.Mode.values()).hasSize(3);
  }

  @Test
  void aGrantCarriesItsEpochExactlyAndWhomItWasTakenFrom() {
    // epochs travel as decimal strings: 2^53 + 1 survives
    Lease.Attempt a =
        AcquireScript.reply(Resp.array(1L, "9007199254740993", 1000L, "n1", "old", List.of()));
    assertThat(a.granted()).isTrue();
    assertThat(a.epoch()).isEqualTo(9_007_199_254_740_993L);
    assertThat(a.pttlMs()).isEqualTo(1000);
    assertThat(a.holder()).isEqualTo("n1");
    assertThat(a.takenFrom()).isEqualTo("old");
    assertThat(a.absent()).isEmpty();
  }

  @Test
  void aRefusalCarriesTheHolderItsTtlAndTheAbsentConsumers() {
    Lease.Attempt a =
        AcquireScript.reply(Resp.array(0L, "12", 350L, "n2", "", List.of("h3", "h4")));
    assertThat(a.granted()).isFalse();
    assertThat(a.epoch()).isEqualTo(12);
    assertThat(a.pttlMs()).isEqualTo(350);
    assertThat(a.holder()).isEqualTo("n2");
    assertThat(a.takenFrom()).isEmpty();
    assertThat(a.absent()).containsExactly("h3", "h4");
  }
}
