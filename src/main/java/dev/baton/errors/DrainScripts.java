package dev.baton.errors;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Future;
import java.util.List;

/**
 * The drain scripts of one run: {@link DrainClaimScript}, {@link DrainAckScript} and {@link
 * DrainEndScript}, called with this run's id, lease, batch and audit flag.
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
        .eval(DrainClaimScript.SCRIPT, DrainClaimScript.keys(keys), claimArgs(snapshot))
        .map(DrainClaimScript::reply);
  }

  List<String> claimArgs(String snapshot) {
    return DrainClaimScript.args(run, leaseMs, snapshot, batch);
  }

  /**
   * Deletes the printed {@code records} (none: only renews the run's lease); how many were deleted.
   */
  Future<Long> ack(List<ErrorEntry> records) {
    return redis
        .eval(DrainAckScript.SCRIPT, DrainAckScript.keys(keys), ackArgs(records))
        .map(DrainAckScript::reply);
  }

  List<String> ackArgs(List<ErrorEntry> records) {
    return DrainAckScript.args(run, leaseMs, audit, records);
  }

  /** Ends the run: whether it still held records (their lease is then marked expired). */
  Future<Boolean> end() {
    return redis
        .eval(DrainEndScript.SCRIPT, DrainEndScript.keys(keys), DrainEndScript.args(run))
        .map(DrainEndScript::reply);
  }
}
