package dev.baton.errors;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Read-only access to the stored errors, in pages addressed by a cursor (a stream id). */
public final class ErrorStore {
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 10_000;

  /** A stream id as Redis writes it: two unsigned 64-bit numbers in plain digits. */
  private static final Pattern STREAM_ID =
      Pattern.compile("(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})");

  /**
   * The largest stream id: nothing can come after it (and Redis refuses it as an exclusive start).
   */
  private static final String LAST_ID = "18446744073709551615-18446744073709551615";

  private final RedisOps redis;
  private final Keys keys;

  /** A page of errors and the cursor of the next page (null on the last page). */
  public record Page(List<ErrorEntry> errors, String next) {}

  public ErrorStore(RedisOps redis, Keys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  /**
   * Whether {@code cursor} is a stream id Redis accepts, checked here so bad input never reaches
   * Redis.
   */
  public static boolean validCursor(String cursor) {
    var m = STREAM_ID.matcher(cursor);
    if (!m.matches()) {
      return false;
    }
    try {
      Long.parseUnsignedLong(m.group(1));
      Long.parseUnsignedLong(m.group(2));
      return true;
    } catch (NumberFormatException e) {
      return false; // above 2^64 - 1
    }
  }

  /** Errors after {@code cursor} (exclusive; null for the first page), at most {@code limit}. */
  public Future<Page> page(String cursor, int limit) {
    if (LAST_ID.equals(cursor)) {
      return Future.succeededFuture(new Page(List.of(), null));
    }
    String start = cursor == null ? "-" : "(" + cursor;
    return redis
        .send(
            Request.cmd(Command.XRANGE)
                .arg(keys.errors())
                .arg(start)
                .arg("+")
                .arg("COUNT")
                .arg(limit + 1))
        .map(
            reply -> {
              List<ErrorEntry> out = new ArrayList<>();
              if (reply != null) {
                for (Response e : reply) {
                  out.add(ErrorEntry.of(e));
                }
              }
              String next = null;
              if (out.size() > limit) {
                out.remove(out.size() - 1);
                next = out.get(out.size() - 1).errorId();
              }
              return new Page(out, next);
            });
  }
}
