package dev.baton.handler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.NodeConfig;
import dev.baton.redis.Keys;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import dev.baton.support.Resp;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reclaimer's script calls, encoded and decoded without Redis, against the scripts' contracts.
 */
class ReclaimerTest {
  private final NodeConfig config =
      TestNode.config(
          new JsonObject()
              .put("nodeId", "h1")
              .put(
                  "handler",
                  new JsonObject()
                      .put("reclaimIdleMs", 4000)
                      .put("batchSize", 77)
                      .put("maxDeliveries", 5))
              .put("heartbeat", new JsonObject().put("intervalMs", 200).put("timeoutMs", 3000)));

  private Reclaimer reclaimer(boolean audit) {
    return new Reclaimer(
        null,
        null,
        new NodeContext(new NodeState("h1"), new Keys("p"), audit),
        config.handler(),
        config.heartbeat(),
        (entries, reclaimed) -> null,
        () -> {});
  }

  @Test
  void reclaimArgumentsFollowReclaimLua() {
    // ARGV group, this consumer, min idle ms, cursor, count, max deliveries, audit
    assertThat(reclaimer(true).reclaimArgs("12-3"))
        .containsExactly(Keys.HANDLERS_GROUP, "h1", "4000", "12-3", "77", "5", "1");
    assertThat(reclaimer(false).reclaimArgs("0-0")).last().isEqualTo("0");
  }

  @Test
  void claimArgumentsFollowClaimLua() {
    // ARGV group, this consumer, the absent consumer, count, max deliveries, audit
    assertThat(reclaimer(false).claimArgs("gone"))
        .containsExactly(Keys.HANDLERS_GROUP, "h1", "gone", "77", "5", "0");
  }

  @Test
  void reapArgumentsFollowReapLua() {
    assertThat(reclaimer(false).reapArgs()).containsExactly(Keys.HANDLERS_GROUP, "3000");
  }

  @Test
  void aReclaimReplyDecodesIntoCursorEntriesAndDeadLetters() {
    ReclaimScript.Reclaimed r =
        ReclaimScript.reply(
            Resp.array(
                "17-0",
                Arrays.asList(
                    Arrays.asList("5-0", List.of("text", "a")),
                    Arrays.asList("6-0", List.of("text", "b"))),
                3L,
                List.of(2L, 4L)));
    assertThat(r.cursor()).isEqualTo("17-0");
    assertThat(r.entries()).hasSize(2);
    assertThat(r.entries().get(1).entry().get(0).toString()).isEqualTo("6-0");
    assertThat(r.entries().get(1).deliveries()).isEqualTo(4);
    assertThat(r.deadLettered()).isEqualTo(3);
    assertThat(ReclaimScript.reply(Resp.array("0-0", List.of(), 0L)).entries()).isEmpty();
  }

  @Test
  void aClaimReplyDecodesIntoPresenceEntriesAndDeadLetters() {
    ClaimScript.Claimed c =
        ClaimScript.reply(
            Resp.array("gone", List.of(Arrays.asList("5-0", List.of("n", "2"))), 0L, List.of(3L)));
    assertThat(c.presence()).isEqualTo("gone");
    assertThat(c.entries()).hasSize(1);
    assertThat(c.entries().get(0).deliveries()).isEqualTo(3);
    assertThat(c.deadLettered()).isZero();
    assertThat(ClaimScript.reply(Resp.array("present", List.of(), 0L)).entries()).isEmpty();
  }

  @Test
  void rescueArgumentsFollowRescueLuaAndItsReplyDecodes() {
    // ARGV group, this consumer, scan cursor, entries per call
    assertThat(reclaimer(false).rescueArgs("0-0"))
        .containsExactly(Keys.HANDLERS_GROUP, "h1", "0-0", "77");
    RescueScript.Rescued r =
        RescueScript.reply(Resp.array("8-0", List.of(Arrays.asList("7-0", List.of("n", "3"))), 3L));
    assertThat(r.cursor()).isEqualTo("8-0");
    assertThat(r.entries()).hasSize(1);
    assertThat(r.messages()).isEqualTo(3);
  }

  @Test
  void aReapReplyIsTheNamesRemoved() {
    assertThat(ReapScript.reply(Resp.array("a", "b"))).containsExactly("a", "b");
    assertThat(ReapScript.reply(Resp.array())).isEmpty();
  }
}
