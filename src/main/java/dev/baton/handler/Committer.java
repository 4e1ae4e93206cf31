package dev.baton.handler;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Commits a batch of handled stream entries with one script call: per entry XACK, and only when the
 * XACK returned 1 the effects of every message it holds (error records, dead letters, counters) and
 * XDEL — and only while the entry is still pending on this consumer under the delivery it was
 * handled under (the claim fences the commit). Two handlers racing for one entry can both call
 * this; at most one of them commits it, so each message's effects happen once, and a pack's
 * messages together.
 */
public final class Committer {
  /** What to do with one message. */
  public enum Kind {
    OK('o'),
    ERROR('e'),
    DEAD('d');

    final byte wire;

    Kind(char wire) {
      this.wire = (byte) wire;
    }
  }

  /**
   * How the messages of one stream entry were judged, built message by message in entry order.
   * {@code packSize} is the number of messages of a pack, 0 for an entry that is one message (its
   * message id is the entry id); {@code ts} the publish time (0 when unknown).
   */
  public static final class Judged {
    final String entryId;
    final int packSize;
    final long ts;

    /** The delivery count the entry was handled under: the claim the commit is fenced with. */
    int deliveries = 1;

    private final byte[] kinds;
    private final List<Object> payloads = new ArrayList<>(2);
    private int size;
    private int errors;
    private int dead;

    public Judged(String entryId, int packSize, long ts) {
      this.entryId = entryId;
      this.packSize = packSize;
      this.ts = ts;
      this.kinds = new byte[Math.max(1, packSize)];
    }

    /**
     * Handled under the entry's {@code deliveries}-th delivery (1 unless retried or taken over).
     */
    public Judged under(int deliveries) {
      this.deliveries = deliveries;
      return this;
    }

    /** An entry that is not a message at all, dead-lettered whole for {@code reason}. */
    public static Judged unusable(String entryId, String reason) {
      return new Judged(entryId, 0, 0).dead(reason, 0);
    }

    public Judged ok() {
      kinds[size++] = Kind.OK.wire;
      return this;
    }

    /** The next message is an error: {@code record} is its error record (JSON). */
    public Judged error(String record) {
      kinds[size++] = Kind.ERROR.wire;
      payloads.add(record);
      errors++;
      return this;
    }

    /**
     * The next message is dead-lettered after {@code attempts} attempts; in an entry that is one
     * message its fields are copied in Redis.
     */
    public Judged dead(String reason, int attempts) {
      if (packSize > 0) {
        throw new IllegalStateException("a dead message of a pack needs its fields");
      }
      kinds[size++] = Kind.DEAD.wire;
      payloads.add(reason);
      payloads.add(Integer.toString(attempts));
      dead++;
      return this;
    }

    /**
     * The next message of a pack is dead-lettered: {@code deadLetter} is its reason, attempts and
     * fields ({@link StreamEntry#deadLetterFields}).
     */
    public Judged dead(List<Object> deadLetter) {
      kinds[size++] = Kind.DEAD.wire;
      payloads.addAll(deadLetter);
      dead++;
      return this;
    }

    public String entryId() {
      return entryId;
    }

    /** Messages judged so far. */
    public int size() {
      return size;
    }

    public int errors() {
      return errors;
    }

    public int dead() {
      return dead;
    }

    boolean plain() {
      return packSize == 0 && size == 1 && kinds[0] == Kind.OK.wire;
    }

    /** One byte per message judged, as {@code commit.lua} reads them. */
    byte[] kinds() {
      return kinds;
    }

    /** The error records and dead letters' reasons (and fields), in message order. */
    List<Object> payloads() {
      return payloads;
    }
  }

  private final RedisOps redis;
  private final Keys keys;
  private final String nodeId;
  private final boolean audit;

  public Committer(RedisOps redis, Keys keys, String nodeId, boolean audit) {
    this.redis = redis;
    this.keys = keys;
    this.nodeId = nodeId;
    this.audit = audit;
  }

  /**
   * What one commit call did: how many of the plain entries (one message, judged fine) it committed
   * (the script counts them, it cannot say which), and for each other entry whether it committed
   * it.
   */
  public record Result(int plainTotal, long plainCommitted, List<EntryResult> others) {
    /** Whether this call committed every plain entry it was given. */
    public boolean allPlainCommitted() {
      return plainCommitted == plainTotal;
    }
  }

  /** One entry that was not plain, and whether this call committed it. */
  public record EntryResult(Judged entry, boolean committed) {}

  /** {@code reclaimed} marks entries taken over from another consumer (recorded in the ledger). */
  public Future<Result> commit(List<Judged> entries, boolean reclaimed) {
    if (entries.isEmpty()) {
      return Future.succeededFuture(new Result(0, 0, List.of()));
    }
    return redis
        .eval(
            CommitScript.SCRIPT,
            CommitScript.keys(keys),
            CommitScript.args(nodeId, audit, reclaimed, entries))
        .map(r -> CommitScript.reply(r.toString(), entries));
  }
}
