package dev.baton.redis;

/**
 * The message-id format, the one Java home of it: a message alone in a stream entry has the entry's
 * id ({@code 1700000000000-0}, or a replay's own {@code id} field); message {@code i} (from 0) of a
 * pack in entry {@code E} has {@code E/i}. commit.lua and lib/dead-letter.lua build the same ids.
 */
public final class MessageId {
  /** Between a pack's entry id and a message's index. */
  public static final char SEPARATOR = '/';

  private MessageId() {}

  /** {@code <entryId>/<i>}: message {@code i} of the pack in that entry. */
  public static String ofPack(String entryId, long i) {
    return entryId + SEPARATOR + i;
  }

  /** The stream entry a message id names: the part before the slash, or the id itself. */
  public static String entryId(String messageId) {
    int slash = messageId.indexOf(SEPARATOR);
    return slash < 0 ? messageId : messageId.substring(0, slash);
  }

  /** The Redis-clock millisecond of a stream id ({@code <ms>-<seq>}), or -1 when it has none. */
  public static long millis(String streamId) {
    int dash = streamId.indexOf('-');
    return Replies.parseLong(dash < 0 ? streamId : streamId.substring(0, dash), -1);
  }
}
