package dev.baton.errors;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import dev.baton.redis.Scripts;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * The drain scripts of one run, typed: {@code drain-claim.lua}, {@code drain-ack.lua} and {@code
 * drain-end.lua}, their arguments built and their replies decoded here only.
 */
final class DrainScripts {
  private final RedisOps redis;
  private final Keys keys;
  private final String run;
  private final long leaseMs;
  private final int batch;
  private final boolean audit;

  /**
   * What a claim found: the state is {@code more} (records claimed), {@code waiting} or {@code
   * done}.
   */
  record Claim(List<ErrorEntry> records, String state, long waitMs) {}

  DrainScripts(RedisOps redis, Keys keys, String run, long leaseMs, int batch, boolean audit) {
    this.redis = redis;
    this.keys = keys;
    this.run = run;
    this.leaseMs = leaseMs;
    this.batch = batch;
    this.audit = audit;
  }

  /** The next batch up to {@code snapshot} (the last record when the run started). */
  Future<Claim> claim(String snapshot) {
    return redis
        .eval(Scripts.DRAIN_CLAIM, List.of(keys.errors(), keys.drainers()), claimArgs(snapshot))
        .map(DrainScripts::claim);
  }

  List<String> claimArgs(String snapshot) {
    return List.of(
        Keys.DRAIN_GROUP, run, Long.toString(leaseMs), snapshot, Integer.toString(batch));
  }

  static Claim claim(Response reply) {
    List<ErrorEntry> records = new ArrayList<>();
    Response raw = reply.get(0);
    if (raw != null) {
      for (Response e : raw) {
        records.add(ErrorEntry.of(e));
      }
    }
    return new Claim(
        records, Replies.str(reply.get(1)), reply.size() > 2 ? Replies.toLong(reply.get(2), 0) : 0);
  }

  /**
   * Deletes the printed {@code records} (none: only renews the run's lease); how many were deleted.
   */
  Future<Long> ack(List<ErrorEntry> records) {
    // the ledger's other streams are read (a ledger in Redis decides whether drains are recorded)
    return redis
        .eval(
            Scripts.DRAIN_ACK,
            List.of(
                keys.errors(),
                keys.drainers(),
                keys.auditDrained(),
                keys.auditPublished(),
                keys.auditCommitted(),
                keys.stats()),
            ackArgs(records))
        .map(r -> Replies.toLong(r, 0));
  }

  List<String> ackArgs(List<ErrorEntry> records) {
    List<String> args = new ArrayList<>(4 + records.size() * 2);
    args.add(Keys.DRAIN_GROUP);
    args.add(run);
    args.add(Long.toString(leaseMs));
    args.add(Scripts.flag(audit));
    for (ErrorEntry e : records) {
      args.add(e.errorId());
      args.add(e.isRaw() ? "" : String.valueOf(e.record().getValue("id", "")));
    }
    return args;
  }

  /** Ends the run: whether it still held records (their lease is then marked expired). */
  Future<Boolean> end() {
    return redis
        .eval(
            Scripts.DRAIN_END,
            List.of(keys.errors(), keys.drainers()),
            List.of(Keys.DRAIN_GROUP, run))
        .map(r -> Replies.toLong(r, 0) == 1);
  }
}
