package dev.baton.bus;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * One event-bus address and the one type of message it carries. Several nodes may share one Vert.x
 * instance (tests, the scale benchmark), so the address itself is suffixed with the node id. The
 * messages stay in this JVM: they travel as the same immutable record through a local codec, which
 * this class registers on first use of an event bus, so no sender has to remember to.
 */
public final class Address<T> {
  /** Event buses whose codecs are registered, per message type (a bus outlives no Vert.x). */
  private static final Map<Class<?>, Set<EventBus>> REGISTERED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final String base;
  private final Class<T> type;

  Address(String base, Class<T> type) {
    this.base = base;
    this.type = type;
  }

  /** The address of this node's instance. */
  public String of(String nodeId) {
    return base + "." + nodeId;
  }

  /** To every consumer of this node's address. */
  public void publish(EventBus bus, String nodeId, T message) {
    register(bus, message);
    bus.publish(of(nodeId), message);
  }

  /** To one consumer of this node's address. */
  public void send(EventBus bus, String nodeId, T message) {
    register(bus, message);
    bus.send(of(nodeId), message);
  }

  /** A consumer of this node's address, in this JVM only. */
  public MessageConsumer<T> consume(EventBus bus, String nodeId, Handler<T> handler) {
    return bus.<T>localConsumer(of(nodeId), m -> handler.handle(m.body()));
  }

  /** The codec of the message's own class: a sealed type's permitted records each need one. */
  private void register(EventBus bus, T message) {
    Class<?> actual = message.getClass();
    if (!type.isAssignableFrom(actual)) {
      throw new IllegalArgumentException(actual + " is not a message of " + base);
    }
    Set<EventBus> buses =
        REGISTERED.computeIfAbsent(
            actual,
            k -> Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>())));
    if (buses.add(bus)) {
      try {
        bus.registerDefaultCodec(cast(actual), new LocalCodec<>(actual.getName()));
      } catch (IllegalStateException alreadyRegistered) {
        // registered by a caller that raced this one on the same bus
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static <M> Class<M> cast(Class<?> type) {
    return (Class<M>) type;
  }

  @Override
  public String toString() {
    return base + " (" + type.getSimpleName() + ")";
  }

  /** Hands the same immutable record to local consumers; never sent over a wire. */
  private static final class LocalCodec<M> implements MessageCodec<M, M> {
    private final String name;

    LocalCodec(String name) {
      this.name = name;
    }

    @Override
    public void encodeToWire(Buffer buffer, M m) {
      throw new UnsupportedOperationException("event-bus messages stay in this JVM");
    }

    @Override
    public M decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("event-bus messages stay in this JVM");
    }

    @Override
    public M transform(M m) {
      return m;
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
