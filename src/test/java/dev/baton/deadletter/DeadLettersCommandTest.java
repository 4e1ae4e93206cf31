package dev.baton.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.RedisExtension;
import dev.baton.tool.ExitCodes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(60)
class DeadLettersCommandTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @TempDir Path tmp;

  private Path conf(String url) throws Exception {
    Path f = tmp.resolve("node.json");
    Files.writeString(
        f,
        new JsonObject()
            .put("redis", new JsonObject().put("url", url).put("keyPrefix", prefix))
            .encode());
    return f;
  }

  private int run(String... args) throws Exception {
    return run(out, err, args);
  }

  private int run(ByteArrayOutputStream o, ByteArrayOutputStream e, String... args)
      throws Exception {
    List<String> all = new ArrayList<>(List.of("-conf", conf(REDIS.url()).toString()));
    all.addAll(List.of(args));
    PrintStream errors = new PrintStream(e, true, StandardCharsets.UTF_8);
    return new CommandLine(
            new DeadLettersCommand(new PrintStream(o, true, StandardCharsets.UTF_8), errors))
        .setErr(new PrintWriter(errors, true)) // picocli's own usage errors
        .execute(all.toArray(String[]::new));
  }

  private List<String> outLines() {
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }

  private String errText() {
    return err.toString(StandardCharsets.UTF_8);
  }

  /** A message's dead letter as lib/dead-letter.lua writes it; its dead-letter id. */
  private String deadLetter(String messageId, int attempts, String text, String... more) {
    List<Object> args =
        new ArrayList<>(
            List.of(
                "XADD",
                keys.deadLetter(),
                "*",
                "messageId",
                messageId,
                "reason",
                "attempt " + attempts + " failed (fail: always fails)",
                "attempts",
                attempts,
                "handler",
                "h1",
                "field:gen",
                "node-a",
                "field:epoch",
                "7",
                "field:seq",
                "42",
                "field:ts",
                "1700000000000",
                "field:text",
                text));
    args.addAll(List.of(more));
    return REDIS.client().str(args.toArray());
  }

  /** The dead letter of an entry that never was a message (no field:text). */
  private String foreignDeadLetter(String entryId) {
    return REDIS
        .client()
        .str(
            "XADD",
            keys.deadLetter(),
            "*",
            "messageId",
            entryId,
            "reason",
            "missing field 'gen'",
            "attempts",
            "1",
            "handler",
            "h1",
            "field:colour",
            "blue");
  }

  private List<Replies.Entry> messages() {
    return REDIS.client().range(keys.messages());
  }

  private List<String> deadLetterMessageIds() {
    return REDIS.client().range(keys.deadLetter()).stream()
        .map(e -> e.fields().get("messageId"))
        .toList();
  }

  @Test
  void listsEveryDeadLetterOldestFirstOneLineEachCountsOnStderrAndDeletesNothing()
      throws Exception {
    deadLetter("1700000000000-0", 3, "amber anchor");
    deadLetter("1700000000500-0", 5, "tab\there");
    foreignDeadLetter("1700000000900-0");
    assertThat(run()).isZero();
    assertThat(outLines())
        .containsExactly(
            "1700000000000-0\t3\tattempt 3 failed (fail: always fails)\tamber anchor",
            "1700000000500-0\t5\tattempt 5 failed (fail: always fails)\ttab\\there",
            "1700000000900-0\t1\tmissing field 'gen'\t(not a message) colour=blue");
    assertThat(errText()).contains("3 dead letters");
    assertThat(REDIS.client().num("XLEN", keys.deadLetter())).isEqualTo(3);
    assertThat(messages()).isEmpty();
  }

  @Test
  void listingPagesThroughMoreThanOnePageInOrder() throws Exception {
    int n = DeadLettersCommand.PAGE * 2 + 7;
    List<Request> adds = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      adds.add(
          Request.cmd(Command.XADD)
              .arg(keys.deadLetter())
              .arg("*")
              .arg("messageId")
              .arg("m" + i)
              .arg("reason")
              .arg("r")
              .arg("attempts")
              .arg(1)
              .arg("field:text")
              .arg("t" + i));
    }
    REDIS.client().pipeline(adds);
    assertThat(run()).isZero();
    List<String> lines = outLines();
    assertThat(lines).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(lines.get(i)).startsWith("m" + i + "\t");
    }
    assertThat(errText()).contains(n + " dead letters");
  }

  @Test
  void jsonLinesCarryEveryField() throws Exception {
    String dl = deadLetter("1700000000000-0", 3, "amber", "field:id", "1600000000000-0");
    assertThat(run("--json")).isZero();
    List<String> lines = outLines();
    assertThat(lines).hasSize(1);
    JsonObject o = new JsonObject(lines.get(0));
    assertThat(o.fieldNames())
        .containsExactlyInAnyOrder(
            "deadLetterId", "messageId", "reason", "attempts", "handler", "fields");
    assertThat(o.getString("deadLetterId")).isEqualTo(dl);
    assertThat(o.getString("messageId")).isEqualTo("1700000000000-0");
    assertThat(o.getLong("attempts")).isEqualTo(3L);
    assertThat(o.getString("handler")).isEqualTo("h1");
    assertThat(o.getJsonObject("fields"))
        .isEqualTo(
            new JsonObject()
                .put("gen", "node-a")
                .put("epoch", "7")
                .put("seq", "42")
                .put("ts", "1700000000000")
                .put("text", "amber")
                .put("id", "1600000000000-0"));
    assertThat(errText()).contains("1 dead letter");
  }

  @Test
  void replayingOnePutsItBackAsANewMessageWithItsIdAndAttemptsAndRecordsItInTheLedger()
      throws Exception {
    // a replay that died again: it carries its own id and attempts among its fields
    deadLetter(
        "1700000000000-0", 6, "fail 9 amber", "field:id", "1700000000000-0", "field:attempts", "3");
    deadLetter("1700000000500-0", 3, "other");
    REDIS.client().cmd("XADD", keys.auditCommitted(), "*", "msg", "0-1", "kind", "ok");
    REDIS.client().cmd("HSET", keys.stats(), "backlog", "4");

    assertThat(run("--replay", "1700000000000-0")).as(errText()).isZero();

    List<Replies.Entry> added = messages();
    assertThat(added).hasSize(1);
    String entry = added.get(0).id();
    assertThat(outLines()).containsExactly("1700000000000-0 -> " + entry);
    assertThat(added.get(0).fields())
        .isEqualTo(
            Map.of(
                "gen", "node-a",
                "epoch", "7",
                "seq", "42",
                "ts", "1700000000000",
                "text", "fail 9 amber",
                "id", "1700000000000-0",
                "attempts", "6"));
    assertThat(REDIS.client().cmd("XRANGE", keys.messages(), "-", "+").get(0).get(1).size())
        .as("seven fields, each once (no second id or attempts)")
        .isEqualTo(14);
    assertThat(deadLetterMessageIds()).containsExactly("1700000000500-0");
    assertThat(REDIS.client().str("HGET", keys.stats(), "backlog")).isEqualTo("5");
    assertThat(REDIS.client().str("HGET", keys.stats(), "replayed")).isEqualTo("1");
    List<Replies.Entry> ledger = REDIS.client().range(keys.auditPublished());
    assertThat(ledger).hasSize(1);
    assertThat(ledger.get(0).fields())
        .isEqualTo(
            Map.of(
                "msg", entry,
                "epoch", "7",
                "gen", "node-a",
                "seq", "42",
                "replayOf", "1700000000000-0"));
    assertThat(errText()).contains("1 replayed, 0 not replayed");
  }

  @Test
  void withoutALedgerAReplayRecordsNone() throws Exception {
    deadLetter("1700000000000-0", 3, "amber");
    assertThat(run("--replay")).isZero();
    assertThat(messages()).hasSize(1);
    assertThat(REDIS.client().num("EXISTS", keys.auditPublished())).isZero();
  }

  @Test
  void replayingAllReplaysEveryMessageAndRefusesWhatNeverWasOne() throws Exception {
    for (int i = 0; i < DeadLettersCommand.REPLAY_BATCH + 3; i++) {
      deadLetter("1700000000000-" + i, 3, "text " + i);
    }
    String foreign = "1700000000999-0";
    foreignDeadLetter(foreign);
    int code = run("--replay");
    assertThat(code).as(errText()).isEqualTo(ExitCodes.INCOMPLETE);
    int n = DeadLettersCommand.REPLAY_BATCH + 3;
    assertThat(outLines()).hasSize(n);
    assertThat(outLines().get(0)).startsWith("1700000000000-0 -> ");
    List<Replies.Entry> added = messages();
    assertThat(added).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(added.get(i).fields().get("id")).isEqualTo("1700000000000-" + i);
      assertThat(added.get(i).fields().get("text")).isEqualTo("text " + i);
    }
    assertThat(deadLetterMessageIds()).containsExactly(foreign);
    assertThat(errText())
        .contains(
            "deadLetters: " + foreign + " not replayed: not a message: the dead letter has no")
        .contains(n + " replayed, 1 not replayed");
  }

  @Test
  void unknownAndAlreadyReplayedIdsAreReportedAndTheOthersGoOn() throws Exception {
    deadLetter("1700000000000-0", 3, "first");
    deadLetter("1700000000500-0", 3, "second");
    assertThat(run("--replay", "1700000000000-0")).isZero();
    out.reset();
    err.reset();

    int code = run("--replay", "1700000000000-0", "1700000000500-0", "1234-5");
    assertThat(code).isEqualTo(ExitCodes.INCOMPLETE);
    assertThat(outLines()).hasSize(1).allMatch(l -> l.startsWith("1700000000500-0 -> "));
    assertThat(errText())
        .contains(
            "deadLetters: 1700000000000-0 not replayed: no such dead letter (never"
                + " dead-lettered, or replayed already)")
        .contains("deadLetters: 1234-5 not replayed: no such dead letter")
        .contains("1 replayed, 2 not replayed");
    assertThat(messages())
        .extracting(e -> e.fields().get("text"))
        .containsExactly("first", "second");
    assertThat(REDIS.client().num("XLEN", keys.deadLetter())).isZero();
  }

  @Test
  void aMessageIdCarriedBySeveralDeadLettersIsRefusedAndEachCanBeNamedByItsOwnId()
      throws Exception {
    deadLetter("1700000000000-0", 3, "first");
    String second = deadLetter("1700000000000-0", 3, "second");
    assertThat(run("--replay", "1700000000000-0")).isEqualTo(ExitCodes.INCOMPLETE);
    assertThat(errText())
        .contains("1700000000000-0 not replayed: 2 dead letters carry this message id");
    assertThat(messages()).isEmpty();
    err.reset();
    assertThat(run("--replay", second)).as(errText()).isZero();
    assertThat(messages()).extracting(e -> e.fields().get("text")).containsExactly("second");
  }

  @Test
  void aDeadLetterGoneBeforeTheScriptRunsIsRefusedAsReplayedAlready() throws Exception {
    String dl = deadLetter("1700000000000-0", 3, "amber");
    DeadLetterStore store =
        new DeadLetterStore(new RedisOps(REDIS.client().client(), 5_000), keys, false);
    assertThat(store.replay(List.of(dl)).await(5, TimeUnit.SECONDS).get(0).replayed()).isTrue();
    DeadLetterStore.Replay again = store.replay(List.of(dl)).await(5, TimeUnit.SECONDS).get(0);
    assertThat(again.replayed()).isFalse();
    assertThat(again.refusal()).contains("already replayed");
    assertThat(messages()).hasSize(1);
  }

  @Test
  void concurrentReplaysOfOneDeadLetterReplayItExactlyOnce() throws Exception {
    String dl = deadLetter("1700000000000-0", 3, "amber");
    DeadLetterStore store =
        new DeadLetterStore(new RedisOps(REDIS.client().client(), 5_000), keys, false);
    List<Future<List<DeadLetterStore.Replay>>> calls = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      calls.add(store.replay(List.of(dl)));
    }
    long replayed = 0;
    for (Future<List<DeadLetterStore.Replay>> c : calls) {
      replayed += c.await(10, TimeUnit.SECONDS).get(0).replayed() ? 1 : 0;
    }
    assertThat(replayed).isEqualTo(1);
    assertThat(messages()).hasSize(1);
    assertThat(REDIS.client().str("HGET", keys.stats(), "replayed")).isEqualTo("1");

    // two whole commands at once: one replays, the other finds it gone (or no longer listed)
    deadLetter("1700000000500-0", 3, "second");
    ByteArrayOutputStream out2 = new ByteArrayOutputStream();
    ByteArrayOutputStream err2 = new ByteArrayOutputStream();
    CompletableFuture<Integer> first =
        CompletableFuture.supplyAsync(() -> quietly(out, err, "1700000000500-0"));
    CompletableFuture<Integer> second =
        CompletableFuture.supplyAsync(() -> quietly(out2, err2, "1700000000500-0"));
    assertThat(List.of(first.get(30, TimeUnit.SECONDS), second.get(30, TimeUnit.SECONDS)))
        .containsExactlyInAnyOrder(ExitCodes.OK, ExitCodes.INCOMPLETE);
    assertThat(messages())
        .extracting(e -> e.fields().get("text"))
        .containsExactly("amber", "second");
  }

  private int quietly(ByteArrayOutputStream o, ByteArrayOutputStream e, String id) {
    try {
      return run(o, e, "--replay", id);
    } catch (Exception x) {
      throw new IllegalStateException(x);
    }
  }

  @Test
  void aClosedStandardOutputExitsThree() throws Exception {
    deadLetter("1700000000000-0", 3, "amber");
    OutputStream closed =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("Broken pipe");
          }
        };
    int code =
        new CommandLine(
                new DeadLettersCommand(
                    new PrintStream(closed, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)))
            .execute("-conf", conf(REDIS.url()).toString());
    assertThat(code).as(errText()).isEqualTo(ExitCodes.OUTPUT_CLOSED);
    assertThat(errText()).contains("standard output is closed");
    assertThat(REDIS.client().num("XLEN", keys.deadLetter())).isEqualTo(1);
  }

  @Test
  void nothingDeadLetteredListsNothingAndReplaysNothing() throws Exception {
    assertThat(run()).isZero();
    assertThat(out.size()).isZero();
    assertThat(errText()).contains("0 dead letters");
    assertThat(run("--replay")).isZero();
    assertThat(errText()).contains("0 replayed, 0 not replayed");
  }

  @Test
  void unreachableRedisExitsOneWithAOneLineReason() throws Exception {
    int code =
        new CommandLine(
                new DeadLettersCommand(
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)))
            .execute("-conf", conf("redis://127.0.0.1:1").toString());
    assertThat(code).isEqualTo(ExitCodes.REDIS);
    assertThat(errText().trim())
        .startsWith("deadLetters: cannot reach Redis at redis://127.0.0.1:1")
        .doesNotContain("\n");
  }

  @Test
  void idsWithoutReplayAreAUsageError() throws Exception {
    deadLetter("1700000000000-0", 3, "amber");
    assertThat(run("1700000000000-0")).isEqualTo(ExitCodes.CONFIG);
    assertThat(errText()).contains("IDs are taken only with --replay");
    assertThat(REDIS.client().num("XLEN", keys.deadLetter())).isEqualTo(1);
  }
}
