package dev.baton.bench;

import dev.baton.election.AcquireScript;
import dev.baton.election.PresenceScript;
import dev.baton.election.ReleaseScript;
import dev.baton.election.RenewScript;
import dev.baton.handler.ClaimScript;
import dev.baton.handler.ReapScript;
import dev.baton.handler.ReclaimScript;
import dev.baton.heartbeat.HeartbeatScript;
import dev.baton.redis.Fields;
import dev.baton.redis.Keys;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench --failover}: four node processes at default settings (a generator, the two presence
 * watchers and a handler that does not watch; the audit ledger on, to time publishes and commits on
 * the Redis clock), then (1) kill -9 of the generator, timed from the kill to the first publish of
 * the next epoch; (2) SIGSTOP of a handler until Redis delivered messages to it, then kill -9,
 * timed to the last commit of those messages, alternately a watcher and the handler that does not
 * watch; (3) kill -9 of the generator and a watcher at once, timed as (1); (4) the idle
 * coordination cost per node. Every killed node is replaced by a fresh one, so each kill meets four
 * nodes.
 */
final class FailoverRun {
  /** A generator, the two watchers, and one handler that does not watch. */
  private static final int NODES = 4;

  private final Target target;
  private final NodeLauncher launcher;
  private final int kills;
  private final Keys keys;
  private final Map<String, String> env;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private int next = 1;

  FailoverRun(Target target, NodeLauncher launcher, int kills) {
    this.target = target;
    this.launcher = launcher;
    this.kills = kills;
    String prefix = Bench.prefix("failover");
    this.keys = new Keys(prefix);
    this.env = NodeEnv.on(target, prefix).set("audit.enabled", true).toMap();
  }

  JsonObject run() throws Exception {
    try {
      for (int i = 0; i < NODES; i++) {
        start();
      }
      awaitSettled();
      JsonObject idle = idleCost();
      JsonArray generatorKills = new JsonArray();
      for (int i = 0; i < kills; i++) {
        generatorKills.add(killGenerator(false));
        start();
        awaitSettled();
      }
      JsonArray handlerKills = new JsonArray();
      JsonArray watcherKills = new JsonArray();
      JsonArray otherKills = new JsonArray();
      for (int i = 0; i < 2 * kills; i++) {
        JsonObject kill = killHandler(i % 2 == 0);
        handlerKills.add(kill);
        (i % 2 == 0 ? watcherKills : otherKills).add(kill);
        start();
        awaitSettled();
      }
      JsonArray togetherKills = new JsonArray();
      for (int i = 0; i < kills; i++) {
        togetherKills.add(killGenerator(true));
        start();
        start();
        awaitSettled();
      }
      JsonObject result =
          new JsonObject()
              .put("nodes", NODES)
              .put(
                  "settings",
                  "defaults (election.leaseMs 1000, presence.watchMs 50, handler.reclaimIdleMs 5000), "
                      + "audit ledger on")
              .put("generatorKill", summary(generatorKills, "msToFirstPublishOfNextEpoch"))
              .put("handlerKill", summary(handlerKills, "msToLastCommit"))
              .put("watcherKill", summary(watcherKills, "msToLastCommit"))
              .put("otherHandlerKill", summary(otherKills, "msToLastCommit"))
              .put("generatorAndWatcherKill", summary(togetherKills, "msToFirstPublishOfNextEpoch"))
              .put("idle", idle);
      System.out.println(result.encodePrettily());
      target.cleanUp(keys);
      return result;
    } finally {
      nodes.forEach(NodeProcess::stop);
    }
  }

  private NodeProcess start() throws Exception {
    NodeProcess n = launcher.start("n" + next++, env);
    nodes.add(n);
    return n;
  }

  private List<NodeProcess> alive() {
    return nodes.stream().filter(n -> n.process().isAlive()).toList();
  }

  private JsonObject status(NodeProcess n) {
    return n.get("/status");
  }

