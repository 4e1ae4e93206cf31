package dev.baton.support;

import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.BulkType;
import io.vertx.redis.client.impl.types.MultiType;
import io.vertx.redis.client.impl.types.NumberType;
import java.util.List;

/**
 * Redis replies built by hand, to test the decoders of script replies without a Redis: a String is
 * a bulk string, a Number an integer, a List an array, null a nil.
 */
public final class Resp {
  private Resp() {}

  public static Response of(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof String s) {
      return BulkType.create(Buffer.buffer(s), false);
    }
    if (value instanceof Number n) {
      return NumberType.create(n);
    }
    if (value instanceof List<?> list) {
      MultiType m = MultiType.create(list.size(), false);
      list.forEach(v -> m.add(of(v)));
      return m;
    }
    throw new IllegalArgumentException("no reply type for " + value.getClass());
  }

  /** An array reply of {@code values}. */
  public static Response array(Object... values) {
    return of(List.of(values));
  }
}
