package dev.baton.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code bench --sweep}: throughput runs against pack size for several handler counts, plotted as
 * SVG (one line per handler count).
 */
final class SweepRun {
  private final Target.Opener opener;
  private final Function<Target, ThroughputRun> throughput;
  private final List<Integer> packs;
  private final List<Integer> handlerCounts;
  private final int batch;
  private final long messages;
  private final long warmup;

  SweepRun(
      Target.Opener opener,
      Function<Target, ThroughputRun> throughput,
      List<Integer> packs,
      List<Integer> handlerCounts,
      int batch,
      long messages,
      long warmup) {
    this.opener = opener;
    this.throughput = throughput;
    this.packs = packs;
    this.handlerCounts = handlerCounts;
    this.batch = batch;
    this.messages = messages;
    this.warmup = warmup;
  }

  /** The sweep's points (its Redis closed after them), then the plot written to {@code plot}. */
  JsonObject run(Path plot) throws Exception {
    Map<String, List<double[]>> series = new LinkedHashMap<>();
    JsonArray points = new JsonArray();
    double raw;
    try (Target target = opener.open()) {
      ThroughputRun trials = throughput.apply(target);
      raw = trials.rawXadd();
      for (int h : handlerCounts) {
        List<double[]> line = new ArrayList<>();
        for (int p : packs) {
          JsonObject run =
              trials.measuredTrial(new ThroughputRun.Shape(h, batch, p, messages), false, raw);
          points.add(run);
          line.add(new double[] {p, run.getDouble("messagesPerSecond")});
        }
        series.put(h + (h == 1 ? " handler" : " handlers"), line);
      }
    }
    write(plot, series, raw);
    return new JsonObject()
        .put("rawXaddPerSecond", raw)
        .put("points", points)
        .put("plot", plot.toString());
  }

  private void write(Path plot, Map<String, List<double[]>> series, double raw) throws Exception {
    String svg =
        SvgPlot.render(
            "Baton end-to-end throughput, 1 generator + N handlers",
            String.format(
                Locale.ROOT,
                "%,d messages per point%s, batch %d; %d cores, load %s; "
                    + "redis-benchmark -P 16 XADD %,.0f/s",
                messages,
                warmup > 0
                    ? String.format(Locale.ROOT, " after %,d warm-up", warmup)
                    : ", cold JVMs",
                batch,
                Runtime.getRuntime().availableProcessors(),
                Bench.load(),
                raw),
            "messages per stream entry (generator.packSize)",
            "messages per second",
            series);
    if (plot.getParent() != null) {
      Files.createDirectories(plot.getParent());
    }
    Files.writeString(plot, svg);
    System.out.println("plot: " + plot.toAbsolutePath());
  }
}
