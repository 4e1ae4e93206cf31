package dev.baton.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * monitoring/grafana/baton.json and its provisioning files, checked as files (Grafana itself is not
 * run: {@link MonitoringIT} runs every query through a real Prometheus). The conventions of
 * well-kept dashboards: one {@code datasource} variable and no {@code ${DS_...}} import inputs
 * (they break under file provisioning, grafana#10786), {@code job} and {@code instance} variables
 * that every selector uses, {@code $__rate_interval} in every range; unique panel ids, a grid that
 * fits 24 columns without overlaps, and only metric names Baton exports.
 */
class GrafanaDashboardTest {
  private static final JsonObject DATASOURCE =
      new JsonObject().put("type", "prometheus").put("uid", "${datasource}");
  private final JsonObject dashboard = MonitoringFiles.dashboard();
  private final List<JsonObject> panels = MonitoringFiles.panels(dashboard);
  private final Map<String, String> queries = MonitoringFiles.panelExpressions(dashboard);

  private JsonObject variable(String name) {
    for (Object v : dashboard.getJsonObject("templating").getJsonArray("list")) {
      if (name.equals(((JsonObject) v).getString("name"))) {
        return (JsonObject) v;
      }
    }
    throw new AssertionError("no template variable " + name);
  }

  @Test
  void oneDatasourceVariableAndNoImportInputs() {
    String text = MonitoringFiles.read(MonitoringFiles.DASHBOARD);
    assertThat(dashboard.containsKey("__inputs")).isFalse();
    assertThat(text).doesNotContain("${DS_").doesNotContain("__requires");
    JsonArray variables = dashboard.getJsonObject("templating").getJsonArray("list");
    assertThat(
            variables.stream().filter(v -> "datasource".equals(((JsonObject) v).getString("type"))))
        .hasSize(1);
    JsonObject ds = variable("datasource");
    assertThat(ds.getString("type")).isEqualTo("datasource");
    assertThat(ds.getString("query")).isEqualTo("prometheus");
    for (JsonObject panel : panels) {
      if ("row".equals(panel.getString("type"))) {
        continue;
      }
      assertThat(panel.getJsonObject("datasource"))
          .as(panel.getString("title"))
          .isEqualTo(DATASOURCE);
      for (Object t : panel.getJsonArray("targets")) {
        assertThat(((JsonObject) t).getJsonObject("datasource"))
            .as(panel.getString("title"))
            .isEqualTo(DATASOURCE);
      }
    }
  }

  @Test
  void jobAndInstanceVariablesComeFromBatonsMetricsAndEverySelectorUsesThem() {
    JsonObject job = variable("job");
    JsonObject instance = variable("instance");
    assertThat(job.getJsonObject("datasource")).isEqualTo(DATASOURCE);
    assertThat(instance.getJsonObject("datasource")).isEqualTo(DATASOURCE);
    assertThat(job.getString("definition")).isEqualTo("label_values(baton_role, job)");
    assertThat(instance.getString("definition"))
        .isEqualTo("label_values(baton_role{job=~\"$job\"}, instance)");
    assertThat(instance.getBoolean("includeAll")).isTrue();
    assertThat(instance.getString("allValue")).isEqualTo(".+");

    Pattern selector = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?");
    queries.forEach(
        (where, expr) -> {
          for (String metric : MonitoringFiles.metricNames(expr)) {
            Matcher m = selector.matcher(expr);
            int uses = 0;
            while (m.find()) {
              if (!m.group(1).equals(metric)) {
                continue;
              }
              uses++;
              assertThat(m.group(2))
                  .as(where + ": " + metric + " selected by job and instance")
                  .isNotNull()
                  .contains("job=~\"$job\"")
                  .contains("instance=~\"$instance\"");
            }
            assertThat(uses).as(where + ": " + metric).isPositive();
          }
        });
  }

  @Test
  void everyRangeIsTheRateInterval() {
    Pattern range = Pattern.compile("\\[([^\\]]*)\\]");
    queries.forEach(
        (where, expr) -> {
          Matcher m = range.matcher(expr);
          while (m.find()) {
            assertThat(m.group(1)).as(where).isEqualTo("$__rate_interval");
          }
          assertThat(
                  expr.replace("$__rate_interval", "").replace("$job", "").replace("$instance", ""))
              .as(where + ": only the variables above")
              .doesNotContain("$");
          if (expr.matches("(?s).*\\b(rate|increase|irate)\\(.*")) {
            assertThat(expr).as(where).contains("[$__rate_interval]");
          }
        });
  }

  @Test
  void panelIdsAreUniqueAndTheGridFitsTwentyFourColumnsWithoutOverlaps() {
    Set<Integer> ids = new HashSet<>();
    List<int[]> boxes = new ArrayList<>();
    for (JsonObject panel : panels) {
      String title = panel.getString("title");
      assertThat(title).isNotBlank();
      assertThat(ids.add(panel.getInteger("id"))).as("id of " + title + " unique").isTrue();
      JsonObject grid = panel.getJsonObject("gridPos");
      int x = grid.getInteger("x");
      int y = grid.getInteger("y");
      int w = grid.getInteger("w");
      int h = grid.getInteger("h");
      assertThat(x).as(title).isGreaterThanOrEqualTo(0);
      assertThat(y).as(title).isGreaterThanOrEqualTo(0);
      assertThat(w).as(title).isPositive();
      assertThat(h).as(title).isPositive();
      assertThat(x + w).as(title + ": right edge").isLessThanOrEqualTo(24);
      for (int[] other : boxes) {
        boolean apart =
            x >= other[0] + other[2]
                || other[0] >= x + w
                || y >= other[1] + other[3]
                || other[1] >= y + h;
        assertThat(apart).as(title + " overlaps another panel").isTrue();
      }
      boxes.add(new int[] {x, y, w, h});
      if (!"row".equals(panel.getString("type"))) {
        assertThat(panel.getString("description")).as(title + " says what it shows").isNotBlank();
        assertThat(panel.getJsonArray("targets")).as(title).isNotEmpty();
      }
    }
  }

  @Test
  void onlyMetricNamesBatonExports() {
    Set<String> exported = new LinkedHashSet<>(MonitoringFiles.readmeMetrics());
    exported.add("up"); // Prometheus's own, per scraped target
    Set<String> unknown = new LinkedHashSet<>();
    queries.forEach(
        (where, expr) -> {
          Set<String> names = MonitoringFiles.metricNames(expr);
          assertThat(names).as(where).isNotEmpty();
          names.stream().filter(n -> !MonitoringFiles.known(n, exported)).forEach(unknown::add);
        });
    assertThat(unknown)
        .as("metric names neither in the README's Metrics table nor to come")
        .isEmpty();
  }

  @Test
  void itShowsWhatTheIssueAsksFor() {
    String all = String.join("\n", queries.values());
    assertThat(all)
        .contains("baton_epoch")
        .contains("baton_lease_grants_total")
        .contains("baton_messages_published_total")
        .contains("baton_messages_processed_total")
        .contains("baton_backlog_messages")
        .contains("histogram_quantile(0.5, sum by (le) (rate(baton_message_latency_seconds_bucket")
        .contains("histogram_quantile(0.99, sum by (le) (rate(baton_message_latency_seconds_bucket")
        .contains("baton_messages_errors_total")
        .contains("baton_messages_dead_lettered_total")
        .contains("baton_redis_up")
        .contains("baton_redis_refusing")
        .contains("baton_role")
        .contains("baton_handler_outcomes_total")
        .contains("baton_handler_seconds_bucket");
  }

  @SuppressWarnings("unchecked")
  @Test
  void provisioningNamesAPrometheusDatasourceAndLoadsTheDashboardFromFiles() {
    Map<String, Object> sources =
        MonitoringFiles.yaml(MonitoringFiles.PROVISIONING.resolve("datasources/baton.yml"));
    List<Map<String, Object>> list = (List<Map<String, Object>>) sources.get("datasources");
    assertThat(sources.get("apiVersion")).isEqualTo(1);
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("type")).isEqualTo("prometheus");
    assertThat(list.get(0).get("isDefault")).isEqualTo(true);
    assertThat((String) list.get(0).get("url")).isEqualTo("http://prometheus:9090");

    Map<String, Object> dashboards =
        MonitoringFiles.yaml(MonitoringFiles.PROVISIONING.resolve("dashboards/baton.yml"));
    List<Map<String, Object>> providers = (List<Map<String, Object>>) dashboards.get("providers");
    assertThat(providers).hasSize(1);
    assertThat(providers.get(0).get("type")).isEqualTo("file");
    String path = (String) ((Map<String, Object>) providers.get(0).get("options")).get("path");
    // the README's mount puts the dashboard file where the provider looks
    assertThat(MonitoringFiles.read(MonitoringFiles.README))
        .contains("monitoring/grafana/baton.json:" + path + "/baton.json");
    assertThat(dashboard.getString("uid")).isEqualTo("baton");
  }
}
