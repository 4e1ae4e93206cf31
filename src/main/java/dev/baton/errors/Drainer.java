package dev.baton.errors;

import dev.baton.common.Clock;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Takes every error stored when a run starts, hands it to a sink batch by batch and deletes exactly
 * what the sink accepted. Runs are consumers of the errors stream with a lease in Redis: concurrent
 * runs claim disjoint batches, and the records of a run that died half-way are claimed by the next
 * run once its lease lapsed. Records stored after the run started stay for the next.
 *
 * <p>Delivery to the sink is at-least-once across crashes: a run killed after its sink accepted a
 * batch but before the delete leaves that batch for the next run (at most one batch). Between live
 * runs it is exactly-once, unless a run is paused for longer than its lease.
 *
 * <p>Each deleted record is noted in the audit ledger whenever there is one in Redis, whatever this
 * drainer's own {@code audit} setting (which only makes it note them when there is none yet), so
 * {@code verify} can account for every record a drain took away.
 */
public final class Drainer {
  public static final long DEFAULT_LEASE_MS = 5_000;
  public static final int DEFAULT_BATCH = 1_000;
  private static final long POLL_MS = 200;

  private final Vertx vertx;
  private final RedisOps redis;
  private final Keys keys;
  private final long leaseMs;
  private final int batch;
  private final boolean audit;

  /** What a run did: records handed to the sink, deleted, and left held by another live run. */
  public record Result(long delivered, long deleted, long heldByOthers) {}

  public Drainer(Vertx vertx, RedisOps redis, Keys keys, boolean audit) {
    this(vertx, redis, keys, DEFAULT_LEASE_MS, DEFAULT_BATCH, audit);
  }

  public Drainer(Vertx vertx, RedisOps redis, Keys keys, long leaseMs, int batch, boolean audit) {
    this.vertx = vertx;
    this.redis = redis;
    this.keys = keys;
    this.leaseMs = leaseMs;
    this.batch = batch;
    this.audit = audit;
  }

  /**
   * Drains with a sink that completes its future once a batch is safely out (printed and flushed,
   * written to the response); only then is the batch deleted.
   */
  public Future<Result> drain(Function<List<ErrorEntry>, Future<Void>> sink) {
    Run run =
        new Run(
            new DrainScripts(redis, keys, "drain-" + UUID.randomUUID(), leaseMs, batch, audit),
            sink);
    return snapshot().compose(run::start);
  }

  private Future<String> snapshot() {
    return redis
        .send(
            Request.cmd(Command.XREVRANGE).arg(keys.errors()).arg("+").arg("-").arg("COUNT").arg(1))
        .map(r -> r == null || r.size() == 0 ? "0-0" : r.get(0).get(0).toString());
  }

  private final class Run {
    private final DrainScripts scripts;
    private final Function<List<ErrorEntry>, Future<Void>> sink;
    private final Promise<Result> result = Promise.promise();
    private String snapshot;
    private long delivered;
    private long deleted;
    private long waitUntilMs = -1;
    private long renewTimer = -1;

    Run(DrainScripts scripts, Function<List<ErrorEntry>, Future<Void>> sink) {
      this.scripts = scripts;
      this.sink = sink;
    }

    Future<Result> start(String snapshotId) {
      this.snapshot = snapshotId;
      // keeps the lease alive while a slow sink (a paused pipe, a slow HTTP client) holds a batch
      renewTimer = vertx.setPeriodic(Math.max(100, leaseMs / 3), t -> ack(List.of()));
      next();
      return result.future().andThen(ar -> vertx.cancelTimer(renewTimer));
    }

    private void next() {
      scripts.claim(snapshot).onSuccess(this::onClaim).onFailure(this::fail);
    }

    private void onClaim(DrainScripts.Claim claim) {
      List<ErrorEntry> entries = claim.records();
      if (!entries.isEmpty()) {
        waitUntilMs = -1;
        sink.apply(entries)
            .compose(
                v -> {
                  delivered += entries.size();
                  return ack(entries);
                })
            .onSuccess(
                n -> {
                  deleted += n;
                  next();
                })
            .onFailure(this::fail);
        return;
      }
      if ("waiting".equals(claim.state())) {
        // records held by other runs: wait until they delete them or their leases lapse (a killed
        // run), then claim; a run still renewing its lease is alive and keeps its records
        long now = Clock.monotonicMs();
        if (waitUntilMs < 0) {
          waitUntilMs = now + claim.waitMs() + POLL_MS;
        }
        if (now <= waitUntilMs) {
          vertx.setTimer(POLL_MS, t -> next());
          return;
        }
      }
      end();
    }

    private Future<Long> ack(List<ErrorEntry> entries) {
      return scripts.ack(entries);
    }

    private void end() {
      scripts
          .end()
          .compose(
              v ->
                  redis.send(
                      Request.cmd(Command.XPENDING).arg(keys.errors()).arg(Keys.DRAIN_GROUP)))
          .map(summary -> summary == null || summary.size() == 0 ? 0L : summary.get(0).toLong())
          .recover(e -> Future.succeededFuture(0L))
          .onSuccess(held -> result.tryComplete(new Result(delivered, deleted, held)));
    }

    private void fail(Throwable e) {
      // give up what this run still holds so the next run need not wait for its lease
      scripts.end().onComplete(ar -> result.tryFail(e));
    }
  }
}
