package dev.baton.state;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether Redis keeps Baton's data, as this node saw it (its heartbeat inspects Redis after every
 * beat): the losses it noticed, the keys Redis evicted since the node started, and whether Redis's
 * maxmemory-policy can evict Baton's keys. The metrics read it; {@link Degradations} carries what
 * /health says of it.
 */
public final class RedisData {
  private final AtomicLong losses = new AtomicLong();
  private final AtomicLong evictedKeys = new AtomicLong();
  private volatile boolean evictingPolicy;

  /** Times this node noticed that Redis lost Baton's data. */
  public AtomicLong losses() {
    return losses;
  }

  /** Keys Redis evicted since this node started (INFO stats evicted_keys, as deltas). */
  public AtomicLong evictedKeys() {
    return evictedKeys;
  }

  /** Whether Redis's maxmemory-policy, when last read, can evict Baton's keys. */
  public boolean evictingPolicy() {
    return evictingPolicy;
  }

  public void evictingPolicy(boolean evicting) {
    this.evictingPolicy = evicting;
  }
}
