package dev.baton.handler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import dev.baton.support.Closer;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(120)
class HandlerTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  @RegisterExtension final Closer closer = new Closer();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  /** Adds well-formed messages straight to the stream, as a generator would. */
  private List<String> addMessages(int n) {
    List<Request> reqs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      reqs.add(
          Request.cmd(Command.XADD)
              .arg(keys.messages())
              .arg("*")
              .arg("gen")
              .arg("test")
              .arg("epoch")
              .arg(1)
              .arg("seq")
              .arg(i + 1)
              .arg("ts")
              .arg(System.currentTimeMillis())
              .arg("text")
              .arg("message " + i));
    }
    List<String> ids = new ArrayList<>();
    REDIS.client().pipeline(reqs).forEach(r -> ids.add(r.toString()));
    return ids;
  }

  private void createGroup() {
    REDIS.client().cmd("XGROUP", "CREATE", keys.messages(), Keys.HANDLERS_GROUP, "0", "MKSTREAM");
  }

  /** A handler-only node: its election is pre-empted by a lease nobody renews during the test. */
  private TestNode handlerNode(String id, JsonObject handler) {
    REDIS.client().cmd("SET", keys.leader(), "nobody", "PX", "600000");
    JsonObject settings = TestNode.fastSettings(REDIS.url(), prefix).put("nodeId", id);
    settings.getJsonObject("handler").mergeIn(handler);
    return closer.add(TestNode.start(settings));
  }

  @Test
  void everyMessageIsCommittedExactlyOnceAcrossHandlers() {
    List<TestNode> handlers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      handlers.add(
          handlerNode("h" + i, new JsonObject().put("errorProbability", 0.2).put("batchSize", 7)));
    }
    Await.until(
        "three handlers",
        Duration.ofSeconds(10),
        () -> handlers.stream().allMatch(TestNode::isHandler));
    List<String> ids = addMessages(3000);

    Await.until(
        "all 3000 committed",
        Duration.ofSeconds(30),
        () -> handlers.stream().mapToLong(h -> h.state().counters().processed.get()).sum() == 3000);
    assertThat(REDIS.client().num("XLEN", keys.messages()))
        .as("committed entries are deleted")
        .isZero();
    assertThat(REDIS.client().num("HGET", keys.stats(), "processed")).isEqualTo(3000);
    long errors = handlers.stream().mapToLong(h -> h.state().counters().errors.get()).sum();
    assertThat(REDIS.client().num("XLEN", keys.errors())).isEqualTo(errors);
    assertThat(errors).isBetween(450L, 750L); // 20% of 3000, far from the tails

    Set<String> errorIds = new HashSet<>();
    for (Replies.Entry e : REDIS.client().range(keys.errors())) {
      JsonObject record = new JsonObject(e.fields().get("record"));
      assertThat(record.fieldNames())
          .contains("id", "gen", "epoch", "seq", "ts", "text", "handler", "detectedAt");
      assertThat(ids).contains(record.getString("id"));
      assertThat(record.getString("text")).isEqualTo("message " + (record.getLong("seq") - 1));
      assertThat(errorIds.add(record.getString("id"))).as("one record per message").isTrue();
    }
  }

  @ParameterizedTest(name = "audit ledger {0}")
  @ValueSource(booleans = {false, true})
  void twoHandlersRacingForTheSameMessagesCommitEachExactlyOnce(boolean audit) throws Exception {
    createGroup();
    List<String> ids = addMessages(500);
    // consumer a reads everything; b takes the same entries over as if a looked dead
    REDIS
        .client()
        .cmd(
            "XREADGROUP",
            "GROUP",
            Keys.HANDLERS_GROUP,
            "a",
            "COUNT",
            "1000",
            "STREAMS",
            keys.messages(),
            ">");
    List<Object> claim =
        new ArrayList<>(List.of("XCLAIM", keys.messages(), Keys.HANDLERS_GROUP, "b", "0"));
    claim.addAll(ids);
    REDIS.client().cmd(claim.toArray());

    RedisOps ops = new RedisOps(REDIS.client().client(), 10_000);
    Committer a = new Committer(ops, keys, "a", audit);
    Committer b = new Committer(ops, keys, "b", audit);
    Random random = new Random(42);
    List<Future<Committer.Result>> results = new ArrayList<>();
    for (int i = 0; i < ids.size(); i += 50) {
      // the two handlers judge each message independently, a under its first delivery and b
      // under the one it took over with: only the claim that holds commits
      results.add(a.commit(judge(ids.subList(i, i + 50), random, 1), false));
      results.add(b.commit(judge(ids.subList(i, i + 50), random, 2), true));
    }
    Future.all(results).await(30, TimeUnit.SECONDS);
    long committed = 0;
    for (Future<Committer.Result> f : results) {
      committed += f.result().plainCommitted();
      for (Committer.EntryResult other : f.result().others()) {
        committed += other.committed() ? 1 : 0;
      }
    }
    assertThat(committed).isEqualTo(500);
    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
    assertThat(REDIS.client().num("HGET", keys.stats(), "processed")).isEqualTo(500);
    long errors = REDIS.client().num("HGET", keys.stats(), "errors");
    assertThat(REDIS.client().num("XLEN", keys.errors())).isEqualTo(errors).isPositive();
    if (audit) {
      assertThat(REDIS.client().num("XLEN", keys.auditCommitted())).isEqualTo(500);
    }
  }

  private static List<Committer.Judged> judge(List<String> ids, Random random, int deliveries) {
    List<Committer.Judged> out = new ArrayList<>();
    for (String id : ids) {
      Committer.Judged j = new Committer.Judged(id, 0, 0).under(deliveries);
      out.add(random.nextInt(3) == 0 ? j.error(new JsonObject().put("id", id).encode()) : j.ok());
    }
    return out;
  }

  /**
   * Adds packs straight to the stream as a generator in throughput mode would: n texts joined by a
   * line feed.
   */
  private List<String> addPacks(int packs, int n) {
    List<Request> reqs = new ArrayList<>();
    for (int p = 0; p < packs; p++) {
      StringBuilder texts = new StringBuilder();
      for (int i = 0; i < n; i++) {
        texts.append(i == 0 ? "" : "\n").append("message ").append(p * n + i);
      }
      reqs.add(
          Request.cmd(Command.XADD)
              .arg(keys.messages())
              .arg("*")
              .arg("gen")
              .arg("test")
              .arg("epoch")
              .arg(1)
              .arg("seq")
              .arg(p * n + 1)
              .arg("ts")
              .arg(System.currentTimeMillis())
              .arg("n")
              .arg(n)
              .arg("texts")
              .arg(texts.toString()));
    }
    List<String> ids = new ArrayList<>();
    REDIS.client().pipeline(reqs).forEach(r -> ids.add(r.toString()));
    return ids;
  }

  /**
   * The zombie rule: a handler whose entries another consumer took over (it was frozen past the
   * reclaim threshold) commits nothing, whatever it judged, and leaves the entries to their holder.
   */
  @ParameterizedTest(name = "audit ledger {0}")
  @ValueSource(booleans = {false, true})
  void aHandlerWhoseEntriesWereTakenOverCommitsNothingOfThem(boolean audit) throws Exception {
    createGroup();
    List<String> ids = addMessages(6);
    REDIS
        .client()
        .cmd(
            "XREADGROUP",
            "GROUP",
            Keys.HANDLERS_GROUP,
            "a",
            "COUNT",
            "10",
            "STREAMS",
            keys.messages(),
            ">");
    // b takes the first four over; a still holds the last two
    List<Object> claim =
        new ArrayList<>(List.of("XCLAIM", keys.messages(), Keys.HANDLERS_GROUP, "b", "0"));
    claim.addAll(ids.subList(0, 4));
    REDIS.client().cmd(claim.toArray());

    RedisOps ops = new RedisOps(REDIS.client().client(), 10_000);
    Committer a = new Committer(ops, keys, "a", audit);
    List<Committer.Judged> judged = new ArrayList<>();
    judged.add(new Committer.Judged(ids.get(0), 0, 0).ok()); // plain, taken over
    judged.add(new Committer.Judged(ids.get(1), 0, 0).error("{\"id\":\"x\"}")); // taken over
    judged.add(new Committer.Judged(ids.get(2), 0, 0).dead("bad", 1)); // taken over
    judged.add(new Committer.Judged(ids.get(4), 0, 0).ok()); // plain, still a's
    judged.add(new Committer.Judged(ids.get(5), 0, 0).error("{\"id\":\"y\"}")); // still a's
    Committer.Result r = a.commit(judged, false).await(10, TimeUnit.SECONDS);

    assertThat(r.plainCommitted()).as("of a's two plain entries, the one it holds").isEqualTo(1);
    assertThat(r.others())
        .extracting(Committer.EntryResult::committed)
        .containsExactly(false, false, true);
    assertThat(REDIS.client().num("XLEN", keys.errors())).isEqualTo(1);
    assertThat(REDIS.client().num("XLEN", keys.deadLetter())).isZero();
    assertThat(REDIS.client().num("HGET", keys.stats(), "processed")).isEqualTo(2);
    // what b holds is untouched: still in the stream, pending on b
    Response pending =
        REDIS.client().cmd("XPENDING", keys.messages(), Keys.HANDLERS_GROUP, "-", "+", "10", "b");
    assertThat(pending.size()).isEqualTo(4);
    assertThat(REDIS.client().num("XLEN", keys.messages())).isEqualTo(4);
    if (audit) {
      assertThat(REDIS.client().num("XLEN", keys.auditCommitted())).isEqualTo(2);
    }
  }

  @ParameterizedTest(name = "audit ledger {0}")
  @ValueSource(booleans = {false, true})
  void twoHandlersRacingForTheSamePacksCommitEachMessageExactlyOnce(boolean audit)
      throws Exception {
    createGroup();
    List<String> ids = addPacks(40, 25);
    REDIS
        .client()
        .cmd(
            "XREADGROUP",
            "GROUP",
            Keys.HANDLERS_GROUP,
            "a",
            "COUNT",
            "1000",
            "STREAMS",
            keys.messages(),
            ">");
    List<Object> claim =
        new ArrayList<>(List.of("XCLAIM", keys.messages(), Keys.HANDLERS_GROUP, "b", "0"));
    claim.addAll(ids);
    REDIS.client().cmd(claim.toArray());

    RedisOps ops = new RedisOps(REDIS.client().client(), 10_000);
    Committer a = new Committer(ops, keys, "a", audit);
    Committer b = new Committer(ops, keys, "b", audit);
    Random random = new Random(7);
    List<Future<Committer.Result>> results = new ArrayList<>();
    List<List<Committer.Judged>> sent = new ArrayList<>();
    for (int i = 0; i < ids.size(); i += 5) {
      for (Committer c : List.of(a, b)) {
        List<Committer.Judged> batch = new ArrayList<>();
        for (String id : ids.subList(i, i + 5)) {
          Committer.Judged j = new Committer.Judged(id, 25, 0).under(c == b ? 2 : 1);
          for (int m = 0; m < 25; m++) {
            if (random.nextInt(4) == 0) {
              j.error(
                  new JsonObject().put("id", id + "/" + m).put("by", c == a ? "a" : "b").encode());
            } else {
              j.ok();
            }
          }
          batch.add(j);
        }
        sent.add(batch);
        results.add(c.commit(batch, c == b));
      }
    }
    Future.all(results).await(30, TimeUnit.SECONDS);
    long messages = 0;
    long judgedErrors = 0;
    for (int r = 0; r < results.size(); r++) {
      List<Committer.EntryResult> others = results.get(r).result().others();
      assertThat(others).extracting(Committer.EntryResult::entry).isEqualTo(sent.get(r));
      for (Committer.EntryResult other : others) {
        if (other.committed()) {
          messages += other.entry().size();
          judgedErrors += other.entry().errors();
        }
      }
    }
    assertThat(messages).isEqualTo(1000);
    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
    assertThat(REDIS.client().num("HGET", keys.stats(), "processed")).isEqualTo(1000);
    assertThat(REDIS.client().num("HGET", keys.stats(), "errors"))
        .isEqualTo(judgedErrors)
        .isPositive();
    // one record per message judged an error by whoever committed its pack, never both judgements
    Set<String> recordIds = new HashSet<>();
    for (Replies.Entry e : REDIS.client().range(keys.errors())) {
      assertThat(recordIds.add(new JsonObject(e.fields().get("record")).getString("id"))).isTrue();
    }
    assertThat(recordIds).hasSize((int) judgedErrors);
    if (audit) {
      assertThat(REDIS.client().num("XLEN", keys.auditCommitted()))
          .as("one ledger entry per pack")
          .isEqualTo(40);
    }
  }

  @Test
  void packsAreHandledMessageByMessageAndABadTextDeadLettersThatMessageAlone() {
    TestNode handler =
        handlerNode("h", new JsonObject().put("errorProbability", 0.3).put("batchSize", 3));
    Await.until("handler ready", Duration.ofSeconds(10), handler::isHandler);
    List<String> ids = addPacks(20, 50);
    Request bad =
        Request.cmd(Command.XADD)
            .arg(keys.messages())
            .arg("*")
            .arg("gen")
            .arg("test")
            .arg("epoch")
            .arg(1)
            .arg("seq")
            .arg(5000)
            .arg("ts")
            .arg(1)
            .arg("n")
            .arg(3)
            .arg("texts")
            .arg(
                Buffer.buffer("fine one\n")
                    .appendBytes(new byte[] {(byte) 0xff, 'x'})
                    .appendString("\nfine three"));
    String badId =
        REDIS
            .client()
            .client()
            .send(bad)
            .toCompletionStage()
            .toCompletableFuture()
            .join()
            .toString();

    Await.until(
        "1002 processed, 1 dead-lettered",
        Duration.ofSeconds(30),
        () ->
            handler.state().counters().processed.get() == 1002
                && handler.state().counters().deadLettered.get() == 1);
    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
    assertThat(REDIS.client().num("HGET", keys.stats(), "processed")).isEqualTo(1002);
    assertThat(REDIS.client().num("HGET", keys.stats(), "deadLettered")).isEqualTo(1);
    assertThat(handler.state().counters().latencyMs().getTotalCount()).isEqualTo(1002);
    List<Replies.Entry> dead = REDIS.client().range(keys.deadLetter());
    assertThat(dead)
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.fields())
                    .containsEntry("messageId", badId + "/1")
                    .containsEntry("reason", "text is not valid UTF-8")
                    .containsEntry("field:seq", "5001")
                    .containsEntry("field:gen", "test")
                    .containsEntry("handler", "h"));

    long errors = handler.state().counters().errors.get();
    assertThat(errors).isBetween(200L, 400L); // 30% of 1002
    Set<String> recordIds = new HashSet<>();
    for (Replies.Entry e : REDIS.client().range(keys.errors())) {
      JsonObject record = new JsonObject(e.fields().get("record"));
      String id = record.getString("id");
      String entry = id.substring(0, id.indexOf('/'));
      int index = Integer.parseInt(id.substring(id.indexOf('/') + 1));
      assertThat(record.getLong("seq"))
          .as("seq of %s", id)
          .isEqualTo(entry.equals(badId) ? 5000 + index : ids.indexOf(entry) * 50 + index + 1);
      if (!entry.equals(badId)) {
        assertThat(record.getString("text")).isEqualTo("message " + (record.getLong("seq") - 1));
      }
      assertThat(recordIds.add(id)).isTrue();
    }
    assertThat(recordIds).hasSize((int) errors);
  }

  @Test
  void aPackDeliveredTooOftenIsDeadLetteredMessageByMessage() {
    createGroup();
    String id = addPacks(1, 3).get(0);
    REDIS
        .client()
        .cmd(
            "XREADGROUP",
            "GROUP",
            Keys.HANDLERS_GROUP,
            "crashy",
            "COUNT",
            "1",
            "STREAMS",
            keys.messages(),
            ">");
    for (int i = 0; i < 4; i++) {
      REDIS.client().cmd("XCLAIM", keys.messages(), Keys.HANDLERS_GROUP, "crashy", "0", id);
    }
    TestNode live =
        handlerNode("live", new JsonObject().put("reclaimIdleMs", 200).put("maxDeliveries", 5));
    Await.until(
        "dead-lettered",
        Duration.ofSeconds(15),
        () -> live.state().counters().deadLettered.get() == 3);
    List<Replies.Entry> dead = REDIS.client().range(keys.deadLetter());
    assertThat(dead)
        .extracting(e -> e.fields().get("messageId"))
        .containsExactly(id + "/0", id + "/1", id + "/2");
    assertThat(dead)
        .extracting(e -> e.fields().get("field:text"))
        .containsExactly("message 0", "message 1", "message 2");
    assertThat(dead).extracting(e -> e.fields().get("field:seq")).containsExactly("1", "2", "3");
    assertThat(REDIS.client().num("HGET", keys.stats(), "deadLettered")).isEqualTo(3);
    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
  }

  @Test
  void messagesHeldByADeadHandlerAreReclaimedAndItsConsumerRemovedAfterwards() {
    createGroup();
    addMessages(20);
    // a handler that read 20 messages and died before committing any
    REDIS
        .client()
        .cmd(
            "XREADGROUP",
            "GROUP",
            Keys.HANDLERS_GROUP,
            "dead",
            "COUNT",
            "100",
            "STREAMS",
            keys.messages(),
            ">");
    assertThat(REDIS.client().num("XLEN", keys.messages())).isEqualTo(20);

    TestNode live = handlerNode("live", new JsonObject().put("reclaimIdleMs", 300));
    Await.until(
        "the 20 messages are reclaimed and committed",
        Duration.ofSeconds(15),
        () -> live.state().counters().processed.get() == 20);
    assertThat(live.state().counters().reclaimed.get()).isEqualTo(20);
    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
    // the dead consumer has no heartbeat and nothing pending any more: it leaves the group
    Await.until(
        "the dead consumer is removed",
        Duration.ofSeconds(15),
        () ->
            !REDIS
                .client()
                .cmd("XINFO", "CONSUMERS", keys.messages(), Keys.HANDLERS_GROUP)
                .toString()
                .contains("dead"));
    assertThat(
            REDIS
                .client()
                .cmd("XINFO", "CONSUMERS", keys.messages(), Keys.HANDLERS_GROUP)
                .toString())
        .contains("live");
  }

  @Test
  void unparseableEntriesAreDeadLetteredWithAReasonAndHandlingGoesOn() {
    TestNode handler = handlerNode("h", new JsonObject().put("errorProbability", 0.0));
    Await.until("handler ready", Duration.ofSeconds(10), handler::isHandler);
    byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, 1, 2};
    String huge = "x".repeat(1024 * 1024);
    REDIS.client().cmd("XADD", keys.messages(), "*", "foo", "bar");
    REDIS
        .client()
        .cmd(
            "XADD",
            keys.messages(),
            "*",
            "gen",
            "g",
            "epoch",
            "one",
            "seq",
            "1",
            "ts",
            "1",
            "text",
            "t");
    REDIS
        .client()
        .cmd(
            "XADD",
            keys.messages(),
            "*",
            "gen",
            "g",
            "epoch",
            "1",
            "seq",
            "1",
            "ts",
            "1",
            "text",
            huge);
    REDIS
        .client()
        .client()
        .send(
            Request.cmd(Command.XADD)
                .arg(keys.messages())
                .arg("*")
                .arg("gen")
                .arg("g")
                .arg("epoch")
                .arg(1)
                .arg("seq")
                .arg(1)
                .arg("ts")
                .arg(1)
                .arg("text")
                .arg(Buffer.buffer(binary)))
        .toCompletionStage()
        .toCompletableFuture()
        .join();
    addMessages(5);

    Await.until(
        "4 dead letters and 5 processed",
        Duration.ofSeconds(15),
        () ->
            handler.state().counters().deadLettered.get() == 4
                && handler.state().counters().processed.get() == 5);
    List<Replies.Entry> dead = REDIS.client().range(keys.deadLetter());
    // batches commit concurrently (handler.maxInFlight), so dead letters may land in any order
    assertThat(dead)
        .extracting(e -> e.fields().get("reason"))
        .containsExactlyInAnyOrder(
            "missing field 'gen'",
            "field 'epoch' is not a whole number: 'one'",
            "field 'text' has 1048576 bytes, more than 65536",
            "field 'text' is not valid UTF-8");
    assertThat(dead)
        .filteredOn(e -> e.fields().containsKey("field:foo"))
        .singleElement()
        .satisfies(
            e -> assertThat(e.fields()).containsEntry("field:foo", "bar").containsKey("messageId"));
    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
  }

  @Test
  void aMessageDeliveredTooOftenIsDeadLetteredInsteadOfLooping() {
    createGroup();
    String id = addMessages(1).get(0);
    REDIS
        .client()
        .cmd(
            "XREADGROUP",
            "GROUP",
            Keys.HANDLERS_GROUP,
            "crashy",
            "COUNT",
            "1",
            "STREAMS",
            keys.messages(),
            ">");
    for (int i = 0; i < 4; i++) {
      REDIS
          .client()
          .cmd(
              "XCLAIM",
              keys.messages(),
              Keys.HANDLERS_GROUP,
              "crashy",
              "0",
              id); // four more crashed attempts
    }
    TestNode live =
        handlerNode("live", new JsonObject().put("reclaimIdleMs", 200).put("maxDeliveries", 5));
    Await.until(
        "dead-lettered",
        Duration.ofSeconds(15),
        () -> live.state().counters().deadLettered.get() == 1);
    List<Replies.Entry> dead = REDIS.client().range(keys.deadLetter());
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).fields().get("messageId")).isEqualTo(id);
    assertThat(dead.get(0).fields().get("reason"))
        .isEqualTo("delivered 6 times (handler.maxDeliveries 5)");
    assertThat(dead.get(0).fields()).containsEntry("field:text", "message 0");
    assertThat(REDIS.client().num("XLEN", keys.messages())).isZero();
    assertThat(live.state().counters().processed.get()).isZero();
  }
}
