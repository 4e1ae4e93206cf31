package dev.baton.heartbeat;

import dev.baton.config.RedisSettings;
import dev.baton.redis.Inspection;
import dev.baton.redis.Keys;
import dev.baton.redis.Permissions;
import dev.baton.redis.RedisOps;
import dev.baton.redis.RedisUnsuitable;
import dev.baton.state.Component;
import dev.baton.state.Degradations;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Watches whether the Redis a node works with keeps Baton's data and grants what Baton needs: at
 * start ({@link #preflight}: refuse to start on a read-only replica, under a maxmemory-policy that
 * can evict Baton's keys unless {@code redis.acceptEvictionDataLoss}, or without a permission Baton
 * needs) and after every heartbeat ({@link #run}: a policy changed, keys evicted, a permission
 * taken away, presence refused, and Baton's data lost by any cause).
 *
 * <p>Lost data shows as something that can never happen otherwise: the cluster marker (written
 * once, with a random id) vanished or changed its id, or a counter went back: the epoch, the
 * published and processed totals, the stream's entries-added (Redis 7), or the stream's last id
 * below the last id this node published. Each loss is logged once (what vanished), counted, kept in
 * /health as {@code degraded} for {@code redis.dataLostHoldMs}, and recorded in the marker ({@code
 * lostAt}, {@code lost}) for {@code verify}. Nothing else changes: the nodes recover by themselves,
 * as they always did. Not thread-safe: used from the heartbeat verticle's context.
 */
public final class RedisWatch {
  private static final Logger LOG = LoggerFactory.getLogger(RedisWatch.class);
  private static final Component COMPONENT = Component.INSPECTION;
  private static final String LOST = "redis-data-lost";
  private static final String EVICTED = "redis-evicted";
  private static final String POLICY = "redis-evicting-policy";
  private static final String PRESENCE = "presence-refused";

  /** Attempts at start while Redis does not answer, each within the command deadline. */
  private static final int PREFLIGHT_TRIES = 3;

  private static final String CAUSES =
      "FLUSHALL or FLUSHDB, eviction, a key deleted by hand, a restart without persistence, or a"
          + " failover to a replica that lagged";

  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final Permissions permissions;
  private final boolean acceptEviction;
  private final long holdMs;

  private boolean seeded;
  private String marker = "";
  private long epoch = -1;
  private long published = -1;
  private long processed = -1;
  private long entriesAdded = -1;
  private String runId = "";
  private long evicted = -1;
  private String publishedChecked = "";
  private boolean unsupportedLogged;

  public RedisWatch(
      RedisOps redis, NodeContext node, Permissions permissions, RedisSettings settings) {
    this.redis = redis;
    this.keys = node.keys();
    this.state = node.state();
    this.permissions = permissions;
    this.acceptEviction = settings.acceptEvictionDataLoss();
    this.holdMs = settings.dataLostHoldMs();
  }

  /**
   * The checks before the first lease attempt: fails with {@link RedisUnsuitable} (one message,
   * naming the fix) when the node must not start on this Redis. Redis unreachable is no reason to
   * refuse: the node waits for it as it always did, and the heartbeat checks once it answers.
   */
  public Future<Void> preflight() {
    return inspectAtStart(PREFLIGHT_TRIES)
        // Redis refused the call's keys: ask again naming none, to learn what it denies
        .recover(
            e ->
                keysRefused(e)
                    ? Inspection.permissionsOnly(redis, permissions)
                    : Future.failedFuture(e))
        .<Void>compose(
            facts -> {
              String refusal = refusal(facts);
              if (refusal != null) {
                return Future.failedFuture(new RedisUnsuitable(refusal));
              }
              judge(facts, "");
              return Future.succeededFuture();
            })
        .recover(
            e -> {
              if (e instanceof RedisUnsuitable) {
                return Future.failedFuture(e);
              }
              String explained =
                  RedisOps.isErrorReply(e) ? permissions.explain(firstLine(e)) : null;
              if (explained != null) {
                return Future.failedFuture(new RedisUnsuitable(explained));
              }
              state.redis().failed(COMPONENT, e);
              LOG.atInfo()
                  .addKeyValue("node", state.nodeId())
                  .log(
                      "cannot inspect Redis at start ({}): its policy and permissions are checked"
                          + " once it answers",
                      firstLine(e));
              return Future.succeededFuture();
            });
  }

  /** A first connection can miss a deadline (the sentinels asked first, a loaded machine). */
  private Future<Inspection.Facts> inspectAtStart(int triesLeft) {
    return Inspection.run(redis, keys, permissions)
        .recover(
            e ->
                triesLeft > 1 && !RedisOps.isErrorReply(e)
                    ? inspectAtStart(triesLeft - 1)
                    : Future.failedFuture(e));
  }

  private static boolean keysRefused(Throwable e) {
    return RedisOps.isErrorReply(e) && String.valueOf(e.getMessage()).contains("one of the keys");
  }

  private String refusal(Inspection.Facts facts) {
    if (facts.readOnlyReplica()) {
      return "redis.url: " + Permissions.readOnlyReplica(facts.primary());
    }
    if (facts.permissionsChecked() == 1 && !facts.denied().isEmpty()) {
      return permissions.describe(facts.denied())
          + (facts.denied().stream().anyMatch(d -> d.need().purpose().equals(Permissions.PRESENCE))
              ? " (presence.enabled false needs no presence channel)"
              : "");
    }
    if (facts.evictingPolicy() && !acceptEviction) {
      return "Redis's maxmemory-policy is "
          + facts.policy()
          + ": it may evict Baton's keys (the message stream with its consumer group, the lease, the"
          + " ledger) and lose messages unseen; set maxmemory-policy noeviction (CONFIG SET"
          + " maxmemory-policy noeviction, and in redis.conf), or accept the risk with"
          + " redis.acceptEvictionDataLoss: true";
    }
    return null;
  }

  /** After a heartbeat: inspects Redis and reports what changed. */
  public Future<Void> run() {
    // read before the call: every publish acknowledged by now is in the stream the script reads
    String mine = state.publishing().lastPublishedId();
    return Inspection.run(redis, keys, permissions)
        .onSuccess(facts -> judge(facts, mine))
        .onFailure(e -> state.redis().failed(COMPONENT, e))
        .mapEmpty();
  }

  private void judge(Inspection.Facts facts, String mine) {
    if (facts.runId().isEmpty() && facts.marker().id().isEmpty() && facts.role().isEmpty()) {
      return; // INFO and keys denied: nothing to judge (the permissions say so)
    }
    state.redis().succeeded(COMPONENT);
    replica(facts);
    permissions(facts);
    policy(facts);
    evictions(facts);
    List<String> lost = lost(facts, mine);
    seeded = true;
    if (!lost.isEmpty()) {
      reportLoss(String.join("; ", lost), facts);
    } else if (!state.degradations().raised(Degradations.REDIS_DATA_LOST)) {
      state.stateLog().over(LOST);
    }
  }

  private void replica(Inspection.Facts facts) {
    if (facts.readOnlyReplica()) {
      state
          .redis()
          .refused(Component.REPLICA, "READONLY", Permissions.readOnlyReplica(facts.primary()));
    } else {
      state.redis().succeeded(Component.REPLICA);
    }
  }

  private void permissions(Inspection.Facts facts) {
    if (facts.permissionsChecked() < 0 && !unsupportedLogged) {
      unsupportedLogged = true;
      LOG.atInfo()
          .addKeyValue("node", state.nodeId())
          .log(
              "this Redis (before 7.0) cannot tell a script what its user may do: a permission"
                  + " Baton lacks shows when Redis refuses a command");
    }
    if (facts.permissionsChecked() != 1) {
      return;
    }
    List<Permissions.Denied> presence = new ArrayList<>();
    List<Permissions.Denied> other = new ArrayList<>();
    for (Permissions.Denied d : facts.denied()) {
      (Permissions.presenceOnly(List.of(d)) ? presence : other).add(d);
    }
    if (other.isEmpty()) {
      state.redis().succeeded(Component.PERMISSIONS);
    } else {
      state.redis().refused(Component.PERMISSIONS, "NOPERM", permissions.describe(other));
    }
    if (presence.isEmpty()) {
      state.degradations().clear(Degradations.PRESENCE_REFUSED);
      state.stateLog().over(PRESENCE);
    } else {
      presenceRefused(permissions.describe(presence));
    }
  }

  /** Presence (or the released notices) refused: the lease alone notices a crash. */
  private void presenceRefused(String why) {
    String sentence = "presence refused: failover falls back to the lease (" + why + ")";
    state.degradations().raise(Degradations.PRESENCE_REFUSED, sentence);
    state
        .stateLog()
        .on(
            PRESENCE,
            PRESENCE,
            Level.WARN,
            sentence,
            "presence allowed again: a crashed node is noticed at once");
  }

  private void policy(Inspection.Facts facts) {
    if (facts.policy().isEmpty()) {
      return; // INFO denied: the permissions say so
    }
    boolean evicting = facts.evictingPolicy();
    state.redisData().evictingPolicy(evicting);
    if (evicting && !acceptEviction) {
      String sentence =
          "Redis's maxmemory-policy is now "
              + facts.policy()
              + ": it may evict Baton's keys (set maxmemory-policy noeviction)";
      state.degradations().raise(Degradations.REDIS_EVICTING, sentence);
      state
          .stateLog()
          .on(POLICY, facts.policy(), Level.WARN, sentence, "maxmemory-policy is safe again");
    } else {
      state.degradations().clear(Degradations.REDIS_EVICTING);
      state.stateLog().over(POLICY);
    }
  }

  private void evictions(Inspection.Facts facts) {
    if (facts.evictedKeys() < 0) {
      return;
    }
    long delta;
    if (evicted < 0) {
      delta = 0; // the first reading is the baseline: keys evicted before this node started
    } else if (!facts.runId().equals(runId) || facts.evictedKeys() < evicted) {
      delta = facts.evictedKeys(); // another server instance, or its counters reset: counted anew
    } else {
      delta = facts.evictedKeys() - evicted;
    }
    evicted = facts.evictedKeys();
    runId = facts.runId();
    if (delta > 0) {
      state.redisData().evictedKeys().addAndGet(delta);
      String sentence =
          "Redis evicted "
              + delta
              + (delta == 1 ? " key" : " keys")
              + " (maxmemory-policy "
              + facts.policy()
              + "): some may be Baton's, and Baton's data may be lost with them";
      state.degradations().raise(Degradations.REDIS_EVICTING, sentence, holdMs);
      state.stateLog().on(EVICTED, EVICTED, Level.WARN, sentence, "Redis evicts no more keys");
    } else {
      state.stateLog().over(EVICTED);
    }
  }

  /** What vanished since the last inspection, in words; empty when nothing did. */
  private List<String> lost(Inspection.Facts facts, String mine) {
    List<String> lost = new ArrayList<>();
    Inspection.Marker m = facts.marker();
    if (!m.id().isEmpty()) {
      if (seeded && !marker.isEmpty() && !m.id().equals(marker)) {
        lost.add(
            m.created()
                ? "the cluster marker " + keys.marker() + " vanished"
                : "the cluster marker "
                    + keys.marker()
                    + " names another cluster instance ("
                    + marker
                    + " became "
                    + m.id()
                    + ")");
      }
      marker = m.id();
    }
    epoch = counter(lost, keys.epoch(), facts.epoch(), epoch);
    published = counter(lost, keys.stats() + " published", facts.published(), published);
    processed = counter(lost, keys.stats() + " processed", facts.processed(), processed);
    long added = facts.stream().exists() ? facts.stream().entriesAdded() : 0;
    if (facts.stream().entriesAdded() >= 0 || !facts.stream().exists()) {
      if (seeded && entriesAdded > 0 && added < entriesAdded) {
        lost.add(
            "the message stream "
                + keys.messages()
                + (facts.stream().exists()
                    ? " lost entries (entries-added went back from "
                        + entriesAdded
                        + " to "
                        + added
                        + ")"
                    : " vanished"));
      }
      entriesAdded = added;
    }
    if (!mine.isEmpty() && !mine.equals(publishedChecked)) {
      publishedChecked = mine;
      if (compareIds(mine, facts.stream().lastId()) > 0) {
        lost.add(
            "the message stream "
                + keys.messages()
                + " lost messages this node published (its last id is "
                + (facts.stream().lastId().isEmpty() ? "none" : facts.stream().lastId())
                + ", this node's last publish was "
                + mine
                + ")");
      }
    }
    return lost;
  }

  /** Compares a counter with the highest this node saw; a counter going back is a loss. */
  private long counter(List<String> lost, String name, String text, long seen) {
    long now = text.isEmpty() ? 0 : parse(text);
    if (now < 0) {
      return seen; // not a number (set by hand): the guards of the scripts report it
    }
    if (seeded && seen > 0 && now < seen) {
      lost.add(name + " went back from " + seen + " to " + now);
    }
    return now;
  }

  private void reportLoss(String what, Inspection.Facts facts) {
    state.redisData().losses().incrementAndGet();
    String sentence = "Redis lost Baton's data: " + what;
    state.degradations().raise(Degradations.REDIS_DATA_LOST, sentence, holdMs);
    // one line per episode: losses while it holds (a run of evictions) are counted, not logged
    state
        .stateLog()
        .on(
            LOST,
            LOST,
            Level.ERROR,
            sentence
                + " ("
                + CAUSES
                + "); the cluster carries on with what Redis holds, and verify reports the ledger"
                + " incomplete",
            "Redis has lost no more of Baton's data");
    // for verify: a loss at or after the ledger began makes the ledger incomplete
    redis
        .send(
            Request.cmd(Command.HSET)
                .arg(keys.marker())
                .arg("lostAt")
                .arg(facts.serverMs())
                .arg("lost")
                .arg(what))
        .onFailure(e -> state.redis().failed(COMPONENT, e));
  }

  private static long parse(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Stream ids ({@code ms-seq}) in order; "" sorts first. */
  static int compareIds(String a, String b) {
    long[] x = id(a);
    long[] y = id(b);
    int c = Long.compareUnsigned(x[0], y[0]);
    return c != 0 ? c : Long.compareUnsigned(x[1], y[1]);
  }

  private static long[] id(String s) {
    int dash = s.indexOf('-');
    try {
      return dash < 0
          ? new long[] {s.isEmpty() ? 0 : Long.parseUnsignedLong(s), 0}
          : new long[] {
            Long.parseUnsignedLong(s.substring(0, dash)),
            Long.parseUnsignedLong(s.substring(dash + 1))
          };
    } catch (NumberFormatException e) {
      return new long[] {0, 0};
    }
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
