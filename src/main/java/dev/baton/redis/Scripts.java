package dev.baton.redis;

/** Every Lua script Baton runs; see each file under resources/lua for its contract. */
public final class Scripts {
  public static final Script ACQUIRE = Script.load("acquire", "presence");
  public static final Script RENEW = Script.load("renew");
  public static final Script RELEASE = Script.load("release");
  public static final Script PUBLISH = Script.load("publish", "ledger");
  public static final Script COMMIT = Script.load("commit", "ledger", "dead-letter");
  public static final Script RECLAIM = Script.load("reclaim", "ledger", "dead-letter");
  public static final Script CLAIM = Script.load("claim", "presence", "ledger", "dead-letter");
  public static final Script PRESENCE = Script.load("presence", "presence");
  public static final Script REAP = Script.load("reap", "presence");
  public static final Script RESCUE = Script.load("rescue");
  public static final Script HOLD = Script.load("hold");
  public static final Script HEARTBEAT = Script.load("heartbeat", "presence");
  public static final Script VIEW = Script.load("view", "presence");
  public static final Script HEALTH = Script.load("health");
  public static final Script DRAIN_CLAIM = Script.load("drain-claim");
  public static final Script DRAIN_ACK = Script.load("drain-ack", "ledger");
  public static final Script DRAIN_END = Script.load("drain-end");
  public static final Script REPLAY = Script.load("replay", "ledger");
  public static final Script INSPECT = Script.load("inspect");
  public static final Script LEDGER_STATE = Script.load("ledger-state");

  private Scripts() {}

  /** A boolean as the scripts take it: {@code "1"} or {@code "0"}. */
  public static String flag(boolean on) {
    return on ? "1" : "0";
  }
}
