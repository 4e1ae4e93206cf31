package dev.baton.audit;

import dev.baton.redis.Fields;
import dev.baton.redis.Keys;
import dev.baton.redis.MessageId;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Reads what verify judges from Redis into a {@link Ledger}: first the cutoff and the ledger's
 * completeness, then published, stream, committed, error records, drained records, in that order
 * (see {@link Verifier} for why the order makes later work harmless).
 */
final class LedgerReader {
  private static final int PAGE = 10_000;

  private final RedisOps redis;
  private final Keys keys;

  LedgerReader(RedisOps redis, Keys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  Future<Ledger> read() {
    return cutoff()
        .compose(
            cutoff ->
                Completeness.judge(redis, keys)
                    .compose(
                        judged ->
                            exists()
                                .compose(
                                    exists ->
                                        exists
                                            ? readAll(Ledger.filling(cutoff, judged))
                                            : Future.succeededFuture(
                                                Ledger.none(cutoff, judged)))));
  }

  private Future<Boolean> exists() {
    return redis
        .send(Request.cmd(Command.EXISTS).arg(keys.auditPublished()).arg(keys.auditCommitted()))
        .map(r -> r.toLong() != 0);
  }

  private Future<Ledger> readAll(Ledger ledger) {
    return scan(keys.auditPublished(), (id, f) -> published(ledger, id, f))
        .compose(v -> scan(keys.messages(), (id, f) -> ledger.inStream().add(id)))
        .compose(v -> scan(keys.auditCommitted(), (id, f) -> committed(ledger, id, f)))
        .compose(v -> scan(keys.errors(), (id, f) -> errorRecord(ledger, id, f)))
        .compose(v -> scan(keys.auditDrained(), (id, f) -> drained(ledger, id, f)))
        .map(v -> ledger);
  }

  /** A published ledger entry: one message, or a pack's n (a replay is always one). */
  private static void published(Ledger ledger, String id, Map<String, String> f) {
    long epoch = Replies.parseLong(f.get(Fields.EPOCH), -1);
    long at = MessageId.millis(id);
    String msg = f.get(Fields.MSG);
    String n = f.get(Fields.N);
    if (n == null) {
      ledger
          .published()
          .add(new Ledger.Published(msg, epoch, f.get(Fields.GEN), at, f.get(Fields.REPLAY_OF)));
      return;
    }
    for (long i = 0, count = Replies.parseLong(n, -1); i < count; i++) {
      ledger
          .published()
          .add(new Ledger.Published(MessageId.ofPack(msg, i), epoch, f.get(Fields.GEN), at, null));
    }
  }

  /** A committed ledger entry: one message's kind, or a pack's kinds, a character each. */
  private static void committed(Ledger ledger, String id, Map<String, String> f) {
    long at = MessageId.millis(id);
    String msg = f.get(Fields.MSG);
    String kinds = f.get(Fields.KINDS);
    if (kinds == null) {
      commitsOf(ledger, msg).add(new Ledger.Commit(f.get(Fields.KIND), at));
      return;
    }
    for (int i = 0; i < kinds.length(); i++) {
      commitsOf(ledger, MessageId.ofPack(msg, i))
          .add(new Ledger.Commit(Fields.kind(kinds.charAt(i)), at));
    }
  }

  private static List<Ledger.Commit> commitsOf(Ledger ledger, String msg) {
    return ledger.commits().computeIfAbsent(msg, k -> new ArrayList<>(1));
  }

  private static void errorRecord(Ledger ledger, String id, Map<String, String> f) {
    String record = f.get(Fields.RECORD);
    String msg = null;
    try {
      msg = record == null ? null : new JsonObject(record).getString("id");
    } catch (RuntimeException notJson) {
      // a raw entry: not an error record of a message
    }
    if (msg != null) {
      ledger.errorRecords().computeIfAbsent(msg, k -> new HashSet<>()).add(id);
    }
  }

  private static void drained(Ledger ledger, String id, Map<String, String> f) {
    String msg = f.get(Fields.MSG);
    if (msg != null) {
      ledger
          .errorRecords()
          .computeIfAbsent(msg, k -> new HashSet<>())
          .add(f.getOrDefault(Fields.ERROR_ID, id));
    }
  }

  /**
   * The instant the run checks: a Redis {@code TIME} reading T, returned once the Redis clock has
   * passed T, so every write stamped T or earlier is done before the first read, and every later
   * write is stamped after T.
   */
  private Future<Long> cutoff() {
    return serverMs().compose(t -> past(t, 0));
  }

  private Future<Long> past(long t, int tries) {
    return serverMs()
        .compose(now -> now > t || tries > 1_000 ? Future.succeededFuture(t) : past(t, tries + 1));
  }

  private Future<Long> serverMs() {
    return redis
        .send(Request.cmd(Command.TIME))
        .map(r -> r.get(0).toLong() * 1000 + r.get(1).toLong() / 1000);
  }

  private Future<Void> scan(String key, BiConsumer<String, Map<String, String>> each) {
    return page(key, "-", each);
  }

  private Future<Void> page(
      String key, String start, BiConsumer<String, Map<String, String>> each) {
    return redis
        .send(Request.cmd(Command.XRANGE).arg(key).arg(start).arg("+").arg("COUNT").arg(PAGE))
        .compose(
            reply -> {
              List<Replies.Entry> entries = Replies.entries(reply);
              for (Replies.Entry entry : entries) {
                each.accept(entry.id(), entry.fields());
              }
              int n = reply == null ? 0 : reply.size(); // a nil entry still counts towards the page
              return n < PAGE
                  ? Future.<Void>succeededFuture()
                  : page(key, "(" + reply.get(n - 1).get(0).toString(), each);
            });
  }
}
