package dev.baton.handler;

import io.netty.util.ByteProcessor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A message read from the stream, or the reason it cannot be one. Parsing works on the reply's
 * bytes and makes strings only for what is kept (the id; the fields when an error record is
 * written): handlers parse every message, and most are only acknowledged.
 */
public final class Message {
  /** Longest text a handler accepts; longer entries are dead-lettered. */
  public static final int MAX_TEXT_BYTES = 64 * 1024;

  private final String id;
  private final Buffer gen;
  private final long epoch;
  private final long seq;
  private final long ts;
  private final Buffer text;
  private final String problem;

  private Message(String id, Buffer gen, long epoch, long seq, long ts, Buffer text, String problem) {
    this.id = id;
    this.gen = gen;
    this.epoch = epoch;
    this.seq = seq;
    this.ts = ts;
    this.text = text;
    this.problem = problem;
  }

  public String id() {
    return id;
  }

  public boolean valid() {
    return problem == null;
  }

  /** Why the entry is not a message (null when it is one). */
  public String problem() {
    return problem;
  }

  public long epoch() {
    return epoch;
  }

  public long seq() {
    return seq;
  }

  /** Publish time, Redis server clock (ms). */
  public long ts() {
    return ts;
  }

  public String gen() {
    return gen.toString(StandardCharsets.UTF_8);
  }

  public String text() {
    return text.toString(StandardCharsets.UTF_8);
  }

  private static Message invalid(String id, String problem) {
    return new Message(id, null, 0, 0, 0, null, problem);
  }

  /** Reads one {@code [id, [field, value, ...]]} entry; never throws on hostile input. */
  public static Message parse(Response entry) {
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
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      Response name = fields.get(i);
      Response value = fields.get(i + 1);
      if (name == null || value == null) {
        continue;
      }
      Buffer n = name.toBuffer();
      if (is(n, "gen")) {
        gen = value.toBuffer();
      } else if (is(n, "epoch")) {
        epoch = value.toBuffer();
      } else if (is(n, "seq")) {
        seq = value.toBuffer();
      } else if (is(n, "ts")) {
        ts = value.toBuffer();
      } else if (is(n, "text")) {
        text = value.toBuffer();
      }
    }
    if (gen == null || gen.length() == 0) {
      return invalid(id, "missing field 'gen'");
    }
    if (text == null) {
      return invalid(id, "missing field 'text'");
    }
    if (text.length() > MAX_TEXT_BYTES) {
      return invalid(id, "field 'text' has " + text.length() + " bytes, more than " + MAX_TEXT_BYTES);
    }
    if (!validUtf8(text) || !validUtf8(gen)) {
      return invalid(id, "field '" + (validUtf8(gen) ? "text" : "gen") + "' is not valid UTF-8");
    }
    long epochValue;
    long seqValue;
    long tsValue;
    try {
      epochValue = number("epoch", epoch);
      seqValue = number("seq", seq);
      tsValue = number("ts", ts);
    } catch (IllegalArgumentException e) {
      return invalid(id, e.getMessage());
    }
    return new Message(id, gen, epochValue, seqValue, tsValue, text, null);
  }

  /** The error record kept in Redis: the whole message plus who judged it and when. */
  public JsonObject errorRecord(String handlerNodeId, long detectedAtMs) {
    return new JsonObject()
        .put("id", id)
        .put("gen", gen())
        .put("epoch", epoch)
        .put("seq", seq)
        .put("ts", ts)
        .put("text", text())
        .put("handler", handlerNodeId)
        .put("detectedAt", detectedAtMs);
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
      throw new IllegalArgumentException("field '" + name + "' is not a whole number: '" + shown + "'");
    }
    return negative ? -result : result;
  }

  /** ASCII (what generators write) is recognised in one pass; anything else is decoded strictly. */
  private static boolean validUtf8(Buffer b) {
    if (((BufferInternal) b).getByteBuf().forEachByte(ASCII) == -1) {
      return true;
    }
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b.getBytes()));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static final ByteProcessor ASCII = value -> value >= 0;
}
