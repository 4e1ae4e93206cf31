package dev.baton.redis;

/** Every Lua script Baton runs; see each file under resources/lua for its contract. */
public final class Scripts {
  public static final Script ACQUIRE = Script.load("acquire", "guard", "presence");
  public static final Script RENEW = Script.load("renew", "guard");
  public static final Script RELEASE = Script.load("release", "guard");
  public static final Script PUBLISH = Script.load("publish", "guard");
  public static final Script COMMIT = Script.load("commit", "guard");
  public static final Script RECLAIM = Script.load("reclaim", "guard", "dead-letter");
  public static final Script CLAIM = Script.load("claim", "guard", "presence", "dead-letter");
  public static final Script PRESENCE = Script.load("presence", "guard", "presence");
  public static final Script REAP = Script.load("reap", "guard", "presence");
  public static final Script RESCUE = Script.load("rescue", "guard");
  public static final Script HEARTBEAT = Script.load("heartbeat", "guard", "presence");
  public static final Script VIEW = Script.load("view", "guard", "presence");
  public static final Script HEALTH = Script.load("health");
  public static final Script DRAIN_CLAIM = Script.load("drain-claim", "guard");
  public static final Script DRAIN_ACK = Script.load("drain-ack", "guard");
  public static final Script DRAIN_END = Script.load("drain-end", "guard");

  private Scripts() {}
}
