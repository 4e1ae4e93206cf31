package dev.baton.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What verify found, typed, with its two forms: {@link #toJson()} ({@code verify --json}, the
 * benchmark) and {@link #text()} (a few aligned lines for people). The violation lists are whole;
 * both forms show their sizes and a sorted sample of each.
 *
 * @param ledger false when there is no audit ledger at all
 * @param incomplete why the ledger is incomplete (empty when complete), see {@link Completeness}
 * @param notes remarks on the ledger for people
 * @param ledgerSinceMs when the ledger began, or -1
 * @param cutoff the Redis ms the run checks as of
 * @param published messages published by the cutoff
 * @param committed messages committed, counted once each
 * @param duplicated messages committed more than once, or replayed more often than dead-lettered
 * @param unexpected messages committed that were never published (and not dead-lettered)
 * @param pending messages published and still in the stream, uncommitted
 * @param replayed dead letters put back as new messages (counted in published)
 * @param overlap publishes of an epoch after a newer epoch published (split brain)
 */
public record VerifyReport(
    boolean ledger,
    List<String> incomplete,
    List<String> notes,
    long ledgerSinceMs,
    long cutoff,
    long published,
    long committed,
    List<String> lost,
    List<String> duplicated,
    List<String> unexpected,
    long pending,
    long replayed,
    long deadLettered,
    long foreignDeadLettered,
    List<String> overlap,
    List<Epoch> epochs,
    ErrorRecords errors) {
  private static final int SAMPLES = 10;

  /** The messages one epoch published: how many, and the Redis ms of the first and last. */
  public record Epoch(long epoch, String gen, long first, long last, long count) {
    JsonObject toJson() {
      return new JsonObject()
          .put("epoch", epoch)
          .put("gen", gen)
          .put("first", first)
          .put("count", count)
          .put("last", last);
    }
  }

  /**
   * The error records against the messages judged errors: each such message must have exactly one.
   *
   * @param judged messages whose last commit judged them an error
   * @param records messages with error records (the judged ones, and others by the cutoff)
   * @param missing judged messages without a record
   * @param extra messages with a record that were not judged errors
   * @param duplicated messages with more than one record
   */
  public record ErrorRecords(
      long judged,
      long records,
      List<String> missing,
      List<String> extra,
      List<String> duplicated) {
    public boolean ok() {
      return missing.isEmpty() && extra.isEmpty() && duplicated.isEmpty();
    }
  }

  /** Nothing was published or committed by the cutoff, or there is no ledger: no verdict. */
  public boolean nothingToVerify() {
    return published == 0 && committed == 0;
  }

  /** False when Redis lost part of the ledger's window: then nothing it says can be OK. */
  public boolean complete() {
    return incomplete.isEmpty();
  }

  /**
   * True when the ledger is complete, and nothing was lost, duplicated, unexpected or split, and
   * the errors add up.
   */
  public boolean passed() {
    return !nothingToVerify()
        && complete()
        && lost.isEmpty()
        && duplicated.isEmpty()
        && unexpected.isEmpty()
        && overlap.isEmpty()
        && errors.ok();
  }

  /** "the ledger is incomplete: Redis lost data (…)", or null when the ledger is complete. */
  public String incompleteSentence() {
    return complete()
        ? null
        : "the ledger is incomplete: Redis lost data (" + String.join("; ", incomplete) + ")";
  }

  private long violations() {
    return lost.size()
        + duplicated.size()
        + unexpected.size()
        + overlap.size()
        + (errors.ok() ? 0 : 1);
  }

  /** The report as one JSON document; its fields and their order are the {@code --json} form. */
  public JsonObject toJson() {
    JsonArray epochList = new JsonArray();
    epochs.forEach(e -> epochList.add(e.toJson()));
    return new JsonObject()
        .put("ok", passed())
        .put("ledger", ledger)
        .put("nothingToVerify", nothingToVerify())
        .put("complete", complete())
        .put("incomplete", new JsonArray(incomplete))
        .put("notes", new JsonArray(notes))
        .put("ledgerSince", ledgerSinceMs < 0 ? null : ledgerSinceMs)
        .put("cutoff", cutoff)
        .put("published", published)
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
                .put("judged", errors.judged())
                .put("records", errors.records())
                .put("missing", (long) errors.missing().size())
                .put("extra", (long) errors.extra().size())
                .put("duplicated", (long) errors.duplicated().size())
                .put("ok", errors.ok()))
        .put("samples", new JsonObject(samples()));
  }

  private Map<String, Object> samples() {
    Map<String, Object> samples = new LinkedHashMap<>();
    samples.put("lost", sample(lost));
    samples.put("duplicated", sample(duplicated));
    samples.put("unexpected", sample(unexpected));
    samples.put("overlap", sample(overlap));
    samples.put("errorsMissing", sample(errors.missing()));
    samples.put("errorsExtra", sample(errors.extra()));
    samples.put("errorsDuplicated", sample(errors.duplicated()));
    return samples;
  }

  private static JsonArray sample(List<String> items) {
    JsonArray a = new JsonArray();
    items.stream().sorted().limit(SAMPLES).forEach(a::add);
    return a;
  }

  /** The report as a few aligned lines for people. */
  public String text() {
    StringBuilder sb = new StringBuilder();
    counts(sb);
    line(sb, "epochs", epochs.size());
    for (Epoch ep : epochs) {
      sb.append(
          String.format(
              "  epoch %-6d %-20s %8d messages  first %s  last %s%n",
              ep.epoch(),
              ep.gen(),
              ep.count(),
              Instant.ofEpochMilli(ep.first()),
              Instant.ofEpochMilli(ep.last())));
    }
    samples()
        .forEach(
            (k, s) -> {
              if (!((JsonArray) s).isEmpty()) {
                sb.append("  e.g. ").append(k).append(": ").append(((JsonArray) s).encode());
                sb.append('\n');
              }
            });
    line(
        sb,
        "as of",
        Instant.ofEpochMilli(cutoff)
            + " (Redis clock; later work counts only for messages published by then)");
    if (ledgerSinceMs >= 0) {
      line(sb, "ledger since", Instant.ofEpochMilli(ledgerSinceMs));
    }
    for (String note : notes) {
      sb.append("note: ").append(note).append('\n');
    }
    String sentence = incompleteSentence();
    if (sentence != null) {
      sb.append("INCOMPLETE: ").append(sentence).append('\n');
    }
    sb.append(verdict(sentence));
    return sb.toString();
  }

  private void counts(StringBuilder sb) {
    line(sb, "published", published);
    line(sb, "committed", committed);
    line(sb, "lost", (long) lost.size());
    line(sb, "duplicated", (long) duplicated.size());
    line(sb, "unexpected", (long) unexpected.size());
    line(sb, "pending", pending);
    line(
        sb,
        "replayed",
        replayed + " (dead letters put back as new messages, counted in published)");
    line(
        sb,
        "dead-lettered",
        deadLettered + " (of which not published by a generator: " + foreignDeadLettered + ")");
    line(sb, "overlap", (long) overlap.size());
    line(
        sb,
        "error records",
        errors.records()
            + " for "
            + errors.judged()
            + " messages judged errors"
            + " (missing "
            + errors.missing().size()
            + ", extra "
            + errors.extra().size()
            + ", duplicated "
            + errors.duplicated().size()
            + ")");
  }

  private String verdict(String incompleteSentence) {
    if (nothingToVerify()) {
      return ledger
          ? "NOTHING TO VERIFY: the audit ledger records no publish or commit\n"
          : "NOTHING TO VERIFY: there is no audit ledger (is audit.enabled true on the nodes?)\n";
    }
    return passed()
        ? "OK: nothing lost, duplicated, unexpected or split\n"
        : incompleteSentence != null && violations() == 0
            ? "FAILED: the ledger cannot show what happened\n"
            : "FAILED\n";
  }

  private static void line(StringBuilder sb, String name, Object value) {
    sb.append(String.format("%-14s %s%n", name, value));
  }
}