  /** One generator, three handlers, two of them the watchers, every presence registered. */
  private void awaitSettled() throws InterruptedException {
    Bench.waitFor(
        () -> {
          int generators = 0;
          int watchers = 0;
          for (NodeProcess n : alive()) {
            JsonObject s = status(n);
            if (s == null) {
              return false;
            }
            generators += "generator".equals(s.getString("role")) ? 1 : 0;
            if (!"generator".equals(s.getString("role"))
                && !"handler".equals(s.getString("role"))) {
              return false;
            }
            watchers += s.getBoolean("watcher", false) ? 1 : 0;
            String record =
                target.cmd("HGET", keys.presence(), n.id()) == null
                    ? null
                    : target.cmd("HGET", keys.presence(), n.id()).toString();
            if (record == null || record.startsWith("gone")) {
              return false;
            }
          }
          return generators == 1 && watchers == 2 && alive().size() == NODES;
        },
        120_000,
        NODES + " nodes settled with one generator and two watchers",
        5);
  }

  /**
   * A node in that role; the watcher can move with any heartbeat (a new node may sort first), so
   * ask until one fits.
   */
  private NodeProcess find(String role, boolean watcher) throws InterruptedException {
    NodeProcess[] found = new NodeProcess[1];
    Bench.waitFor(
        () -> {
          for (NodeProcess n : alive()) {
            JsonObject s = status(n);
            if (s != null
                && role.equals(s.getString("role"))
                && s.getBoolean("watcher", false) == watcher) {
              found[0] = n;
              return true;
            }
          }
          return false;
        },
        30_000,
        "a " + role + (watcher ? " that watches" : " that does not watch"),
        5);
    return found[0];
  }

