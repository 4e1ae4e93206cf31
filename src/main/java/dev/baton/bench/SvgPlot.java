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

  private SvgPlot() {}

  /**
   * {@code series}: label → points (x, y), drawn in order; dashes tell lines apart without colour.
   */
  static String render(
      String title,
      String subtitle,
      String xLabel,
      String yLabel,
      Map<String, List<double[]>> series) {
    int w = 760;
    int h = 440;
    int left = 80;
    int right = 170;
    int top = 58;
    int bottom = 60;
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
    double yTop = niceCeil(yMax);
    double lx0 = Math.log10(xMin);
    double lx1 = Math.log10(xMax) == lx0 ? lx0 + 1 : Math.log10(xMax);
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                + "font-size=\"13\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
            w,
            h));
    sb.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">%s</text>%n",
            left,
            esc(title)));
    sb.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"40\" font-size=\"12\" fill=\"#444\">%s</text>%n",
            left,
            esc(subtitle)));
    int pw = w - left - right;
    int ph = h - top - bottom;
    for (int i = 0; i <= 5; i++) {
      double y = yTop * i / 5;
      double py = top + ph - ph * i / 5.0;
      sb.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
              left,
              py,
              left + pw,
              py,
              left - 8,
              py + 4,
              fmt(y)));
    }
    for (List<double[]> pts : series.values()) {
      for (double[] p : pts) {
        double px = left + pw * (Math.log10(p[0]) - lx0) / (lx1 - lx0);
        sb.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                px,
                top,
                px,
                top + ph,
                px,
                top + ph + 18,
                fmt(p[0])));
      }
      break;
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#333\"/>%n",
            left,
            top,
            pw,
            ph));
    sb.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
            left + pw / 2,
            h - 15,
            esc(xLabel)));
    sb.append(
        String.format(
            Locale.ROOT,
            "<text transform=\"translate(18,%d) rotate(-90)\" text-anchor=\"middle\">%s"
                + "</text>%n",
            top + ph / 2,
            esc(yLabel)));
    int s = 0;
    for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
      String colour = COLOURS[s % COLOURS.length];
      String dash = DASHES[s % DASHES.length];
      StringBuilder path = new StringBuilder();
      for (double[] p : e.getValue()) {
        double px = left + pw * (Math.log10(p[0]) - lx0) / (lx1 - lx0);
        double py = top + ph - ph * p[1] / yTop;
        path.append(path.length() == 0 ? "M" : " L")
            .append(String.format(Locale.ROOT, "%.1f,%.1f", px, py));
        sb.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                px,
                py,
                colour));
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
              path,
              colour,
              dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\""));
      int ly = top + 20 + s * 22;
      sb.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>"
                  + "<text x=\"%d\" y=\"%d\">%s</text>%n",
              left + pw + 12,
              ly,
              left + pw + 42,
              ly,
              colour,
              dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\"",
              left + pw + 48,
              ly + 4,
              esc(e.getKey())));
      s++;
    }
    return sb.append("</svg>\n").toString();
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
