package dev.baton.generator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Resp;
import org.junit.jupiter.api.Test;

/** publish.lua's reply decoded without Redis. */
class PublishRepliesTest {
  @Test
  void publishedFencedAndBacklogFullAreTold() {
    Publisher.Outcome ok = PublishScript.reply(Resp.array(1L, 130L, "1700000000000", 64L, "17-3"));
    assertThat(ok.status()).isEqualTo(Publisher.Status.PUBLISHED);
    assertThat(ok.backlog()).isEqualTo(130);
    assertThat(ok.ts()).isEqualTo(1_700_000_000_000L);
    assertThat(ok.count()).isEqualTo(64);
    assertThat(ok.lastId()).isEqualTo("17-3");
    assertThat(PublishScript.reply(Resp.array(-1L)).status()).isEqualTo(Publisher.Status.FENCED);
    Publisher.Outcome full = PublishScript.reply(Resp.array(-2L, 100000L));
    assertThat(full.status()).isEqualTo(Publisher.Status.BACKLOG_FULL);
    assertThat(full.backlog()).isEqualTo(100000);
  }
}