  /** Kills the generator (with {@code andWatcher}, a watcher at the same instant). */
  private JsonObject killGenerator(boolean andWatcher) throws Exception {
    NodeProcess gen = find("generator", false);
    NodeProcess watcher = andWatcher ? find("handler", true) : null;
    long epoch = target.cmd("GET", keys.epoch()).toLong();
    long killedAt = target.serverMs();
    gen.process().destroyForcibly();
    if (watcher != null) {
      watcher.process().destroyForcibly();
      watcher.process().waitFor();
    }
    gen.process().waitFor();
    long[] first = new long[1];
    Bench.waitFor(
        () -> (first[0] = firstPublishAfter(epoch)) > 0, 60_000, "a publish of the next epoch", 5);
    Response grants = target.cmd("XREVRANGE", keys.grants(), "+", "-", "COUNT", "1");
    String from = null;
    Response fields = grants.get(0).get(1);
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      if ("from".equals(fields.get(i).toString())) {
        from = fields.get(i + 1).toString();
      }
    }
    JsonObject r =
        new JsonObject()
            .put("killed", gen.id())
            .put("watcherKilled", watcher == null ? null : watcher.id())
            .put("msToFirstPublishOfNextEpoch", first[0] - killedAt)
            .put("byPresence", gen.id().equals(from));
    System.out.println(
        (watcher == null ? "generator kill: " : "generator and watcher kill: ") + r.encode());
    return r;
  }

  private JsonObject killHandler(boolean theWatcher) throws Exception {
    NodeProcess victim = find("handler", theWatcher);
    List<String> held = new ArrayList<>();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      victim.freeze();
      try {
        Bench.waitFor(
            () -> heldBy(victim, held), 5_000, "messages delivered to the stopped handler", 5);
        break;
      } catch (IllegalStateException e) {
        // frozen between two reads, it is given nothing: let it read again, then freeze it again
        victim.thaw();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "timed out waiting for messages delivered to " + victim.id());
        }
        Thread.sleep(200);
      }
    }
    long killedAt = target.serverMs();
    victim.process().destroyForcibly();
    victim.process().waitFor();
    long[] last = new long[1];
    Bench.waitFor(
        () -> (last[0] = lastCommitOf(held)) > 0,
        60_000,
        "the stopped handler's messages committed",
        5);
    JsonObject r =
        new JsonObject()
            .put("killed", victim.id())
            .put("watcher", theWatcher)
            .put("messages", held.size())
            .put("msToLastCommit", last[0] - killedAt);
    System.out.println("handler kill: " + r.encode());
    return r;
  }

  /** Fills {@code held} with the ids delivered to {@code victim} and not yet acknowledged. */
  private boolean heldBy(NodeProcess victim, List<String> held) {
    held.clear();
    for (Response p :
        target.cmd(
            "XPENDING", keys.messages(), Keys.HANDLERS_GROUP, "-", "+", "1000", victim.id())) {
      held.add(p.get(0).toString());
    }
    return !held.isEmpty();
  }

  /** The idle commands per second, per node and in all, over 10 s at the default cadence. */
  private JsonObject idleCost() throws Exception {
    Thread.sleep(3_000); // settle past the start-up (JIT, first reclaim rounds) outside the window
    Map<String, Long> byArg;
    Map<String, Long> counts;
    long start = System.nanoTime();
    try (Monitor monitor = new Monitor(target.host, target.port)) {
      Thread.sleep(10_000); // the measurement window itself
      byArg = monitor.countsByFirstArg();
      counts = monitor.counts();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    JsonObject perNode = new JsonObject();
    for (NodeProcess n : alive()) {
      JsonObject s = status(n);
      long acquires = byArg.getOrDefault(AcquireScript.KIND + "@" + n.id(), 0L);
      long beats = byArg.getOrDefault("heartbeat@" + n.id(), 0L);
      long renews = byArg.getOrDefault(RenewScript.KIND + "@" + n.id(), 0L);
      boolean handler = s != null && "handler".equals(s.getString("role"));
      // the reclaim rounds name the group, not the node: each handler runs its share of them
      double reclaims =
          handler
              ? (counts.getOrDefault(ReclaimScript.KIND, 0L)
                      + counts.getOrDefault(ReapScript.KIND, 0L))
                  / 2.0
              : 0;
      perNode.put(
          n.id(),
          new JsonObject()
              .put("role", s == null ? null : s.getString("role"))
              .put("watcher", s != null && s.getBoolean("watcher", false))
              .put("acquirePerSecond", acquires / seconds)
              .put("heartbeatPerSecond", beats / seconds)
              .put("renewPerSecond", renews / seconds)
              .put(
                  "coordinationCommandsPerSecond",
                  (acquires + beats + renews + reclaims) / seconds));
    }
    // MONITOR also lists the commands a script runs; count the calls the nodes send
    long calls = 0;
    for (String kind :
        List.of(
            AcquireScript.KIND,
            RenewScript.KIND,
            ReleaseScript.KIND,
            HeartbeatScript.KIND,
            ReclaimScript.KIND,
            ReapScript.KIND,
            ClaimScript.KIND,
            PresenceScript.KIND)) {
      calls += counts.getOrDefault(kind, 0L);
    }
    return new JsonObject()
        .put("seconds", seconds)
        .put("perNode", perNode)
        .put("commands", new JsonObject(new LinkedHashMap<>(counts)))
        .put("coordinationCommandsPerSecondAllNodes", calls / seconds);
  }

  private long firstPublishAfter(long epoch) {
    Response page = target.cmd("XREVRANGE", keys.auditPublished(), "+", "-", "COUNT", "200");
    long first = -1;
    for (Response e : page) {
      Response f = e.get(1);
      for (int i = 0; i + 1 < f.size(); i += 2) {
        if (Fields.EPOCH.equals(f.get(i).toString()) && f.get(i + 1).toLong() > epoch) {
          String id = e.get(0).toString();
          first = Long.parseLong(id.substring(0, id.indexOf('-')));
        }
      }
    }
    return first;
  }

  /** The Redis ms of the commit of the last of {@code ids}, or -1 while some is uncommitted. */
  private long lastCommitOf(List<String> ids) {
    Map<String, Long> at = new HashMap<>();
    for (Response e : target.cmd("XREVRANGE", keys.auditCommitted(), "+", "-", "COUNT", "2000")) {
      Response f = e.get(1);
      for (int i = 0; i + 1 < f.size(); i += 2) {
        if (Fields.MSG.equals(f.get(i).toString())) {
          String id = e.get(0).toString();
          at.put(f.get(i + 1).toString(), Long.parseLong(id.substring(0, id.indexOf('-'))));
        }
      }
    }
    long last = -1;
    for (String id : ids) {
      Long t = at.get(id);
      if (t == null) {
        return -1;
      }
      last = Math.max(last, t);
    }
    return last;
  }

  private static JsonObject summary(JsonArray runs, String field) {
    List<Long> ms = new ArrayList<>();
    runs.forEach(r -> ms.add(((JsonObject) r).getLong(field)));
    List<Long> sorted = new ArrayList<>(ms);
    sorted.sort(Long::compare);
    return new JsonObject()
        .put("runs", runs)
        .put("ms", new JsonArray(ms))
        .put("median", sorted.isEmpty() ? null : sorted.get(sorted.size() / 2))
        .put("max", sorted.isEmpty() ? null : sorted.get(sorted.size() - 1));
  }
}
