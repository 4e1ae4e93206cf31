package dev.baton.redis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every kind of thing a node asks of Redis, as one command with the keys or channels it names (see
 * {@code inspect.lua}, which asks Redis 7 whether the user may, running nothing), and the one
 * sentence that says what is denied and the ACL rule that would allow it. Refusals Redis sends at
 * run time ({@code NOPERM …}, a script's "can't publish to the channel …") are put in the same
 * words by {@link #explain}.
 */
public final class Permissions {
  /** The one maxmemory-policy that never evicts Baton's keys. */
  public static final String SAFE_POLICY = "noeviction";

  /** What a need is for, as a denial says it. */
  public static final String SCRIPTS = "run Baton's scripts";

  public static final String LEASE = "hold the generator lease";
  public static final String MESSAGES = "publish and commit messages";
  public static final String READS = "the blocking stream reads";
  public static final String VIEW = "the heartbeats and the cluster view";
  public static final String ERRORS = "store and drain error records";
  public static final String SERVER = "read the server's clock and INFO";
  public static final String PRESENCE = "presence (a crashed node's last will)";
  public static final String NOTICES = "released-lease notices";
  public static final String INTEGRITY = "notice when Redis loses Baton's data";

  /**
   * The SHA a permission check runs EVALSHA with: an ACL judges the command and its keys, not the
   * script, so any of Baton's scripts would do; this is {@code renew.lua}'s ({@code
   * election.RenewScript}, which the redis package cannot import).
   */
  private static final String RENEW_SHA = Script.load("renew").sha1();

  private static final Pattern NO_COMMAND =
      Pattern.compile("no permissions to run the '([^']+)' command");

  /**
   * One need: {@code words} is the command and its arguments; {@code target} the key or channel it
   * names ("" for none), {@code channel} whether that is a Pub/Sub channel.
   */
  public record Need(String purpose, List<String> words, String target, boolean channel) {
    String command() {
      return words.get(0).toLowerCase(Locale.ROOT);
    }
  }

  /** A need Redis denies: the command itself, or the keys or channels it names. */
  public record Denied(Need need, boolean command) {}

  private final List<Need> needs;
  private final String user;
  private final String prefix;

  private Permissions(List<Need> needs, String user, String prefix) {
    this.needs = List.copyOf(needs);
    this.user = user;
    this.prefix = prefix;
  }

  /**
   * What a node needs, in a fixed order (a permission check answers by index): its scripts, the
   * lease, the messages, the view and the error records, each of those keys' TYPE, the server's
   * clock and INFO, and the released-lease notices; with {@code presence}, its presence entry and
   * channel (SSUBSCRIBE where Redis has it, else SUBSCRIBE: both are asked) and the count of its
   * subscribers; with {@code cluster}, the slot map.
   */
  public static Permissions of(
      Keys keys, String user, String nodeId, boolean presence, boolean cluster) {
    List<Need> n = new ArrayList<>();
    leaseNeeds(n, keys, nodeId);
    messageNeeds(n, keys, nodeId);
    viewAndErrorNeeds(n, keys, nodeId);
    for (String key : n.stream().map(Need::target).distinct().toList()) {
      n.add(new Need(VIEW, List.of("TYPE", key), key, false)); // every script's guards read it
    }
    n.add(new Need(SERVER, List.of("TIME"), "", false));
    n.add(new Need(SERVER, List.of("INFO", "server"), "", false));
    if (cluster) {
      n.add(new Need(SERVER, List.of("CLUSTER", "SLOTS"), "", false));
    }
    String events = keys.events();
    n.add(new Need(NOTICES, List.of("SUBSCRIBE", events), events, true));
    n.add(new Need(NOTICES, List.of("PUBLISH", events, "released"), events, true));
    if (presence) {
      String own = keys.presenceChannel(nodeId);
      key(n, PRESENCE, keys.presence(), "HSET", keys.presence(), nodeId, "x");
      n.add(new Need(PRESENCE, List.of("SSUBSCRIBE", own), own, true));
      n.add(new Need(PRESENCE, List.of("SUBSCRIBE", own), own, true));
      n.add(new Need(PRESENCE, List.of("PUBSUB", "NUMSUB", own), "", false));
    }
    return new Permissions(n, user == null ? "default" : user, keys.prefixTag());
  }

  /** Running Baton's scripts, and holding the generator lease on the leader key. */
  private static void leaseNeeds(List<Need> n, Keys keys, String nodeId) {
    String lead = keys.leader();
    key(n, SCRIPTS, lead, "EVALSHA", RENEW_SHA, "1", lead);
    key(n, SCRIPTS, lead, "EVAL", "return 0", "1", lead);
    key(n, LEASE, lead, "SET", lead, nodeId, "NX", "PX", "1000");
    key(n, LEASE, lead, "GET", lead);
    key(n, LEASE, lead, "PEXPIRE", lead, "1000");
    key(n, LEASE, lead, "PTTL", lead);
    key(n, LEASE, lead, "DEL", lead);
    key(n, LEASE, keys.epoch(), "INCR", keys.epoch());
    key(n, LEASE, keys.grants(), "XADD", keys.grants(), "MAXLEN", "~", "1000", "*", "e", "1");
  }

  /** Publishing, committing and reading messages on the stream and its dead-letter stream. */
  private static void messageNeeds(List<Need> n, Keys keys, String nodeId) {
    String msgs = keys.messages();
    String g = Keys.HANDLERS_GROUP;
    key(n, MESSAGES, msgs, "XADD", msgs, "*", "text", "x");
    key(n, MESSAGES, msgs, "XACK", msgs, g, "0-1");
    key(n, MESSAGES, msgs, "XDEL", msgs, "0-1");
    key(n, MESSAGES, msgs, "XAUTOCLAIM", msgs, g, nodeId, "0", "0-0", "COUNT", "1");
    key(n, MESSAGES, msgs, "XCLAIM", msgs, g, nodeId, "0", "0-1");
    key(n, MESSAGES, msgs, "XPENDING", msgs, g, "-", "+", "1");
    key(n, MESSAGES, msgs, "XINFO", "CONSUMERS", msgs, g);
    key(n, MESSAGES, msgs, "XGROUP", "CREATE", msgs, g, "0", "MKSTREAM");
    key(n, MESSAGES, keys.stats(), "HINCRBY", keys.stats(), "processed", "1");
    key(n, MESSAGES, keys.deadLetter(), "XADD", keys.deadLetter(), "*", "m", "x");
    key(
        n,
        READS,
        msgs,
        "XREADGROUP",
        "GROUP",
        g,
        nodeId,
        "COUNT",
        "1",
        "BLOCK",
        "1",
        "STREAMS",
        msgs,
        ">");
  }

  /** The heartbeats and the cluster view, the data-loss marker, and the error records. */
  private static void viewAndErrorNeeds(List<Need> n, Keys keys, String nodeId) {
    key(n, VIEW, keys.heartbeats(), "ZADD", keys.heartbeats(), "1", nodeId);
    key(n, VIEW, keys.heartbeats(), "ZRANGEBYSCORE", keys.heartbeats(), "-inf", "+inf");
    key(n, VIEW, keys.nodes(), "HSET", keys.nodes(), nodeId, "{}");
    key(n, INTEGRITY, keys.marker(), "HSET", keys.marker(), "lostAt", "0");
    key(n, ERRORS, keys.errors(), "XADD", keys.errors(), "*", "record", "{}");
    key(n, ERRORS, keys.errors(), "XREVRANGE", keys.errors(), "+", "-", "COUNT", "1");
    key(n, ERRORS, keys.drainers(), "ZADD", keys.drainers(), "1", nodeId);
    key(n, ERRORS, keys.auditDrained(), "XADD", keys.auditDrained(), "*", "msg", "x");
  }

  private static void key(List<Need> needs, String purpose, String key, String... words) {
    needs.add(new Need(purpose, List.of(words), key, false));
  }

  /**
   * The needs at {@code indexes} (from 0), each judged a denied command or denied keys/channels:
   * keys (channels) when no need on any of Baton's keys (channels) is allowed; else a command when
   * another need on the same key or channel is allowed (every key's TYPE is a need), keys or
   * channels when the same command is allowed elsewhere, both otherwise.
   */
  public List<Denied> denied(List<Integer> indexes) {
    Set<Integer> no = new LinkedHashSet<>(indexes);
    boolean anyKey = false;
    boolean anyChannel = false;
    for (int j = 0; j < needs.size(); j++) {
      if (!no.contains(j) && !needs.get(j).target().isEmpty()) {
        anyKey |= !needs.get(j).channel();
        anyChannel |= needs.get(j).channel();
      }
    }
    List<Denied> out = new ArrayList<>();
    for (int i : no) {
      if (i < 0 || i >= needs.size()) {
        continue;
      }
      Need need = needs.get(i);
      if (!need.target().isEmpty() && !(need.channel() ? anyChannel : anyKey)) {
        out.add(new Denied(need, false)); // no key (or channel) of Baton's is allowed at all
        continue;
      }
      boolean targetAllowed = need.target().isEmpty();
      boolean commandAllowed = false;
      for (int j = 0; j < needs.size(); j++) {
        if (j == i || no.contains(j)) {
          continue;
        }
        Need other = needs.get(j);
        targetAllowed |= other.target().equals(need.target());
        commandAllowed |= other.command().equals(need.command());
      }
      if (targetAllowed || !commandAllowed) {
        out.add(new Denied(need, true));
      }
      if (!targetAllowed) {
        out.add(new Denied(need, false));
      }
    }
    return out;
  }

  public List<Need> needs() {
    return needs;
  }

  /** Whether a denial takes presence (or the released notices) away: the lease then decides. */
  public static boolean presenceOnly(List<Denied> denied) {
    return !denied.isEmpty()
        && denied.stream()
            .allMatch(
                d -> d.need().purpose().equals(PRESENCE) || d.need().purpose().equals(NOTICES));
  }

  /**
   * One sentence for {@code denied}: what may not be done, each with what it is for, and the ACL
   * rule that allows all of it ("Redis user 'baton' may not publish on the channel {baton}:events
   * (released-lease notices): allow it with ACL SETUSER baton &{baton}:*").
   */
  public String describe(List<Denied> denied) {
    Set<String> what = new LinkedHashSet<>();
    Set<String> keys = new LinkedHashSet<>();
    Set<String> keyPurposes = new LinkedHashSet<>();
    Set<String> rules = new LinkedHashSet<>();
    for (Denied d : denied) {
      Need need = d.need();
      if (d.command() || need.target().isEmpty()) {
        what.add("run " + need.words().get(0) + " (" + need.purpose() + ")");
        rules.add("+" + need.command());
      } else if (need.channel()) {
        what.add(
            (need.command().equals("publish") ? "publish on" : "subscribe to")
                + " the channel "
                + need.target()
                + " ("
                + need.purpose()
                + ")");
        rules.add("&" + prefix + ":*");
      } else {
        keys.add(need.target());
        keyPurposes.add(need.purpose());
        rules.add("~" + prefix + ":*");
      }
    }
    if (!keys.isEmpty()) {
      List<String> named = keys.stream().limit(3).toList();
      what.add(
          "use the "
              + (keys.size() == 1 ? "key " : "keys ")
              + String.join(", ", named)
              + (keys.size() > named.size() ? " and " + (keys.size() - named.size()) + " more" : "")
              + " ("
              + String.join("; ", keyPurposes)
              + ")");
    }
    return "Redis user '"
        + user
        + "' may not "
        + String.join(", ", what)
        + ": allow it with ACL SETUSER "
        + user
        + " "
        + String.join(" ", rules);
  }

  /**
   * A refusal Redis replied at run time, in the words of {@link #describe} where it is a permission
   * (NOPERM, a script's "can't run / access / publish"), or the fix where Redis is a read-only
   * replica; null for any other reply.
   */
  public String explain(String reply) {
    if (reply == null) {
      return null;
    }
    if (reply.startsWith("READONLY")) {
      return readOnlyReplica("");
    }
    String may = "Redis user '" + user + "' may not ";
    String allow = ": allow it with ACL SETUSER " + user + " ";
    Matcher m = NO_COMMAND.matcher(reply);
    if (m.find()) {
      return may + "run " + m.group(1).toUpperCase(Locale.ROOT) + allow + "+" + m.group(1);
    }
    if (reply.contains("one of the keys")) {
      return may + "use Baton's keys" + allow + "~" + prefix + ":*";
    }
    if (reply.contains("one of the channels") || reply.contains("publish to the channel")) {
      return may + "use Baton's channels" + allow + "&" + prefix + ":*";
    }
    if (reply.contains("can't run this command")) {
      return may + "run a command of Baton's scripts (the heartbeat's check names it)";
    }
    return null;
  }

  /** What a node pointed at a read-only replica says, with the fix. */
  public static String readOnlyReplica(String primary) {
    return "this Redis is a read-only replica"
        + (primary.isEmpty() ? "" : " of " + primary)
        + ": point redis.url at the primary, or use redis.type: sentinel to follow it";
  }
}
