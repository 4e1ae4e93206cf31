package dev.baton.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.audit.Ledger.Commit;
import dev.baton.audit.Ledger.Published;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The verdicts of verify, one by one, on ledgers built in memory (no Redis). */
class LedgerCheckTest {
  private static final Completeness.Judgement COMPLETE =
      new Completeness.Judgement(List.of(), List.of(), 50);

  private static Published pub(String msg, long epoch) {
    return new Published(msg, epoch, "g" + epoch, Long.parseLong(msg.split("[-/]")[0]), null);
  }

  private static Ledger ledger(
      long cutoff,
      List<Published> published,
      Map<String, List<Commit>> commits,
      Map<String, Set<String>> errorRecords,
      Set<String> inStream) {
    return new Ledger(cutoff, true, COMPLETE, published, commits, errorRecords, inStream);
  }

  @Test
  void aPublishOfAnOlderEpochAfterANewerOneIsAnOverlap() {
    LedgerCheck.Epochs e =
        LedgerCheck.epochs(List.of(pub("100-0", 1), pub("101-0", 2), pub("102-0", 1)));
    assertThat(e.overlap()).containsExactly("102-0 (epoch 1 after epoch 2)");
    assertThat(e.epochs()).hasSize(2);
    assertThat(e.epochs().get(0)).isEqualTo(new VerifyReport.Epoch(1, "g1", 100, 102, 2));
    assertThat(e.replayed()).isZero();
  }

  @Test
  void anUncommittedMessageIsPendingWhileItsEntryIsInTheStreamElseLost() {
    LedgerCheck.Lost l =
        LedgerCheck.lost(
            List.of(pub("100-0/0", 1), pub("100-0/1", 1), pub("101-0", 1), pub("102-0", 1)),
            Map.of("100-0/0", List.of(new Commit("ok", 103))),
            Set.of("100-0"));
    assertThat(l.pending()).isEqualTo(1);
    assertThat(l.lost()).containsExactly("101-0", "102-0");
  }

  @Test
  void commitsCountDuplicatesUnexpectedAndForeignDeadLetters() {
    Map<String, List<Commit>> commits = new HashMap<>();
    commits.put("100-0", List.of(new Commit("ok", 101), new Commit("error", 102)));
    commits.put("900-0", List.of(new Commit("ok", 101)));
    commits.put("901-0", List.of(new Commit("dead", 101)));
    commits.put("999-0", List.of(new Commit("ok", 5_000))); // after the cutoff, never published
    LedgerCheck.Commits c =
        LedgerCheck.commits(1_000, commits, Set.of("100-0"), Set.of("100-0", "999-1"));
    assertThat(c.committed()).isEqualTo(3);
    assertThat(c.duplicated()).containsExactly("100-0 (2 commits)");
    assertThat(c.unexpected()).containsExactly("900-0");
    assertThat(c.deadLettered()).isEqualTo(1);
    assertThat(c.foreignDeadLettered()).isEqualTo(1);
    assertThat(c.judgedErrors()).containsExactly("100-0");
  }

  @Test
  void aMessageReplayedMoreOftenThanDeadLetteredIsDuplicated() {
    Map<String, List<String>> replays =
        LedgerCheck.replaysOf(
            List.of(
                new Published("200-0", 1, "g", 200, "100-0"),
                new Published("300-0", 1, "g", 300, "100-0")));
    assertThat(replays).containsEntry("100-0", List.of("200-0", "300-0"));
    List<String> duplicated =
        LedgerCheck.replayedTooOften(
            replays,
            Set.of("200-0", "300-0"),
            Map.of(
                "100-0", List.of(new Commit("dead", 150)),
                "200-0", List.of(new Commit("ok", 250))));
    assertThat(duplicated).containsExactly("100-0 (replayed 2 times, dead-lettered 1 times)");
  }

  @Test
  void aReplayJudgedAnErrorOwnsTheRecordThatNamesTheOriginal() {
    Map<String, Set<String>> owners =
        LedgerCheck.recordsOf(
            Map.of("100-0", Set.of("400-0")),
            Map.of("100-0", List.of("200-0", "300-0")),
            Set.of("300-0"));
    assertThat(owners).containsOnlyKeys("300-0");
  }

  @Test
  void errorRecordsMustBeOnePerMessageJudgedAnError() {
    VerifyReport.ErrorRecords e =
        LedgerCheck.errorRecords(
            1_000,
            Map.of(
                "100-0", Set.of("500-0", "501-0"),
                "101-0", Set.of("502-0"),
                "102-0", Set.of("2000-0")), // after the cutoff and not judged: the next run's
            Set.of("100-0", "103-0"));
    assertThat(e.judged()).isEqualTo(2);
    assertThat(e.records()).isEqualTo(2);
    assertThat(e.missing()).containsExactly("103-0");
    assertThat(e.extra()).containsExactly("101-0");
    assertThat(e.duplicated()).containsExactly("100-0 (2 records)");
    assertThat(e.ok()).isFalse();
  }

  @Test
  void aCleanLedgerPassesAndAnEmptyOneHasNothingToVerify() {
    List<Published> published = new ArrayList<>(List.of(pub("100-0", 1), pub("101-0", 1)));
    Map<String, List<Commit>> commits =
        Map.of("100-0", List.of(new Commit("ok", 102)), "101-0", List.of(new Commit("ok", 103)));
    VerifyReport ok = LedgerCheck.check(ledger(1_000, published, commits, Map.of(), Set.of()));
    assertThat(ok.passed()).isTrue();
    assertThat(ok.text()).endsWith("OK: nothing lost, duplicated, unexpected or split\n");
    VerifyReport none = LedgerCheck.check(Ledger.none(1_000, COMPLETE));
    assertThat(none.nothingToVerify()).isTrue();
    assertThat(none.passed()).isFalse();
    assertThat(none.toJson().getBoolean("ledger")).isFalse();
  }

  @Test
  void anIncompleteLedgerNeverPasses() {
    Ledger l =
        new Ledger(
            1_000,
            true,
            new Completeness.Judgement(List.of("keys were evicted"), List.of(), 50),
            List.of(pub("100-0", 1)),
            Map.of("100-0", List.of(new Commit("ok", 102))),
            Map.of(),
            Set.of());
    VerifyReport r = LedgerCheck.check(l);
    assertThat(r.passed()).isFalse();
    assertThat(r.text()).endsWith("FAILED: the ledger cannot show what happened\n");
  }
}
