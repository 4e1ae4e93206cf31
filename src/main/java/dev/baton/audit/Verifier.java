package dev.baton.audit;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Checks the audit ledger the way Jepsen's total-queue checker does, message by message (a pack's
 * ledger entries name its n messages, {@code <entry id>/<i>}): every published message must be
 * committed exactly once or still be in flight; nothing may be committed that was never published;
 * no epoch may publish after a newer one did (split brain); and the error records must be exactly
 * the committed messages judged errors, each once. It counts, it never assumes: a duplicate
 * injected into the ledger is reported like a real one.
 *
 * <p>A replay ({@code deadLetters --replay}: a published entry with {@code replayOf}, the message
 * it puts back) is a message of its own, its entry id, committed exactly once like any other; the
 * original stays counted once, committed dead. A replay keeps its message's epoch, so it takes no
 * part in the split-brain check; it keeps its message's id too, so the error record of a replay
 * judged an error names the original and is matched through {@code replayOf}. A message put back
 * more often than it and its replays were dead-lettered counts as duplicated.
 *
 * <p>It may run while nodes work: it checks the cluster as of one instant, the cutoff (a Redis
 * {@code TIME} reading, see {@link LedgerReader}), and reads in an order that makes later work
 * harmless. Every entry of the ledger and of the streams carries its Redis-clock millisecond in its
 * id, and every write with a millisecond up to the cutoff was done before the first read. So it
 * takes the messages published by the cutoff, and judges each by everything read afterwards (a
 * message committed since was pending at the cutoff); a commit or an error record made after the
 * cutoff is counted only for a message published by then. Reads go published, stream, committed,
 * error records, drained records: a message not in the stream when it is read was committed before
 * (and that commit is read next) or it is lost; a record drained while the errors are read shows in
 * one of the two reads or both, and records are told apart by their id. This assumes the Redis
 * clock does not step back during a run.
 *
 * <p>Without a ledger, or with nothing published or committed by the cutoff, there is nothing to
 * verify, and the report says so ({@code ledger}: false, {@code ok}: false). A ledger that Redis
 * lost part of (see {@link Completeness}) is never OK, whatever its counts show: {@code complete}
 * false and {@code incomplete} says why.
 *
 * <p>The work is split by job: {@link LedgerReader} reads Redis into a {@link Ledger}, {@link
 * LedgerCheck} judges it (pure, one method per verdict), {@link VerifyReport} holds the result and
 * prints it as text or JSON.
 */
public final class Verifier {
  private final LedgerReader reader;

  public Verifier(RedisOps redis, Keys keys) {
    this.reader = new LedgerReader(redis, keys);
  }

  /**
   * Reads the ledger, runs every check and returns the report (see {@link VerifyReport#passed}).
   */
  public Future<VerifyReport> verify() {
    return reader
        .read()
        .compose(
            ledger -> {
              // a million messages take seconds to count: off the event loop when there is one
              Context context = Vertx.currentContext();
              return !ledger.exists() || context == null
                  ? Future.succeededFuture(LedgerCheck.check(ledger))
                  : context.executeBlocking(() -> LedgerCheck.check(ledger));
            });
  }
}
