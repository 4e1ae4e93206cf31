package dev.baton.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.Resp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** heartbeat.lua's call encoded and decoded without Redis. */
class HeartbeatScriptTest {
  @Test
  void theArgumentsFollowHeartbeatLua() {
    Keys keys = new Keys("p");
    assertThat(HeartbeatScript.keys(keys))
        .containsExactly(keys.heartbeats(), keys.nodes(), keys.presence(), keys.leader());
    // ARGV node id, node info JSON, timeout ms, presence '0' off / '1' on / '2' watcher
    assertThat(
            HeartbeatScript.args(
                "n1",
                new JsonObject().put("role", "handler"),
                5000,
                HeartbeatScript.Presence.WATCHER))
        .containsExactly("n1", "{\"role\":\"handler\"}", "5000", "2");
    assertThat(HeartbeatScript.args("n1", new JsonObject(), 5000, HeartbeatScript.Presence.OFF))
        .last()
        .isEqualTo("0");
  }

  @Test
  void theReplyNamesTheServerTimeTheWatcherAndTheSubscribers() {
    HeartbeatScript.Reply r = HeartbeatScript.reply(Resp.array(1_700_000_000_123L, "n2", 2L, "n3"));
    assertThat(r.serverMs()).isEqualTo(1_700_000_000_123L);
    assertThat(r.watcher()).isEqualTo("n2");
    assertThat(r.secondWatcher()).isEqualTo("n3");
    assertThat(r.watches("n2")).isTrue();
    assertThat(r.watches("n3")).isTrue();
    assertThat(r.watches("n1")).isFalse();
    assertThat(r.ownSubscribers()).isEqualTo(2);
    HeartbeatScript.Reply off = HeartbeatScript.reply(Resp.array(5L, "", 0L));
    assertThat(off.watcher()).isEmpty();
    assertThat(off.secondWatcher()).isEmpty();
    assertThat(off.ownSubscribers()).isZero();
  }
}
