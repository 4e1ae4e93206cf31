package dev.baton.handler;

import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** A message read from the stream, or the reason it cannot be one. */
public record Message(String id, String gen, long epoch, long seq, long ts, String text) {
  /** Longest text a handler accepts; longer entries are dead-lettered. */
  public static final int MAX_TEXT_BYTES = 64 * 1024;

  /** A stream entry: a valid message, or the reason it is not one. */
  public record Parsed(String id, Message message, String problem) {
    public boolean valid() {
      return message != null;
    }
  }

  /** Reads one {@code [id, [field, value, ...]]} entry; never throws on hostile input. */
  public static Parsed parse(Response entry) {
    String id = entry.get(0).toString();
    Response fields = entry.size() > 1 ? entry.get(1) : null;
    if (fields == null) {
      return new Parsed(id, null, "the entry was deleted while pending");
    }
    String gen = null;
    String epoch = null;
    String seq = null;
    String ts = null;
    byte[] text = null;
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      Response value = fields.get(i + 1);
      switch (fields.get(i).toString()) {
        case "gen" -> gen = str(value);
        case "epoch" -> epoch = str(value);
        case "seq" -> seq = str(value);
        case "ts" -> ts = str(value);
        case "text" -> text = value == null ? null : value.toBytes();
        default -> {
          // other fields are allowed and ignored
        }
      }
    }
    if (gen == null || gen.isEmpty()) {
      return new Parsed(id, null, "missing field 'gen'");
    }
    if (text == null) {
      return new Parsed(id, null, "missing field 'text'");
    }
    if (text.length > MAX_TEXT_BYTES) {
      return new Parsed(id, null, "field 'text' has " + text.length + " bytes, more than " + MAX_TEXT_BYTES);
    }
    String decoded = utf8(text);
    if (decoded == null) {
      return new Parsed(id, null, "field 'text' is not valid UTF-8");
    }
    long epochValue;
    long seqValue;
    long tsValue;
    try {
      epochValue = number("epoch", epoch);
      seqValue = number("seq", seq);
      tsValue = number("ts", ts);
    } catch (IllegalArgumentException e) {
      return new Parsed(id, null, e.getMessage());
    }
    return new Parsed(id, new Message(id, gen, epochValue, seqValue, tsValue, decoded), null);
  }

  /** The error record kept in Redis: the whole message plus who judged it and when. */
  public JsonObject errorRecord(String handlerNodeId, long detectedAtMs) {
    return new JsonObject()
        .put("id", id)
        .put("gen", gen)
        .put("epoch", epoch)
        .put("seq", seq)
        .put("ts", ts)
        .put("text", text)
        .put("handler", handlerNodeId)
        .put("detectedAt", detectedAtMs);
  }

  private static long number(String name, String value) {
    if (value == null) {
      throw new IllegalArgumentException("missing field '" + name + "'");
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      String shown = value.length() > 40 ? value.substring(0, 40) + "…" : value;
      throw new IllegalArgumentException("field '" + name + "' is not a whole number: '" + shown + "'");
    }
  }

  private static String str(Response r) {
    return r == null ? null : r.toString();
  }

  private static String utf8(byte[] bytes) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return decoder.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
