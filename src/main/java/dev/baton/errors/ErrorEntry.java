package dev.baton.errors;

import dev.baton.redis.Replies;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One entry of the errors stream: a JSON error record as handlers write it, or, when a third party
 * wrote something else there, the raw text (shown as-is and still drained).
 */
public record ErrorEntry(String errorId, JsonObject record, String raw) {

  public static ErrorEntry of(Response entry) {
    String errorId = entry.get(0).toString();
    Map<String, String> fields = Replies.pairs(entry.size() > 1 ? entry.get(1) : null);
    String recordText = fields.get("record");
    StringJoiner all = new StringJoiner(" ");
    fields.forEach((name, value) -> all.add(name + "=" + value));
    if (recordText != null) {
      try {
        return new ErrorEntry(errorId, new JsonObject(recordText), null);
      } catch (RuntimeException notJson) {
        return new ErrorEntry(errorId, null, recordText);
      }
    }
    return new ErrorEntry(errorId, null, all.toString());
  }

  public boolean isRaw() {
    return record == null;
  }

  /** Every field, plus {@code errorId}; a raw entry as {@code {"errorId", "raw"}}. */
  public JsonObject toJson() {
    if (record == null) {
      return new JsonObject().put("errorId", errorId).put("raw", raw);
    }
    return record.copy().put("errorId", errorId);
  }

  /**
   * One line: message id, message time (ISO-8601), text, and the handler's reason with its details
   * (JSON) when the record has them; tabs and newlines escaped.
   */
  public String toLine() {
    if (record == null) {
      return errorId + "\t-\t" + oneLine("(raw) " + raw);
    }
    Object ts = record.getValue("ts");
    String time =
        ts instanceof Number n
            ? Instant.ofEpochMilli(n.longValue()).toString()
            : String.valueOf(ts);
    String line =
        record.getValue("id", errorId)
            + "\t"
            + time
            + "\t"
            + oneLine(String.valueOf(record.getValue("text")));
    if (record.getValue("reason") != null) {
      Object details = record.getValue("details");
      line +=
          "\t"
              + oneLine(
                  record.getValue("reason")
                      + (details instanceof JsonObject d ? " " + d.encode() : ""));
    }
    return line;
  }

  private static String oneLine(String s) {
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
  }
}
