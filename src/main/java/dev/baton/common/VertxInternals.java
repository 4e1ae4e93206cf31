package dev.baton.common;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.redis.client.impl.types.ErrorType;

/**
 * The only place that touches Vert.x classes outside its public API, so an upgrade that moves them
 * breaks one file: the Netty buffer under a {@link Buffer} (the handler parses packs in place,
 * without copying), and the type the Redis client gives Redis' error replies.
 */
public final class VertxInternals {
  private VertxInternals() {}

  /** The Netty buffer a Vert.x buffer wraps (no copy). */
  public static ByteBuf byteBuf(Buffer buffer) {
    return ((BufferInternal) buffer).getByteBuf();
  }

  /**
   * Whether the Redis client failed with an error reply (Redis answered {@code -ERR ...}, {@code
   * -OOM ...}).
   */
  public static boolean isRedisErrorReply(Throwable e) {
    return e instanceof ErrorType;
  }
}
