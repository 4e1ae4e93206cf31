package dev.baton.redis;

/**
 * The field names of Baton's streams, shared by the code that reads them: a message entry's (the
 * codec, handler/StreamEntry), the audit ledger's and the error records' (verify). The Lua scripts
 * that write them (publish.lua, commit.lua, replay.lua, drain-ack.lua, lib/dead-letter.lua) use the
 * same names.
 */
public final class Fields {
  /** The generator that published an entry (a message entry's and a published ledger entry's). */
  public static final String GEN = "gen";

  /** The lease epoch an entry was published under. */
  public static final String EPOCH = "epoch";

  /** A pack's message count: in a pack entry and in its published and committed ledger entries. */
  public static final String N = "n";

  /** A ledger entry's message id (an entry id for a pack, see {@link MessageId}). */
  public static final String MSG = "msg";

  /** A committed ledger entry's outcome for one message: ok, error or dead. */
  public static final String KIND = "kind";

  /** A committed pack's outcomes, one character per message (see {@link #kind(char)}). */
  public static final String KINDS = "kinds";

  /** A published ledger entry of a replay: the message id it puts back. */
  public static final String REPLAY_OF = "replayOf";

  /** A drained ledger entry: the error record it drained. */
  public static final String ERROR_ID = "errorId";

  /** An error-stream entry: the error record as JSON, whose {@code id} is the message id. */
  public static final String RECORD = "record";

  private Fields() {}

  /** The kind a character of {@link #KINDS} stands for ({@code o}, {@code e}, {@code d}). */
  public static String kind(char c) {
    return switch (c) {
      case 'o' -> "ok";
      case 'e' -> "error";
      case 'd' -> "dead";
      default -> "unknown";
    };
  }
}
