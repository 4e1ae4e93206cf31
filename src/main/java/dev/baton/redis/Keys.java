package dev.baton.redis;

/**
 * Every Redis key and channel of one Baton cluster. All keys share one hash tag, {@code {prefix}},
 * so every script stays valid on Redis Cluster and two clusters can share a Redis.
 */
public final class Keys {
  /** The consumer group all handlers read the message stream with. */
  public static final String HANDLERS_GROUP = "handlers";

  /** The consumer group getErrors runs claim error records with. */
  public static final String DRAIN_GROUP = "drain";

  private final String tag;

  public Keys(String prefix) {
    this.tag = "{" + prefix + "}";
  }

  /** {@code {prefix}}: what every key and channel starts with (ACL patterns name it). */
  public String prefixTag() {
    return tag;
  }

  /**
   * The cluster marker: a hash written once with a random {@code id} and its {@code since}; a
   * marker that vanished or changed its id means Redis lost Baton's data ({@code lostAt}, {@code
   * lost}: the latest loss a node recorded).
   */
  public String marker() {
    return tag + ":marker";
  }

  /** The lease: the generator's node id, with a TTL. */
  public String leader() {
    return tag + ":leader";
  }

  /** The fencing token counter; the current value is the epoch of the latest grant. */
  public String epoch() {
    return tag + ":epoch";
  }

  /**
   * Every lease grant, {@code epoch}, {@code node}, {@code ts}: a stream capped near 1000 entries.
   */
  public String grants() {
    return tag + ":grants";
  }

  /** Uncommitted messages (a stream; committed entries are deleted). */
  public String messages() {
    return tag + ":messages";
  }

  /** Error records (a stream of JSON documents). */
  public String errors() {
    return tag + ":errors";
  }

  /** Live getErrors runs: a sorted set, score = lease expiry in server ms. */
  public String drainers() {
    return tag + ":errors:drainers";
  }

  /** Entries that could not be processed, with the reason. */
  public String deadLetter() {
    return tag + ":dead-letter";
  }

  /**
   * The last tick a source-driven generator published: {@code <epoch> <tick> <messages> <last id>}
   * (a string), so a retried tick is published once.
   */
  public String tick() {
    return tag + ":tick";
  }

  /** Cluster-wide counters (a hash). */
  public String stats() {
    return tag + ":stats";
  }

  /** Last heartbeat per node: a sorted set, score = server ms. */
  public String heartbeats() {
    return tag + ":heartbeats";
  }

  /** What each live node reports of itself (a hash of JSON documents). */
  public String nodes() {
    return tag + ":nodes";
  }

  /** Audit ledger: one entry per published message (msg, epoch, gen, seq), in publish order. */
  public String auditPublished() {
    return tag + ":audit:published";
  }

  /** Audit ledger: one entry per commit (msg, handler, kind, reclaimed), in commit order. */
  public String auditCommitted() {
    return tag + ":audit:committed";
  }

  /** Audit ledger: one entry per error record a drain deleted (msg, errorId). */
  public String auditDrained() {
    return tag + ":audit:drained";
  }

  /**
   * Presence records: node id → {@code "<run id> <mode>"} or {@code "gone <run id>"} (a hash); see
   * lib/presence.lua.
   */
  public String presence() {
    return tag + ":presence";
  }

  /** The sharded Pub/Sub channel a node holds a subscription on for its whole life. */
  public String presenceChannel(String nodeId) {
    return presence() + ":" + nodeId;
  }

  /** Pub/Sub channel for cluster events (a released lease). */
  public String events() {
    return tag + ":events";
  }
}
