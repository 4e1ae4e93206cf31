package dev.baton.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A small line chart as SVG: one line per series, x on a log scale, no dependencies. */
final class SvgPlot {
  private static final String[] COLOURS = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"
  };
  private static final String[] DASHES = {"", "6,3", "2,3", "8,3,2,3", "1,2", "4,4"};

  private static final int W = 760;
  private static final int H = 440;
  private static final int LEFT = 80;
  private static final int RIGHT = 170;
  private static final int TOP = 58;
  private static final int BOTTOM = 60;

  /** The plotting area's width and height. */
  private static final int PW = W - LEFT - RIGHT;

  private static final int PH = H - TOP - BOTTOM;

  private final StringBuilder sb = new StringBuilder();
  private final double yTop;
  private final double lx0;
  private final double lx1;

  /** Scales from the data: y from 0 to a round number above the highest, x log from the lowest. */
  private SvgPlot(Map<String, List<double[]>> series) {
    double xMin = Double.MAX_VALUE;
    double xMax = 0;
    double yMax = 0;
    for (List<double[]> pts : series.values()) {
      for (double[] p : pts) {
        xMin = Math.min(xMin, p[0]);
        xMax = Math.max(xMax, p[0]);
        yMax = Math.max(yMax, p[1]);
      }
    }
    this.yTop = niceCeil(yMax);
    this.lx0 = Math.log10(xMin);
    this.lx1 = Math.log10(xMax) == lx0 ? lx0 + 1 : Math.log10(xMax);
  }

  /**
   * {@code series}: label → points (x, y), drawn in order; dashes tell lines apart without colour.
   */
  static String render(
      String title,
      String subtitle,
      String xLabel,
      String yLabel,
      Map<String, List<double[]>> series) {
    SvgPlot plot = new SvgPlot(series);
    plot.titles(title, subtitle);
    plot.yGrid();
    for (List<double[]> pts : series.values()) {
      plot.xGrid(pts); // the first series' x values
      break;
    }
    plot.frame(xLabel, yLabel);
    int s = 0;
    for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
      plot.line(s++, e.getKey(), e.getValue());
    }
    return plot.sb.append("</svg>\n").toString();
  }

  private void append(String format, Object... args) {
    sb.append(String.format(Locale.ROOT, format, args));
  }

  private double px(double x) {
    return LEFT + PW * (Math.log10(x) - lx0) / (lx1 - lx0);
  }

  private void titles(String title, String subtitle) {
    append(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
            + "font-size=\"13\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
        W, H);
    append(
        "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">%s</text>%n",
        LEFT, esc(title));
    append(
        "<text x=\"%d\" y=\"40\" font-size=\"12\" fill=\"#444\">%s</text>%n", LEFT, esc(subtitle));
  }

  private void yGrid() {
    for (int i = 0; i <= 5; i++) {
      double y = yTop * i / 5;
      double py = TOP + PH - PH * i / 5.0;
      append(
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
              + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
          LEFT, py, LEFT + PW, py, LEFT - 8, py + 4, fmt(y));
    }
  }

  private void xGrid(List<double[]> pts) {
    for (double[] p : pts) {
      double px = px(p[0]);
      append(
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
              + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
          px, TOP, px, TOP + PH, px, TOP + PH + 18, fmt(p[0]));
    }
  }

  private void frame(String xLabel, String yLabel) {
    append(
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" " + "stroke=\"#333\"/>%n",
        LEFT, TOP, PW, PH);
    append(
        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
        LEFT + PW / 2, H - 15, esc(xLabel));
    append(
        "<text transform=\"translate(18,%d) rotate(-90)\" text-anchor=\"middle\">%s" + "</text>%n",
        TOP + PH / 2, esc(yLabel));
  }

  /** Series number {@code s}: its points, the line through them, and its legend entry. */
  private void line(int s, String label, List<double[]> points) {
    String colour = COLOURS[s % COLOURS.length];
    String dash = DASHES[s % DASHES.length];
    String dashes = dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\"";
    StringBuilder path = new StringBuilder();
    for (double[] p : points) {
      double px = px(p[0]);
      double py = TOP + PH - PH * p[1] / yTop;
      path.append(path.length() == 0 ? "M" : " L")
          .append(String.format(Locale.ROOT, "%.1f,%.1f", px, py));
      append("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", px, py, colour);
    }
    append(
        "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
        path, colour, dashes);
    int ly = TOP + 20 + s * 22;
    append(
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>"
            + "<text x=\"%d\" y=\"%d\">%s</text>%n",
        LEFT + PW + 12, ly, LEFT + PW + 42, ly, colour, dashes, LEFT + PW + 48, ly + 4, esc(label));
  }

  private static double niceCeil(double v) {
    if (v <= 0) {
      return 1;
    }
    double mag = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * mag >= v) {
        return m * mag;
      }
    }
    return 10 * mag;
  }

  private static String fmt(double v) {
    if (v >= 1000) {
      return String.format(Locale.ROOT, "%.0fk", v / 1000);
    }
    return String.format(Locale.ROOT, "%.0f", v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
