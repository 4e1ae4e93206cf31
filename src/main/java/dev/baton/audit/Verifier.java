package dev.baton.audit;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.redis.Replies;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Checks the audit ledger the way Jepsen's total-queue checker does, message by message (a pack's
 * ledger entries name its n messages, {@code <entry id>/<i>}): every published message must be
 * committed exactly once or still be in flight; nothing may be committed that was never published;
 * no epoch may publish after a newer one did (split brain); and the error records must be exactly
 * the committed messages judged errors, each once. It counts, it never assumes: a duplicate
 * injected into the ledger is reported like a real one.
 *
 * <p>A replay ({@code deadLetters --replay}: a published entry with {@code replayOf}, the message
 * it puts back) is a message of its own, its entry id, committed exactly once like any other; the
 * original stays counted once, committed dead. A replay keeps its message's epoch, so it takes no
 * part in the split-brain check; it keeps its message's id too, so the error record of a replay
 * judged an error names the original and is matched through {@code replayOf}. A message put back
 * more often than it and its replays were dead-lettered counts as duplicated.
 *
 * <p>It may run while nodes work: it checks the cluster as of one instant, the cutoff (a Redis
 * {@code TIME} reading, see {@link #cutoff}), and reads in an order that makes later work harmless.
 * Every entry of the ledger and of the streams carries its Redis-clock millisecond in its id, and
 * every write with a millisecond up to the cutoff was done before the first read. So it takes the
 * messages published by the cutoff, and judges each by everything read afterwards (a message
 * committed since was pending at the cutoff); a commit or an error record made after the cutoff is
 * counted only for a message published by then. Reads go published, stream, committed, error
 * records, drained records: a message not in the stream when it is read was committed before (and
 * that commit is read next) or it is lost; a record drained while the errors are read shows in one
 * of the two reads or both, and records are told apart by their id. This assumes the Redis clock
 * does not step back during a run.
 *
 * <p>Without a ledger, or with nothing published or committed by the cutoff, there is nothing to
 * verify, and the report says so ({@code ledger}: false, {@code ok}: false). A ledger that Redis
 * lost part of (see {@link Completeness}) is never OK, whatever its counts show: {@code complete}
 * false and {@code incomplete} says why.
 */
public final class Verifier {
  private static final int PAGE = 10_000;
  private static final int SAMPLES = 10;

  private final RedisOps redis;
  private final Keys keys;

  public Verifier(RedisOps redis, Keys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  /** A pack's commit records one character per message (see commit.lua). */
  private static final Map<Character, String> KINDS = Map.of('o', "ok", 'e', "error", 'd', "dead");

  /**
   * One published message, in publish (ledger) order, with the Redis ms of its ledger entry; {@code
   * replayOf} names the message a replay put back (null for a generator's publish).
   */
  private record Published(String msg, long epoch, String gen, long atMs, String replayOf) {}

  /** One commit of a message, as read from the ledger. */
  private record Commit(String kind, long atMs) {}

  /** Runs every check and returns the report (see {@link #passed}). */
  public Future<JsonObject> verify() {
    List<Published> published = new ArrayList<>();
    Map<String, List<Commit>> commits = new HashMap<>();
    Map<String, Set<String>> errorRecords = new HashMap<>();
    Set<String> inStream = new HashSet<>();
    long[] cutoff = {0};
    List<Completeness.Judgement> judged = new ArrayList<>(1);
    return cutoff()
        .compose(
            c -> {
              cutoff[0] = c;
              return Completeness.judge(redis, keys);
            })
        .compose(
            j -> {
              judged.add(j);
              return redis.send(
                  Request.cmd(Command.EXISTS)
                      .arg(keys.auditPublished())
                      .arg(keys.auditCommitted()));
            })
        .compose(
            exists ->
                exists.toLong() == 0
                    ? Future.succeededFuture(nothingToVerify(cutoff[0], judged.get(0)))
                    : scan(
                            keys.auditPublished(),
                            (id, f) -> {
                              long epoch = Replies.parseLong(f.get("epoch"), -1);
                              long at = idMillis(id);
                              String n = f.get("n");
                              if (n == null) {
                                published.add(
                                    new Published(
                                        f.get("msg"), epoch, f.get("gen"), at, f.get("replayOf")));
                              } else {
                                for (long i = 0, count = Replies.parseLong(n, -1); i < count; i++) {
                                  published.add(
                                      new Published(
                                          f.get("msg") + "/" + i, epoch, f.get("gen"), at, null));
                                }
                              }
                            })
                        .compose(v -> page(keys.messages(), "-", (id, fields) -> inStream.add(id)))
                        .compose(
                            v ->
                                scan(
                                    keys.auditCommitted(),
                                    (id, f) -> {
                                      long at = idMillis(id);
                                      String kinds = f.get("kinds");
                                      if (kinds == null) {
                                        commits
                                            .computeIfAbsent(f.get("msg"), k -> new ArrayList<>(1))
                                            .add(new Commit(f.get("kind"), at));
                                      } else {
                                        for (int i = 0; i < kinds.length(); i++) {
                                          commits
                                              .computeIfAbsent(
                                                  f.get("msg") + "/" + i, k -> new ArrayList<>(1))
                                              .add(
                                                  new Commit(
                                                      KINDS.getOrDefault(
                                                          kinds.charAt(i), "unknown"),
                                                      at));
                                        }
                                      }
                                    }))
                        .compose(
                            v ->
                                scan(
                                    keys.errors(),
                                    (id, f) -> {
                                      String record = f.get("record");
                                      String msg = null;
                                      try {
                                        msg =
                                            record == null
                                                ? null
                                                : new JsonObject(record).getString("id");
                                      } catch (RuntimeException notJson) {
                                        // a raw entry: not an error record of a message
                                      }
                                      if (msg != null) {
                                        errorRecords
                                            .computeIfAbsent(msg, k -> new HashSet<>())
                                            .add(id);
                                      }
                                    }))
                        .compose(
                            v ->
                                scan(
                                    keys.auditDrained(),
                                    (id, f) -> {
                                      String msg = f.get("msg");
                                      if (msg != null) {
                                        errorRecords
                                            .computeIfAbsent(msg, k -> new HashSet<>())
                                            .add(f.getOrDefault("errorId", id));
                                      }
                                    }))
                        .compose(
                            v -> {
                              // a million messages take seconds to count: off the event loop when
                              // there is one
                              Context context = Vertx.currentContext();
                              return context == null
                                  ? Future.succeededFuture(
                                      report(
                                          cutoff[0],
                                          published,
                                          commits,
                                          errorRecords,
                                          inStream,
                                          judged.get(0)))
                                  : context.executeBlocking(
                                      () ->
                                          report(
                                              cutoff[0],
                                              published,
                                              commits,
                                              errorRecords,
                                              inStream,
                                              judged.get(0)));
                            }));
  }

  /**
   * The instant the run checks: a Redis {@code TIME} reading T, returned once the Redis clock has
   * passed T, so every write stamped T or earlier is done before the first read, and every later
   * write is stamped after T.
   */
  private Future<Long> cutoff() {
    return serverMs().compose(t -> past(t, 0));
  }

  private Future<Long> past(long t, int tries) {
    return serverMs()
        .compose(now -> now > t || tries > 1_000 ? Future.succeededFuture(t) : past(t, tries + 1));
  }

  private Future<Long> serverMs() {
    return redis
        .send(Request.cmd(Command.TIME))
        .map(r -> r.get(0).toLong() * 1000 + r.get(1).toLong() / 1000);
  }

  private static JsonObject nothingToVerify(long cutoff, Completeness.Judgement judged) {
    return report(cutoff, List.of(), Map.of(), Map.of(), Set.of(), judged).put("ledger", false);
  }

  /**
   * True when the ledger is complete, and nothing was lost, duplicated, unexpected or split, and
   * the errors add up.
   */
  public static boolean passed(JsonObject report) {
    return report.getBoolean("ok");
  }

  /** False when Redis lost part of the ledger's window: then nothing it says can be OK. */
  public static boolean complete(JsonObject report) {
    return report.getBoolean("complete", true);
  }

  /** "the ledger is incomplete: Redis lost data (…)", or null when the ledger is complete. */
  public static String incompleteSentence(JsonObject report) {
    JsonArray why = report.getJsonArray("incomplete");
    return why == null || why.isEmpty()
        ? null
        : "the ledger is incomplete: Redis lost data ("
            + String.join("; ", why.stream().map(String::valueOf).toList())
            + ")";
  }

  private static JsonObject report(
      long cutoff,
      List<Published> all,
      Map<String, List<Commit>> commits,
      Map<String, Set<String>> errorRecords,
      Set<String> inStream,
      Completeness.Judgement ledger) {
    Set<String> everPublished = new HashSet<>(all.size() * 2);
    List<Published> published = new ArrayList<>(all.size());
    for (Published p : all) {
      everPublished.add(p.msg());
      if (p.atMs() <= cutoff) {
        published.add(p);
      }
    }
    Set<String> publishedIds = new HashSet<>(published.size() * 2);
    Map<Long, JsonObject> epochs = new TreeMap<>();
    long maxEpoch = Long.MIN_VALUE;
    List<String> overlap = new ArrayList<>();
    long replayed = 0;
    for (Published p : published) {
      publishedIds.add(p.msg());
      if (p.replayOf() != null) {
        replayed++; // a replay keeps its message's epoch: not a publish of that epoch now
        continue;
      }
      long ms = idMillis(p.msg());
      JsonObject e =
          epochs.computeIfAbsent(
              p.epoch(),
              k ->
                  new JsonObject()
                      .put("epoch", k)
                      .put("gen", p.gen())
                      .put("first", ms)
                      .put("count", 0L));
      e.put("last", ms).put("count", e.getLong("count") + 1);
      if (p.epoch() < maxEpoch) {
        overlap.add(p.msg() + " (epoch " + p.epoch() + " after epoch " + maxEpoch + ")");
      }
      maxEpoch = Math.max(maxEpoch, p.epoch());
    }

    List<String> lost = new ArrayList<>();
    long pending = 0;
    for (Published p : published) {
      if (!commits.containsKey(p.msg())) {
        if (inStream.contains(entryId(p.msg()))) {
          pending++;
        } else {
          lost.add(p.msg());
        }
      }
    }
    List<String> duplicated = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    long committed = 0;
    long foreignDeadLettered = 0;
    long deadLettered = 0;
    Set<String> judgedErrors = new HashSet<>();
    for (Map.Entry<String, List<Commit>> c : commits.entrySet()) {
      String msg = c.getKey();
      List<Commit> each = c.getValue();
      boolean byCutoff = each.stream().anyMatch(x -> x.atMs() <= cutoff);
      if (!publishedIds.contains(msg) && !byCutoff) {
        continue; // work after the cutoff on a message published after it: the next run's
      }
      committed++;
      String kind = each.get(each.size() - 1).kind();
      if (each.size() > 1) {
        duplicated.add(msg + " (" + each.size() + " commits)");
      }
      if ("dead".equals(kind)) {
        deadLettered++;
      }
      if (!everPublished.contains(msg)) {
        if ("dead".equals(kind)) {
          foreignDeadLettered++; // written to the stream by a third party and dead-lettered: as
          // designed
        } else {
          unexpected.add(msg);
        }
      }
      if ("error".equals(kind)) {
        judgedErrors.add(msg);
      }
    }

    // a replayed message keeps its id: its error record names the message it replays; it belongs
    // to the replay judged an error (at most one of them is: the others were dead-lettered)
    Map<String, List<String>> replaysOf = new HashMap<>();
    for (Published p : all) {
      if (p.replayOf() != null) {
        replaysOf.computeIfAbsent(p.replayOf(), k -> new ArrayList<>()).add(p.msg());
      }
    }
    Map<String, Set<String>> recordsOf = errorRecords;
    if (!replaysOf.isEmpty()) {
      recordsOf = new HashMap<>(errorRecords.size() * 2);
      for (Map.Entry<String, Set<String>> r : errorRecords.entrySet()) {
        String owner = r.getKey();
        for (String replay : replaysOf.getOrDefault(owner, List.of())) {
          if (judgedErrors.contains(replay)) {
            owner = replay;
            break;
          }
        }
        recordsOf.computeIfAbsent(owner, k -> new HashSet<>()).addAll(r.getValue());
      }
    }
    // a dead letter is replayed at most once: a message put back more often than it (or a replay
    // of it) was dead-lettered was handled more than once
    for (Map.Entry<String, List<String>> r : replaysOf.entrySet()) {
      String original = r.getKey();
      long replays = r.getValue().stream().filter(publishedIds::contains).count();
      if (replays == 0 || !commits.containsKey(original)) {
        continue; // the original's commit predates the ledger: nothing to compare with
      }
      long dead = deadCommits(commits.get(original));
      for (String replay : r.getValue()) {
        dead += deadCommits(commits.getOrDefault(replay, List.of()));
      }
      if (replays > dead) {
        duplicated.add(
            original + " (replayed " + replays + " times, dead-lettered " + dead + " times)");
      }
    }

    List<String> missing = new ArrayList<>();
    for (String id : judgedErrors) {
      if (!recordsOf.containsKey(id)) {
        missing.add(id);
      }
    }
    List<String> extra = new ArrayList<>();
    List<String> duplicateRecords = new ArrayList<>();
    long records = 0;
    for (Map.Entry<String, Set<String>> r : recordsOf.entrySet()) {
      boolean judged = judgedErrors.contains(r.getKey());
      // a record made after the cutoff belongs to a commit after it, unless its message was judged
      boolean byCutoff = r.getValue().stream().anyMatch(id -> idMillis(id) <= cutoff);
      if (!judged && !byCutoff) {
        continue;
      }
      records++;
      if (!judged) {
        extra.add(r.getKey());
      }
      if (r.getValue().size() > 1) {
        duplicateRecords.add(r.getKey() + " (" + r.getValue().size() + " records)");
      }
    }

    boolean errorsOk = missing.isEmpty() && extra.isEmpty() && duplicateRecords.isEmpty();
    boolean something = !published.isEmpty() || committed > 0;
    boolean ok =
        something
            && ledger.complete()
            && lost.isEmpty()
            && duplicated.isEmpty()
            && unexpected.isEmpty()
            && overlap.isEmpty()
            && errorsOk;
    JsonArray epochList = new JsonArray();
    epochs.values().forEach(epochList::add);
    Map<String, Object> samples = new LinkedHashMap<>();
    samples.put("lost", sample(lost));
    samples.put("duplicated", sample(duplicated));
    samples.put("unexpected", sample(unexpected));
    samples.put("overlap", sample(overlap));
    samples.put("errorsMissing", sample(missing));
    samples.put("errorsExtra", sample(extra));
    samples.put("errorsDuplicated", sample(duplicateRecords));
    return new JsonObject()
        .put("ok", ok)
        .put("ledger", true)
        .put("nothingToVerify", !something)
        .put("complete", ledger.complete())
        .put("incomplete", new JsonArray(ledger.incomplete()))
        .put("notes", new JsonArray(ledger.notes()))
        .put("ledgerSince", ledger.sinceMs() < 0 ? null : ledger.sinceMs())
        .put("cutoff", cutoff)
        .put("published", (long) published.size())
        .put("committed", committed)
        .put("lost", (long) lost.size())
        .put("duplicated", (long) duplicated.size())
        .put("unexpected", (long) unexpected.size())
        .put("pending", pending)
        .put("replayed", replayed)
        .put("deadLettered", deadLettered)
        .put("foreignDeadLettered", foreignDeadLettered)
        .put("overlap", (long) overlap.size())
        .put("epochs", epochList)
        .put(
            "errors",
            new JsonObject()
                .put("judged", (long) judgedErrors.size())
                .put("records", records)
                .put("missing", (long) missing.size())
                .put("extra", (long) extra.size())
                .put("duplicated", (long) duplicateRecords.size())
                .put("ok", errorsOk))
        .put("samples", new JsonObject(samples));
  }

  /**
   * Nothing was published or committed by the cutoff, or there is no ledger: no verdict to give.
   */
  public static boolean nothingToVerify(JsonObject report) {
    return report.getBoolean("nothingToVerify", false);
  }

  /** The report as a few aligned lines for people. */
  public static String text(JsonObject r) {
    StringBuilder sb = new StringBuilder();
    line(sb, "published", r.getLong("published"));
    line(sb, "committed", r.getLong("committed"));
    line(sb, "lost", r.getLong("lost"));
    line(sb, "duplicated", r.getLong("duplicated"));
    line(sb, "unexpected", r.getLong("unexpected"));
    line(sb, "pending", r.getLong("pending"));
    line(
        sb,
        "replayed",
        r.getLong("replayed", 0L)
            + " (dead letters put back as new messages, counted in published)");
    line(
        sb,
        "dead-lettered",
        r.getLong("deadLettered")
            + " (of which not published by a generator: "
            + r.getLong("foreignDeadLettered")
            + ")");
    line(sb, "overlap", r.getLong("overlap"));
    JsonObject e = r.getJsonObject("errors");
    line(
        sb,
        "error records",
        e.getLong("records")
            + " for "
            + e.getLong("judged")
            + " messages judged errors"
            + " (missing "
            + e.getLong("missing")
            + ", extra "
            + e.getLong("extra")
            + ", duplicated "
            + e.getLong("duplicated")
            + ")");
    JsonArray epochs = r.getJsonArray("epochs");
    line(sb, "epochs", epochs.size());
    for (int i = 0; i < epochs.size(); i++) {
      JsonObject ep = epochs.getJsonObject(i);
      sb.append(
          String.format(
              "  epoch %-6d %-20s %8d messages  first %s  last %s%n",
              ep.getLong("epoch"),
              ep.getString("gen"),
              ep.getLong("count"),
              Instant.ofEpochMilli(ep.getLong("first")),
              Instant.ofEpochMilli(ep.getLong("last"))));
    }
    JsonObject samples = r.getJsonObject("samples");
    for (String k : samples.fieldNames()) {
      JsonArray s = samples.getJsonArray(k);
      if (!s.isEmpty()) {
        sb.append("  e.g. ").append(k).append(": ").append(s.encode()).append('\n');
      }
    }
    line(
        sb,
        "as of",
        Instant.ofEpochMilli(r.getLong("cutoff"))
            + " (Redis clock; later work counts only for messages published by then)");
    Long since = r.getLong("ledgerSince");
    if (since != null) {
      line(sb, "ledger since", Instant.ofEpochMilli(since));
    }
    JsonArray notes = r.getJsonArray("notes", new JsonArray());
    for (int i = 0; i < notes.size(); i++) {
      sb.append("note: ").append(notes.getString(i)).append('\n');
    }
    String incomplete = incompleteSentence(r);
    if (incomplete != null) {
      sb.append("INCOMPLETE: ").append(incomplete).append('\n');
    }
    if (nothingToVerify(r)) {
      sb.append(
          r.getBoolean("ledger")
              ? "NOTHING TO VERIFY: the audit ledger records no publish or commit\n"
              : "NOTHING TO VERIFY: there is no audit ledger (is audit.enabled true on the nodes?)\n");
    } else {
      sb.append(
          r.getBoolean("ok")
              ? "OK: nothing lost, duplicated, unexpected or split\n"
              : incomplete != null && violations(r) == 0
                  ? "FAILED: the ledger cannot show what happened\n"
                  : "FAILED\n");
    }
    return sb.toString();
  }

  private static long deadCommits(List<Commit> commits) {
    return commits.stream().filter(c -> "dead".equals(c.kind())).count();
  }

  private static long violations(JsonObject r) {
    return r.getLong("lost")
        + r.getLong("duplicated")
        + r.getLong("unexpected")
        + r.getLong("overlap")
        + (r.getJsonObject("errors").getBoolean("ok") ? 0 : 1);
  }

  private static void line(StringBuilder sb, String name, Object value) {
    sb.append(String.format("%-14s %s%n", name, value));
  }

  private static JsonArray sample(List<String> items) {
    JsonArray a = new JsonArray();
    items.stream().sorted().limit(SAMPLES).forEach(a::add);
    return a;
  }

  private Future<Void> scan(String key, BiConsumer<String, Map<String, String>> each) {
    return page(key, "-", each);
  }

  private Future<Void> page(
      String key, String start, BiConsumer<String, Map<String, String>> each) {
    return redis
        .send(Request.cmd(Command.XRANGE).arg(key).arg(start).arg("+").arg("COUNT").arg(PAGE))
        .compose(
            reply -> {
              List<Replies.Entry> entries = Replies.entries(reply);
              for (Replies.Entry entry : entries) {
                each.accept(entry.id(), entry.fields());
              }
              int n = reply == null ? 0 : reply.size(); // a nil entry still counts towards the page
              return n < PAGE
                  ? Future.<Void>succeededFuture()
                  : page(key, "(" + reply.get(n - 1).get(0).toString(), each);
            });
  }

  /** The stream entry a message id names: {@code <entry id>/<index>} for a message of a pack. */
  static String entryId(String messageId) {
    int slash = messageId.indexOf('/');
    return slash < 0 ? messageId : messageId.substring(0, slash);
  }

  static long idMillis(String streamId) {
    int dash = streamId.indexOf('-');
    return Replies.parseLong(dash < 0 ? streamId : streamId.substring(0, dash), -1);
  }
}
