package dev.baton.generator;

import dev.baton.generator.Publisher.Outcome;
import dev.baton.generator.Publisher.Status;
import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.redis.Script;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code publish.lua}, typed: the fenced XADD of one call's messages. Its keys, arguments and reply
 * are stated here only.
 */
public final class PublishScript {
  public static final Script SCRIPT = Script.load("publish", "ledger");

  /** The benchmark's name for its calls ({@code bench.Monitor}). */
  public static final String KIND = "publish";

  /** The form of the entries (ARGV[6]): one stream entry per message. */
  public static final String ENTRIES = "0";

  /** Alternately a message count and the texts of a pack. */
  public static final String PACKS = "1";

  /** A source's tick: its number, then one stream entry per message, published at most once. */
  public static final String TICK = "t";

  private PublishScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(
        keys.leader(),
        keys.epoch(),
        keys.messages(),
        keys.stats(),
        keys.auditPublished(),
        keys.tick());
  }

  /**
   * {@code nodeId} publishes under {@code epoch} (fenced), refused past {@code maxBacklog}; the
   * first message is numbered {@code firstSeq}; {@code entries} in the given {@code form}.
   */
  public static List<Object> args(
      String nodeId,
      long epoch,
      long maxBacklog,
      long firstSeq,
      boolean audit,
      String form,
      List<?> entries) {
    List<Object> args = new ArrayList<>(6 + entries.size());
    args.add(nodeId);
    args.add(Long.toString(epoch));
    args.add(Long.toString(maxBacklog));
    args.add(Long.toString(firstSeq));
    args.add(Script.flag(audit));
    args.add(form);
    args.addAll(entries);
    return args;
  }

  static Outcome reply(Response r) {
    long code = Replies.toLong(r.get(0), 0);
    if (code == -1) {
      return new Outcome(Status.FENCED, 0, 0, 0, null);
    }
    if (code == -2) {
      return new Outcome(Status.BACKLOG_FULL, Replies.toLong(r.get(1), 0), 0, 0, null);
    }
    if (code == -3) {
      return new Outcome(
          Status.ALREADY_PUBLISHED, 0, 0, (int) Replies.toLong(r.get(1), 0), Replies.str(r.get(2)));
    }
    return new Outcome(
        Status.PUBLISHED,
        Replies.toLong(r.get(1), 0),
        Replies.toLong(r.get(2), 0),
        (int) Replies.toLong(r.get(3), 0),
        Replies.str(r.get(4)));
  }
}
