package dev.baton.redis;

/**
 * The node refuses to start on this Redis (a read-only replica, an evicting maxmemory-policy, a
 * permission Baton lacks); the message says what and how to fix it.
 */
public final class RedisUnsuitable extends RuntimeException {
  public RedisUnsuitable(String message) {
    super(message, null, false, false);
  }
}
