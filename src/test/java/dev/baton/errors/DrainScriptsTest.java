package dev.baton.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.Resp;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The drain scripts' calls encoded and decoded without Redis. */
class DrainScriptsTest {
  private final DrainScripts scripts =
      new DrainScripts(null, new Keys("p"), "drain-1", 5000, 1000, true);

  @Test
  void theClaimArgumentsFollowDrainClaimLua() {
    // ARGV group, run id, run lease ms, snapshot id, batch size
    assertThat(scripts.claimArgs("17-0"))
        .containsExactly(Keys.DRAIN_GROUP, "drain-1", "5000", "17-0", "1000");
  }

  @Test
  void theAckArgumentsPairEachRecordWithItsMessageId() {
    ErrorEntry json = ErrorEntry.of(Resp.array("5-0", List.of("record", "{\"id\":\"3-1\"}")));
    ErrorEntry raw = ErrorEntry.of(Resp.array("6-0", List.of("weird", "entry")));
    // ARGV group, run id, run lease ms, audit, then pairs (error record id, message id)
    assertThat(scripts.ackArgs(List.of(json, raw)))
        .containsExactly(Keys.DRAIN_GROUP, "drain-1", "5000", "1", "5-0", "3-1", "6-0", "");
  }

  @Test
  void aClaimReplyDecodesIntoRecordsStateAndWait() {
    DrainScripts.Claim more =
        DrainClaimScript.reply(
            Resp.array(List.of(List.of("5-0", List.of("record", "{}"))), "more"));
    assertThat(more.records()).extracting(ErrorEntry::errorId).containsExactly("5-0");
    assertThat(more.state()).isEqualTo("more");
    DrainScripts.Claim waiting = DrainClaimScript.reply(Resp.array(List.of(), "waiting", 1200L));
    assertThat(waiting.records()).isEmpty();
    assertThat(waiting.state()).isEqualTo("waiting");
    assertThat(waiting.waitMs()).isEqualTo(1200);
    assertThat(DrainClaimScript.reply(Resp.array(List.of(), "done")).waitMs()).isZero();
  }
}
