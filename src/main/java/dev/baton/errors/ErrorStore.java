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
  private static final Pattern STREAM_ID = Pattern.compile("\\d{1,20}-\\d{1,20}");

  private final RedisOps redis;
  private final Keys keys;

  /** A page of errors and the cursor of the next page (null on the last page). */
  public record Page(List<ErrorEntry> errors, String next) {}

  public ErrorStore(RedisOps redis, Keys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  public static boolean validCursor(String cursor) {
    return STREAM_ID.matcher(cursor).matches();
  }

  /** Errors after {@code cursor} (exclusive; null for the first page), at most {@code limit}. */
  public Future<Page> page(String cursor, int limit) {
    String start = cursor == null ? "-" : "(" + cursor;
    return redis.send(Request.cmd(Command.XRANGE).arg(keys.errors()).arg(start).arg("+").arg("COUNT").arg(limit + 1))
        .map(reply -> {
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
