package dev.baton.audit;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Checks the audit ledger the way Jepsen's total-queue checker does, message by message (a pack's
 * ledger entries name its n messages, {@code <entry id>/<i>}): every published message must
 * be committed exactly once or still be in flight; nothing may be committed that was never
 * published; no epoch may publish after a newer one did (split brain); and the error records must
 * be exactly the committed messages judged errors, each once. It counts, it never assumes: a
 * duplicate injected into the ledger is reported like a real one.
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

  /** One published message, in publish (ledger) order. */
  private record Published(String msg, long epoch, String gen) {}

  /** Runs every check and returns the report (see {@link #passed}). */
  public Future<JsonObject> verify() {
    List<Published> published = new ArrayList<>();
    Map<String, Integer> commits = new HashMap<>();
    Map<String, String> commitKind = new HashMap<>();
    Map<String, Integer> errorRecords = new HashMap<>();
    Set<String> inStream = new HashSet<>();
    return scan(keys.auditPublished(), f -> {
          long epoch = parseLong(f.get("epoch"));
          String n = f.get("n");
          if (n == null) {
            published.add(new Published(f.get("msg"), epoch, f.get("gen")));
          } else {
            for (long i = 0, count = parseLong(n); i < count; i++) {
              published.add(new Published(f.get("msg") + "/" + i, epoch, f.get("gen")));
            }
          }
        })
        .compose(v -> scan(keys.auditCommitted(), f -> {
          String kinds = f.get("kinds");
          if (kinds == null) {
            commits.merge(f.get("msg"), 1, Integer::sum);
            commitKind.put(f.get("msg"), f.get("kind"));
          } else {
            for (int i = 0; i < kinds.length(); i++) {
              String msg = f.get("msg") + "/" + i;
              commits.merge(msg, 1, Integer::sum);
              commitKind.put(msg, KINDS.getOrDefault(kinds.charAt(i), "unknown"));
            }
          }
        }))
        .compose(v -> scan(keys.auditDrained(), f -> errorRecords.merge(f.get("msg"), 1, Integer::sum)))
        .compose(v -> scan(keys.errors(), f -> {
          String record = f.get("record");
          String msg = null;
          try {
            msg = record == null ? null : new JsonObject(record).getString("id");
          } catch (RuntimeException notJson) {
            // a raw entry: not an error record of a message
          }
          if (msg != null) {
            errorRecords.merge(msg, 1, Integer::sum);
          }
        }))
        .compose(v -> scanIds(keys.messages(), inStream::add))
        .compose(v -> {
          // a million messages take seconds to count: off the event loop when there is one
          Context context = Vertx.currentContext();
          return context == null ? Future.succeededFuture(report(published, commits, commitKind, errorRecords, inStream))
              : context.executeBlocking(() -> report(published, commits, commitKind, errorRecords, inStream));
        });
  }

  /** True when nothing was lost, duplicated, unexpected or split, and the errors add up. */
  public static boolean passed(JsonObject report) {
    return report.getBoolean("ok");
  }

  private static JsonObject report(List<Published> published, Map<String, Integer> commits,
      Map<String, String> commitKind, Map<String, Integer> errorRecords, Set<String> inStream) {
    Set<String> publishedIds = new HashSet<>(published.size() * 2);
    Map<Long, JsonObject> epochs = new TreeMap<>();
    long maxEpoch = Long.MIN_VALUE;
    List<String> overlap = new ArrayList<>();
    for (Published p : published) {
      publishedIds.add(p.msg());
      long ms = idMillis(p.msg());
      JsonObject e = epochs.computeIfAbsent(p.epoch(), k -> new JsonObject().put("epoch", k).put("gen", p.gen())
          .put("first", ms).put("count", 0L));
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
    long foreignDeadLettered = 0;
    long deadLettered = 0;
    Set<String> judgedErrors = new HashSet<>();
    for (Map.Entry<String, Integer> c : commits.entrySet()) {
      String kind = commitKind.get(c.getKey());
      if (c.getValue() > 1) {
        duplicated.add(c.getKey() + " (" + c.getValue() + " commits)");
      }
      if ("dead".equals(kind)) {
        deadLettered++;
      }
      if (!publishedIds.contains(c.getKey())) {
        if ("dead".equals(kind)) {
          foreignDeadLettered++; // written to the stream by a third party and dead-lettered: as designed
        } else {
          unexpected.add(c.getKey());
        }
      }
      if ("error".equals(kind)) {
        judgedErrors.add(c.getKey());
      }
    }

    List<String> missing = new ArrayList<>();
    for (String id : judgedErrors) {
      if (!errorRecords.containsKey(id)) {
        missing.add(id);
      }
    }
    List<String> extra = new ArrayList<>();
    List<String> duplicateRecords = new ArrayList<>();
    for (Map.Entry<String, Integer> r : errorRecords.entrySet()) {
      if (!judgedErrors.contains(r.getKey())) {
        extra.add(r.getKey());
      }
      if (r.getValue() > 1) {
        duplicateRecords.add(r.getKey() + " (" + r.getValue() + " records)");
      }
    }

    boolean errorsOk = missing.isEmpty() && extra.isEmpty() && duplicateRecords.isEmpty();
    boolean ok = lost.isEmpty() && duplicated.isEmpty() && unexpected.isEmpty() && overlap.isEmpty() && errorsOk;
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
        .put("published", (long) published.size())
        .put("committed", (long) commits.size())
        .put("lost", (long) lost.size())
        .put("duplicated", (long) duplicated.size())
        .put("unexpected", (long) unexpected.size())
        .put("pending", pending)
        .put("deadLettered", deadLettered)
        .put("foreignDeadLettered", foreignDeadLettered)
        .put("overlap", (long) overlap.size())
        .put("epochs", epochList)
        .put("errors", new JsonObject()
            .put("judged", (long) judgedErrors.size())
            .put("records", (long) errorRecords.size())
            .put("missing", (long) missing.size())
            .put("extra", (long) extra.size())
            .put("duplicated", (long) duplicateRecords.size())
            .put("ok", errorsOk))
        .put("samples", new JsonObject(samples));
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
    line(sb, "dead-lettered", r.getLong("deadLettered") + " (of which not published by a generator: "
        + r.getLong("foreignDeadLettered") + ")");
    line(sb, "overlap", r.getLong("overlap"));
    JsonObject e = r.getJsonObject("errors");
    line(sb, "error records", e.getLong("records") + " for " + e.getLong("judged") + " messages judged errors"
        + " (missing " + e.getLong("missing") + ", extra " + e.getLong("extra") + ", duplicated "
        + e.getLong("duplicated") + ")");
    JsonArray epochs = r.getJsonArray("epochs");
    line(sb, "epochs", epochs.size());
    for (int i = 0; i < epochs.size(); i++) {
      JsonObject ep = epochs.getJsonObject(i);
      sb.append(String.format("  epoch %-6d %-20s %8d messages  first %s  last %s%n", ep.getLong("epoch"),
          ep.getString("gen"), ep.getLong("count"), java.time.Instant.ofEpochMilli(ep.getLong("first")),
          java.time.Instant.ofEpochMilli(ep.getLong("last"))));
    }
    JsonObject samples = r.getJsonObject("samples");
    for (String k : samples.fieldNames()) {
      JsonArray s = samples.getJsonArray(k);
      if (!s.isEmpty()) {
        sb.append("  e.g. ").append(k).append(": ").append(s.encode()).append('\n');
      }
    }
    sb.append(r.getBoolean("ok") ? "OK: nothing lost, duplicated, unexpected or split\n" : "FAILED\n");
    return sb.toString();
  }

  private static void line(StringBuilder sb, String name, Object value) {
    sb.append(String.format("%-14s %s%n", name, value));
  }

  private static JsonArray sample(List<String> items) {
    JsonArray a = new JsonArray();
    items.stream().sorted().limit(SAMPLES).forEach(a::add);
    return a;
  }

  private Future<Void> scan(String key, Consumer<Map<String, String>> each) {
    return page(key, "-", (id, fields) -> each.accept(fields));
  }

  private Future<Void> scanIds(String key, Consumer<String> each) {
    return page(key, "-", (id, fields) -> each.accept(id));
  }

  private Future<Void> page(String key, String start, java.util.function.BiConsumer<String, Map<String, String>> each) {
    return redis.send(Request.cmd(Command.XRANGE).arg(key).arg(start).arg("+").arg("COUNT").arg(PAGE))
        .compose(reply -> {
          String last = null;
          int n = 0;
          if (reply != null) {
            for (Response entry : reply) {
              n++;
              last = entry.get(0).toString();
              Map<String, String> fields = new HashMap<>();
              Response f = entry.get(1);
              for (int i = 0; f != null && i + 1 < f.size(); i += 2) {
                fields.put(f.get(i).toString(), f.get(i + 1) == null ? null : f.get(i + 1).toString());
              }
              each.accept(last, fields);
            }
          }
          return n < PAGE ? Future.<Void>succeededFuture() : page(key, "(" + last, each);
        });
  }

  /** The stream entry a message id names: {@code <entry id>/<index>} for a message of a pack. */
  static String entryId(String messageId) {
    int slash = messageId.indexOf('/');
    return slash < 0 ? messageId : messageId.substring(0, slash);
  }

  static long idMillis(String streamId) {
    int dash = streamId.indexOf('-');
    return parseLong(dash < 0 ? streamId : streamId.substring(0, dash));
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s);
    } catch (RuntimeException e) {
      return -1;
    }
  }
}
