package dev.baton.deadletter;

import dev.baton.redis.Replies;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One entry of {@code {p}:dead-letter} as lib/dead-letter.lua writes it: the message id, the
 * reason, the attempts made at the message, the handler that gave up, and the message's fields
 * (stored prefixed {@code field:}). Anything else a third party wrote there is kept in {@code
 * other}.
 */
public record DeadLetter(
    String deadLetterId,
    String messageId,
    String reason,
    String attempts,
    String handler,
    Map<String, String> fields,
    Map<String, String> other) {

  static final String FIELD = "field:";

  public static DeadLetter of(Replies.Entry entry) {
    Map<String, String> fields = new LinkedHashMap<>();
    Map<String, String> other = new LinkedHashMap<>();
    entry
        .fields()
        .forEach(
            (name, value) -> {
              if (name.startsWith(FIELD)) {
                fields.put(name.substring(FIELD.length()), value);
              } else if (!name.equals("messageId")
                  && !name.equals("reason")
                  && !name.equals("attempts")
                  && !name.equals("handler")) {
                other.put(name, value);
              }
            });
    Map<String, String> f = entry.fields();
    return new DeadLetter(
        entry.id(),
        f.get("messageId"),
        f.get("reason"),
        f.get("attempts"),
        f.get("handler"),
        fields,
        other);
  }

  /** The id a person names it by: its message id, or the entry id when it has none. */
  public String name() {
    return messageId == null ? deadLetterId : messageId;
  }

  /**
   * Every field: {@code deadLetterId}, {@code messageId}, {@code reason}, {@code attempts} (a
   * number when it is one), {@code handler}, {@code fields} (the message's, without the prefix),
   * and any other field as it is.
   */
  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    other.forEach(o::put);
    o.put("deadLetterId", deadLetterId).put("messageId", messageId).put("reason", reason);
    long n = Replies.parseLong(attempts, -1);
    o.put("attempts", n >= 0 ? (Object) n : attempts);
    o.put("handler", handler);
    JsonObject f = new JsonObject();
    fields.forEach(f::put);
    return o.put("fields", f);
  }

  /**
   * One line: message id, attempts, reason, text (tab-separated, text last; tabs and line breaks
   * escaped). A dead letter with no text was never a message: its fields are shown instead.
   */
  public String toLine() {
    String text = fields.get("text");
    if (text == null) {
      StringJoiner all = new StringJoiner(" ", "(not a message) ", "");
      fields.forEach((name, value) -> all.add(name + "=" + value));
      text = all.toString();
    }
    return oneLine(name())
        + "\t"
        + (attempts == null ? "-" : oneLine(attempts))
        + "\t"
        + oneLine(reason == null ? "-" : reason)
        + "\t"
        + oneLine(text);
  }

  static String oneLine(String s) {
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
  }
}
