package dev.baton.generator;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/** The fenced publish: one script that XADDs only while the lease names this node and epoch. */
public final class Publisher {
  private final RedisOps redis;
  private final Keys keys;
  private final String nodeId;
  private final long epoch;
  private final long maxBacklog;
  private final boolean audit;

  /** What a publish call did. */
  public enum Status {
    PUBLISHED,
    FENCED,
    BACKLOG_FULL,
    /** The tick was published before, by a call whose reply was lost: nothing was added now. */
    ALREADY_PUBLISHED
  }

  /** The outcome: on {@code PUBLISHED} how many were added and the stream id of the last. */
  public record Outcome(Status status, long backlog, long ts, int count, String lastId) {}

  public Publisher(
      RedisOps redis, Keys keys, String nodeId, long epoch, long maxBacklog, boolean audit) {
    this.redis = redis;
    this.keys = keys;
    this.nodeId = nodeId;
    this.epoch = epoch;
    this.maxBacklog = maxBacklog;
    this.audit = audit;
  }

  /** One stream entry per message; {@code texts}: strings or byte arrays (UTF-8). */
  public Future<Outcome> publish(long firstSeq, List<?> texts) {
    return call(firstSeq, PublishScript.ENTRIES, texts);
  }

  /**
   * One pack entry per element of {@code packs}: alternately a message count and the texts of those
   * messages joined by {@link dev.baton.handler.StreamEntry#SEPARATOR} (a byte array).
   */
  public Future<Outcome> publishPacks(long firstSeq, List<?> packs) {
    return call(firstSeq, PublishScript.PACKS, packs);
  }

  /**
   * The texts a source gave for tick {@code tick} of this epoch, one stream entry each, published
   * at most once however often this is called for the same tick (ticks go in order, one at a time).
   */
  public Future<Outcome> publishTick(long firstSeq, long tick, List<String> texts) {
    List<Object> entries = new ArrayList<>(1 + texts.size());
    entries.add(Long.toString(tick));
    entries.addAll(texts);
    return call(firstSeq, PublishScript.TICK, entries);
  }

  private Future<Outcome> call(long firstSeq, String form, List<?> entries) {
    return redis
        .eval(
            PublishScript.SCRIPT,
            PublishScript.keys(keys),
            PublishScript.args(nodeId, epoch, maxBacklog, firstSeq, audit, form, entries))
        .map(PublishScript::reply);
  }
}
