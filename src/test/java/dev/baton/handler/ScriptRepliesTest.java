package dev.baton.handler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Resp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The commit reply and stream entries decoded without Redis. */
class ScriptRepliesTest {
  @Test
  void theCommitReplyCountsPlainEntriesAndFlagsTheOthersInOrder() {
    // commit.lua: '<plain entries committed now>:<one flag per other entry>'
    List<Committer.Judged> entries = new ArrayList<>();
    List<Committer.Judged> others = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      entries.add(new Committer.Judged("1-" + i, 0, 0).ok());
      Committer.Judged other = new Committer.Judged("2-" + i, 0, 0).error("{}");
      entries.add(other);
      others.add(other);
    }
    Committer.Result r = CommitScript.reply("3:0101", entries);
    assertThat(r.plainTotal()).isEqualTo(4);
    assertThat(r.plainCommitted()).isEqualTo(3);
    assertThat(r.allPlainCommitted()).isFalse();
    assertThat(r.others())
        .extracting(Committer.EntryResult::committed)
        .containsExactly(false, true, false, true);
    assertThat(r.others()).extracting(Committer.EntryResult::entry).isEqualTo(others);
    Committer.Result none = CommitScript.reply("0:", List.of());
    assertThat(none.allPlainCommitted()).isTrue();
    assertThat(none.others()).isEmpty();
  }

  @Test
  void aSingleMessageEntryParsesWithItsFields() {
    StreamEntry p =
        StreamEntry.parse(
            Resp.array(
                "5-1",
                List.of(
                    "gen",
                    "g1",
                    "epoch",
                    "7",
                    "seq",
                    "42",
                    "ts",
                    "1700000000000",
                    "text",
                    "amber anchor")));
    assertThat(p.valid()).isTrue();
    assertThat(p.packed()).isFalse();
    assertThat(p.count()).isEqualTo(1);
    assertThat(p.entryId()).isEqualTo("5-1");
    assertThat(p.ts()).isEqualTo(1_700_000_000_000L);
  }

  @Test
  void aPackParsesIntoItsMessagesAndABrokenOneIsInvalid() {
    StreamEntry p =
        StreamEntry.parse(
            Resp.array(
                "9-0",
                List.of(
                    "gen",
                    "g1",
                    "epoch",
                    "7",
                    "seq",
                    "10",
                    "ts",
                    "1",
                    "n",
                    "3",
                    "texts",
                    "a\nb b\nc")));
    assertThat(p.valid()).isTrue();
    assertThat(p.packed()).isTrue();
    assertThat(p.count()).isEqualTo(3);
    StreamEntry bad =
        StreamEntry.parse(Resp.array("9-1", Arrays.asList("gen", "g1", "n", "3", "texts", "a\nb")));
    assertThat(bad.valid() && bad.problem(2) == null)
        .as("a pack whose texts do not match n")
        .isFalse();
  }
}
