package dev.baton.handler;

import dev.baton.common.VertxInternals;
import dev.baton.redis.Fields;
import dev.baton.redis.MessageId;
import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A stream entry as the messages it holds, or the reason it holds none. Two shapes:
 *
 * <ul>
 *   <li>one message: fields {@code gen}, {@code epoch}, {@code seq}, {@code ts}, {@code text}; the
 *       message id is the entry id (what a generator writes at a cadence), or the entry's {@code
 *       id} field when it has one: a dead letter put back by {@code deadLetters --replay} keeps its
 *       id, and its {@code attempts} field counts the attempts made before;
 *   <li>a pack: fields {@code gen}, {@code epoch}, {@code seq} (of its first message), {@code ts},
 *       {@code n} and {@code texts}, the n texts joined by {@value #SEPARATOR_NAME}; message {@code
 *       i} (from 0) has id {@code <entry id>/<i>} ({@link MessageId}) and seq {@code seq + i}.
 * </ul>
 *
 * Decoding works on the reply's bytes: the texts of a pack are located by one scan for the
 * separator and checked in one pass, and strings are made only for what is kept (the message id and
 * fields of an error record). An entry whose shared fields are unusable is not a message at all
 * ({@link #problem()}); in a pack that is sound, one bad text makes only that message unusable
 * ({@link #problem(int)}).
 */
public final class StreamEntry {
  /**
   * Longest text a handler accepts by default ({@code generator.maxMessageBytes}); longer ones are
   * dead-lettered.
   */
  public static final int MAX_TEXT_BYTES = 64 * 1024;

  /**
   * Most messages a pack may claim ({@code n}); generators write at most {@code
   * generator.packSize}.
   */
  public static final int MAX_MESSAGES = 100_000;

  /** Between two texts of a pack: a generator's texts never contain it. */
  public static final byte SEPARATOR = '\n';

  static final String SEPARATOR_NAME = "a line feed";

  private final String entryId;
  private final boolean packed;
  private final Buffer gen;
  private final long epoch;
  private final long seq;
  private final long ts;
  private final Buffer text;

  /** Message i is text[starts[i], starts[i + 1] - 1); for one message, {0, length + 1}. */
  private final int[] starts;

  private final String problem;
  private String[] problems;
  private String genString;

  /** A replayed message's own id (its {@code id} field), else null. */
  private String replayedId;

  /** Attempts made at a replayed message before it was put back (its {@code attempts} field). */
  private int priorAttempts;

  private StreamEntry(
      String entryId,
      boolean packed,
      Buffer gen,
      long epoch,
      long seq,
      long ts,
      Buffer text,
      int[] starts,
      String problem) {
    this.entryId = entryId;
    this.packed = packed;
    this.gen = gen;
    this.epoch = epoch;
    this.seq = seq;
    this.ts = ts;
    this.text = text;
    this.starts = starts;
    this.problem = problem;
  }

  private static StreamEntry invalid(String entryId, String problem) {
    return new StreamEntry(entryId, false, null, 0, 0, 0, null, null, problem);
  }

  public String entryId() {
    return entryId;
  }

  /** Whether the entry is a pack (its message ids are {@code <entry id>/<i>}). */
  public boolean packed() {
    return packed;
  }

  /**
   * True when the entry holds messages; false when it is dead-lettered whole ({@link #problem()}).
   */
  public boolean valid() {
    return problem == null;
  }

  /** Why the entry as a whole is not a message or a pack of them (null when it is). */
  public String problem() {
    return problem;
  }

  /**
   * Messages in the entry: 1 for the single shape (and for an invalid entry, a unit of its own).
   */
  public int count() {
    return starts == null ? 1 : starts.length - 1;
  }

  /** Why message {@code i} of a valid entry cannot be handled (null when it can). */
  public String problem(int i) {
    return problems == null ? null : problems[i];
  }

  public String messageId(int i) {
    return packed ? MessageId.ofPack(entryId, i) : replayedId != null ? replayedId : entryId;
  }

  /** Attempts made before this entry was added: a replayed dead letter's, else 0. */
  public int priorAttempts() {
    return priorAttempts;
  }

  public long epoch() {
    return epoch;
  }

  public long seq(int i) {
    return seq + i;
  }

  /** Publish time, Redis server clock (ms), shared by the messages of a pack. */
  public long ts() {
    return ts;
  }

  public String gen() {
    if (genString == null) {
      genString = gen.toString(StandardCharsets.UTF_8);
    }
    return genString;
  }

  public String text(int i) {
    return text.getString(starts[i], starts[i + 1] - 1, "UTF-8");
  }

  /** The raw bytes of message {@code i}'s text (also when it is not valid UTF-8). */
  public byte[] textBytes(int i) {
    return text.getBytes(starts[i], starts[i + 1] - 1);
  }

  /** The error record kept in Redis: message {@code i} plus who judged it and when. */
  public JsonObject errorRecord(int i, String handlerNodeId, long detectedAtMs) {
    return new JsonObject()
        .put("id", messageId(i))
        .put(Fields.GEN, gen())
        .put(Fields.EPOCH, epoch)
        .put("seq", seq + i)
        .put("ts", ts)
        .put("text", text(i))
        .put("handler", handlerNodeId)
        .put("detectedAt", detectedAtMs);
  }

  /**
   * Message {@code i}'s dead letter as commit.lua takes it for a message of a pack: the reason, the
   * attempts made, then its fields gen, epoch, seq, ts and text.
   */
  public List<Object> deadLetterFields(int i, String reason, int attempts) {
    return List.of(
        reason,
        Integer.toString(attempts),
        gen.getBytes(),
        Long.toString(epoch),
        Long.toString(seq + i),
        Long.toString(ts),
        textBytes(i));
  }

  /**
   * {@link #parse(Response, int)} with the default limit of {@value #MAX_TEXT_BYTES} bytes a text.
   */
  public static StreamEntry parse(Response entry) {
    return parse(entry, MAX_TEXT_BYTES);
  }

  /**
   * Reads one {@code [id, [field, value, ...]]} entry, texts of up to {@code maxTextBytes}; never
   * throws on hostile input.
   */
  public static StreamEntry parse(Response entry, int maxTextBytes) {
    String id = entry.get(0).toString();
    Response fields = entry.size() > 1 ? entry.get(1) : null;
    if (fields == null) {
      return invalid(id, "the entry was deleted while pending");
    }
    Buffer gen = null;
    Buffer epoch = null;
    Buffer seq = null;
    Buffer ts = null;
    Buffer text = null;
    Buffer n = null;
    Buffer texts = null;
    Buffer replayedId = null;
    Buffer attempts = null;
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      Response name = fields.get(i);
      Response value = fields.get(i + 1);
      if (name == null || value == null) {
        continue;
      }
      Buffer f = name.toBuffer();
      if (is(f, Fields.GEN)) {
        gen = value.toBuffer();
      } else if (is(f, Fields.EPOCH)) {
        epoch = value.toBuffer();
      } else if (is(f, "seq")) {
        seq = value.toBuffer();
      } else if (is(f, "ts")) {
        ts = value.toBuffer();
      } else if (is(f, "text")) {
        text = value.toBuffer();
      } else if (is(f, Fields.N)) {
        n = value.toBuffer();
      } else if (is(f, "texts")) {
        texts = value.toBuffer();
      } else if (is(f, "id")) {
        replayedId = value.toBuffer();
      } else if (is(f, "attempts")) {
        attempts = value.toBuffer();
      }
    }
    StreamEntry pack = decode(id, gen, epoch, seq, ts, text, n, texts, maxTextBytes);
    if (pack.valid() && (replayedId != null || attempts != null)) {
      return pack.replayed(replayedId, attempts);
    }
    return pack;
  }

  /** This entry as a replayed message: its own id and the attempts made before the replay. */
  private StreamEntry replayed(Buffer id, Buffer attempts) {
    if (packed) {
      return invalid(entryId, "a pack cannot be a replayed message (fields 'id'/'attempts')");
    }
    if (id == null || id.length() == 0 || !validUtf8(id, 0, id.length())) {
      return invalid(entryId, "field 'id' of a replayed message is missing or not UTF-8");
    }
    long prior;
    try {
      prior = attempts == null ? 0 : number("attempts", attempts);
    } catch (IllegalArgumentException e) {
      return invalid(entryId, e.getMessage());
    }
    if (prior < 0 || prior > Integer.MAX_VALUE / 2) {
      return invalid(entryId, "field 'attempts' is out of range: " + prior);
    }
    replayedId = id.toString(StandardCharsets.UTF_8);
    priorAttempts = (int) prior;
    return this;
  }

  /** The fields of one entry, each null when absent; see {@link #parse}. */
  public static StreamEntry decode(
      String id,
      Buffer gen,
      Buffer epoch,
      Buffer seq,
      Buffer ts,
      Buffer text,
      Buffer n,
      Buffer texts) {
    return decode(id, gen, epoch, seq, ts, text, n, texts, MAX_TEXT_BYTES);
  }

  static StreamEntry decode(
      String id,
      Buffer gen,
      Buffer epoch,
      Buffer seq,
      Buffer ts,
      Buffer text,
      Buffer n,
      Buffer texts,
      int maxTextBytes) {
    boolean packed = n != null || texts != null;
    if (gen == null || gen.length() == 0) {
      return invalid(id, "missing field 'gen'");
    }
    if (packed && text != null) {
      return invalid(
          id, "has both 'text' (one message) and '" + (n != null ? "n" : "texts") + "' (a pack)");
    }
    Buffer body = packed ? texts : text;
    if (body == null) {
      return invalid(id, packed ? "missing field 'texts'" : "missing field 'text'");
    }
    if (!validUtf8(gen, 0, gen.length())) {
      return invalid(id, "field 'gen' is not valid UTF-8");
    }
    long epochValue;
    long seqValue;
    long tsValue;
    long count;
    try {
      epochValue = number("epoch", epoch);
      seqValue = number("seq", seq);
      tsValue = number("ts", ts);
      count = packed ? number("n", n) : 1;
    } catch (IllegalArgumentException e) {
      return invalid(id, e.getMessage());
    }
    if (!packed) {
      return single(id, gen, epochValue, seqValue, tsValue, text, maxTextBytes);
    }
    if (count < 1 || count > MAX_MESSAGES) {
      return invalid(id, "field 'n' must be within [1, " + MAX_MESSAGES + "], got " + count);
    }
    int[] starts = split(texts, (int) count);
    if (starts == null) {
      return invalid(id, "field 'texts' does not hold the " + count + " texts field 'n' announces");
    }
    StreamEntry pack =
        new StreamEntry(id, true, gen, epochValue, seqValue, tsValue, texts, starts, null);
    pack.checkTexts(maxTextBytes);
    return pack;
  }

  /** One message whose shared fields are sound: its text checked. */
  private static StreamEntry single(
      String id, Buffer gen, long epoch, long seq, long ts, Buffer text, int maxTextBytes) {
    if (text.length() > maxTextBytes) {
      return invalid(id, "field 'text' has " + text.length() + " bytes, more than " + maxTextBytes);
    }
    if (!validUtf8(text, 0, text.length())) {
      return invalid(id, "field 'text' is not valid UTF-8");
    }
    return new StreamEntry(
        id, false, gen, epoch, seq, ts, text, new int[] {0, text.length() + 1}, null);
  }

  /**
   * Start offsets of exactly {@code count} texts (plus the end sentinel), or null when there are
   * more or fewer.
   */
  private static int[] split(Buffer texts, int count) {
    ByteBuf buf = VertxInternals.byteBuf(texts);
    int from = buf.readerIndex();
    int to = buf.writerIndex();
    int[] starts = new int[count + 1];
    int at = from;
    for (int i = 1; i < count; i++) {
      int sep = buf.indexOf(at, to, SEPARATOR);
      if (sep < 0) {
        return null;
      }
      starts[i] = sep + 1 - from;
      at = sep + 1;
    }
    if (buf.indexOf(at, to, SEPARATOR) >= 0) {
      return null;
    }
    starts[count] = to - from + 1;
    return starts;
  }

  /** One pass when the texts are ASCII (what generators write); otherwise each text on its own. */
  private void checkTexts(int maxTextBytes) {
    int n = count();
    boolean ascii = VertxInternals.byteBuf(text).forEachByte(ASCII) == -1;
    for (int i = 0; i < n; i++) {
      int length = starts[i + 1] - 1 - starts[i];
      String why = null;
      if (length > maxTextBytes) {
        why = "text has " + length + " bytes, more than " + maxTextBytes;
      } else if (!ascii && !validUtf8(text, starts[i], starts[i + 1] - 1)) {
        why = "text is not valid UTF-8";
      }
      if (why != null) {
        if (problems == null) {
          problems = new String[n];
        }
        problems[i] = why;
      }
    }
  }

  private static boolean is(Buffer b, String ascii) {
    int n = ascii.length();
    if (b.length() != n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (b.getByte(i) != ascii.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static long number(String name, Buffer value) {
    if (value == null) {
      throw new IllegalArgumentException("missing field '" + name + "'");
    }
    int n = value.length();
    boolean negative = n > 0 && value.getByte(0) == '-';
    int start = negative ? 1 : 0;
    long result = 0;
    boolean ok = n > start && n - start <= 18;
    for (int i = start; ok && i < n; i++) {
      int d = value.getByte(i) - '0';
      if (d < 0 || d > 9) {
        ok = false;
      } else {
        result = result * 10 + d;
      }
    }
    if (!ok) {
      String shown = value.toString(StandardCharsets.UTF_8);
      shown = shown.length() > 40 ? shown.substring(0, 40) + "…" : shown;
      throw new IllegalArgumentException(
          "field '" + name + "' is not a whole number: '" + shown + "'");
    }
    return negative ? -result : result;
  }

  /** ASCII is recognised in one pass; anything else is decoded strictly. */
  private static boolean validUtf8(Buffer b, int from, int to) {
    ByteBuf buf = VertxInternals.byteBuf(b);
    int base = buf.readerIndex();
    if (buf.forEachByte(base + from, to - from, ASCII) == -1) {
      return true;
    }
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(buf.nioBuffer(base + from, to - from));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static final ByteProcessor ASCII = value -> value >= 0;
}
