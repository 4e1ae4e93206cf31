package dev.baton.errors;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Scripts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Takes every error stored when a run starts, hands it to a sink batch by batch and deletes
 * exactly what the sink accepted. Runs are consumers of the errors stream with a lease in Redis:
 * concurrent runs claim disjoint batches, and the records of a run that died half-way are claimed
 * by the next run once its lease lapsed. Records stored after the run started stay for the next.
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
  private final String audit;

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
    this.audit = audit ? "1" : "0";
  }

  /**
   * Drains with a sink that completes its future once a batch is safely out (printed and flushed,
   * written to the response); only then is the batch deleted.
   */
  public Future<Result> drain(Function<List<ErrorEntry>, Future<Void>> sink) {
    Run run = new Run("drain-" + UUID.randomUUID(), sink);
    return snapshot().compose(run::start);
  }

  private Future<String> snapshot() {
    return redis.send(Request.cmd(Command.XREVRANGE).arg(keys.errors()).arg("+").arg("-").arg("COUNT").arg(1))
        .map(r -> r == null || r.size() == 0 ? "0-0" : r.get(0).get(0).toString());
  }

  private final class Run {
    private final String id;
    private final Function<List<ErrorEntry>, Future<Void>> sink;
    private final Promise<Result> result = Promise.promise();
    private String snapshot;
    private long delivered;
    private long deleted;
    private long waitUntilMs = -1;
    private long renewTimer = -1;

    Run(String id, Function<List<ErrorEntry>, Future<Void>> sink) {
      this.id = id;
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
      redis.eval(Scripts.DRAIN_CLAIM, List.of(keys.errors(), keys.drainers()),
              List.of(Keys.DRAIN_GROUP, id, Long.toString(leaseMs), snapshot, Integer.toString(batch)))
          .onSuccess(this::onClaim)
          .onFailure(this::fail);
    }

    private void onClaim(Response reply) {
      Response records = reply.get(0);
      String status = reply.get(1).toString();
      if (records.size() > 0) {
        waitUntilMs = -1;
        List<ErrorEntry> entries = new ArrayList<>(records.size());
        for (Response e : records) {
          entries.add(ErrorEntry.of(e));
        }
        sink.apply(entries)
            .compose(v -> {
              delivered += entries.size();
              return ack(entries);
            })
            .onSuccess(n -> {
              deleted += n;
              next();
            })
            .onFailure(this::fail);
        return;
      }
      if ("waiting".equals(status)) {
        // records held by other runs: wait until they delete them or their leases lapse (a killed
        // run), then claim; a run still renewing its lease is alive and keeps its records
        long now = System.nanoTime() / 1_000_000;
        if (waitUntilMs < 0) {
          waitUntilMs = now + reply.get(2).toLong() + POLL_MS;
        }
        if (now <= waitUntilMs) {
          vertx.setTimer(POLL_MS, t -> next());
          return;
        }
      }
      end();
    }

    private Future<Long> ack(List<ErrorEntry> entries) {
      List<String> args = new ArrayList<>(4 + entries.size() * 2);
      args.add(Keys.DRAIN_GROUP);
      args.add(id);
      args.add(Long.toString(leaseMs));
      args.add(audit);
      for (ErrorEntry e : entries) {
        args.add(e.errorId());
        args.add(e.isRaw() ? "" : String.valueOf(e.record().getValue("id", "")));
      }
      return redis.eval(Scripts.DRAIN_ACK, List.of(keys.errors(), keys.drainers(), keys.auditDrained(),
              keys.auditPublished(), keys.auditCommitted()), args)
          .map(Response::toLong);
    }

    private void end() {
      redis.eval(Scripts.DRAIN_END, List.of(keys.errors(), keys.drainers()), List.of(Keys.DRAIN_GROUP, id))
          .compose(v -> redis.send(Request.cmd(Command.XPENDING).arg(keys.errors()).arg(Keys.DRAIN_GROUP)))
          .map(summary -> summary == null || summary.size() == 0 ? 0L : summary.get(0).toLong())
          .recover(e -> Future.succeededFuture(0L))
          .onSuccess(held -> result.tryComplete(new Result(delivered, deleted, held)));
    }

    private void fail(Throwable e) {
      // give up what this run still holds so the next run need not wait for its lease
      redis.eval(Scripts.DRAIN_END, List.of(keys.errors(), keys.drainers()), List.of(Keys.DRAIN_GROUP, id))
          .onComplete(ar -> result.tryFail(e));
    }
  }
}
