package dev.baton.election;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import java.util.List;

/**
 * A change of this node's leadership as the election announces it on the event bus (within this JVM
 * only): granted with a new epoch, or revoked with the reason. Typed records, not JSON: a listener
 * cannot mistake one for the other.
 */
public sealed interface Leadership permits Leadership.Granted, Leadership.Revoked {
  long epoch();

  /** The lease was granted with this epoch (the fencing token every publish carries). */
  record Granted(long epoch) implements Leadership {}

  /** This node leads no more: the lease lapsed, was taken, or a publish was fenced. */
  record Revoked(long epoch, String reason) implements Leadership {}

  /** The lease holder and its epoch as this node last saw them: one immutable pair, never torn. */
  record Holder(String nodeId, long epoch) {
    public static final Holder NONE = new Holder("", 0);

    public boolean known() {
      return !nodeId.isEmpty();
    }
  }

  /** Lets the event bus carry leadership events (once per Vert.x instance; nodes may share one). */
  static void registerCodec(EventBus bus) {
    for (Class<? extends Leadership> type : List.of(Granted.class, Revoked.class)) {
      try {
        bus.registerDefaultCodec(type, new LocalCodec<>(type.getName()));
      } catch (IllegalStateException alreadyRegistered) {
        // another node of this Vert.x instance registered it
      }
    }
  }

  /** Hands the same immutable record to local consumers; never sent over a wire. */
  final class LocalCodec<T extends Leadership> implements MessageCodec<T, T> {
    private final String name;

    LocalCodec(String name) {
      this.name = name;
    }

    @Override
    public void encodeToWire(Buffer buffer, T t) {
      throw new UnsupportedOperationException("leadership events stay in this JVM");
    }

    @Override
    public T decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("leadership events stay in this JVM");
    }

    @Override
    public T transform(T t) {
      return t;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
