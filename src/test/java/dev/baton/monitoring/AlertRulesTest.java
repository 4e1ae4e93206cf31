package dev.baton.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.PrometheusTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * monitoring/prometheus/baton-alerts.yml: each rule complete (a wait, a severity, a summary, a
 * description saying what to do), the README's table and the file naming the same alerts, promtool
 * accepting the rules and passing their unit tests — and those unit tests able to fail: every rule
 * has a test whose series must never fire it, and a copy of the rule that never fires, one that
 * always fires and one that does not wait must each make its tests fail (so every rule has a case
 * that fires and one where its expression holds for less than its {@code for:}).
 */
@Timeout(300)
class AlertRulesTest {
  /** The README's table, plus the plug-in and data-loss rules. */
  private static final Set<String> REQUIRED =
      Set.of(
          "BatonRedisUnreachable",
          "BatonRedisRefusing",
          "BatonNoGenerator",
          "BatonNotDraining",
          "BatonSkippedMessages",
          "BatonTwoGenerators",
          "BatonBacklogNearBound",
          "BatonHandlerFailing",
          "BatonSourceFailing",
          "BatonRedisDataLost",
          "BatonRedisEvicting");

  @TempDir Path tmp;

  @SuppressWarnings("unchecked")
  @Test
  void everyRuleWaitsHasASeverityAndSaysWhatToDo() {
    List<Map<String, Object>> rules = MonitoringFiles.rules();
    assertThat(rules)
        .extracting(r -> (String) r.get("alert"))
        .containsAll(REQUIRED)
        .doesNotHaveDuplicates();
    for (Map<String, Object> rule : rules) {
      String name = (String) rule.get("alert");
      assertThat(String.valueOf(rule.get("for"))).as(name + " for:").matches("[1-9][0-9]*[smh]");
      Map<String, Object> labels = (Map<String, Object>) rule.get("labels");
      assertThat(labels.get("severity")).as(name + " severity").isIn("critical", "warning");
      Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
      assertThat((String) annotations.get("summary")).as(name + " summary").isNotBlank();
      assertThat(((String) annotations.get("description")).split("\\. "))
          .as(name + ": a description that says what it means and what to do")
          .hasSizeGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void everyMetricTheRulesUseIsExported() {
    Set<String> exported = MonitoringFiles.readmeMetrics();
    MonitoringFiles.alertExpressions()
        .forEach(
            (alert, expr) -> {
              assertThat(MonitoringFiles.metricNames(expr)).as(alert).isNotEmpty();
              assertThat(MonitoringFiles.metricNames(expr))
                  .as(alert + ": metric names in the README's Metrics table (or still to come)")
                  .allMatch(n -> MonitoringFiles.known(n, exported));
            });
  }

  @Test
  void theReadmeTableNamesEveryRuleOfTheFileAndPointsAtIt() {
    String readme = MonitoringFiles.read(MonitoringFiles.README);
    Set<String> inTable = new LinkedHashSet<>();
    for (String row : readme.split("\n")) {
      String line = row.strip();
      if (line.startsWith("| `Baton")) {
        inTable.add(line.substring(3, line.indexOf('`', 3)));
      }
    }
    assertThat(inTable)
        .containsExactlyInAnyOrderElementsOf(MonitoringFiles.alertExpressions().keySet());
    assertThat(readme).contains("monitoring/prometheus/baton-alerts.yml");
  }

  @Test
  void promtoolAcceptsTheRulesAndTheirUnitTestsPass() {
    PrometheusTools.Result check =
        PrometheusTools.promtool("check", "rules", MonitoringFiles.RULES.toString());
    assertThat(check.exit()).as(check.output()).isZero();
    assertThat(check.output())
        .contains("SUCCESS: " + MonitoringFiles.rules().size() + " rules found");
    PrometheusTools.Result test =
        PrometheusTools.promtool("test", "rules", MonitoringFiles.RULE_TESTS.toString());
    assertThat(test.exit()).as(test.output()).isZero();
    assertThat(test.output()).contains("SUCCESS");
  }

  @Test
  void theUnitTestsFailForEachRuleThatNeverFiresAlwaysFiresOrDoesNotWait() throws Exception {
    PrometheusTools.require(PrometheusTools.PROMTOOL);
    Map<String, Consumer<Map<String, Object>>> mutations = new LinkedHashMap<>();
    mutations.put("never fires", r -> r.put("expr", "vector(1) < 0"));
    mutations.put("always fires", r -> r.put("expr", "vector(1)"));
    mutations.put("does not wait", r -> r.put("for", "0s"));
    List<String> survivors = new ArrayList<>();
    for (String alert : MonitoringFiles.alertExpressions().keySet()) {
      Path tests = testsOf(alert);
      for (Map.Entry<String, Consumer<Map<String, Object>>> m : mutations.entrySet()) {
        writeRulesWith(alert, m.getValue());
        PrometheusTools.Result r = PrometheusTools.promtool("test", "rules", tests.toString());
        if (r.exit() == 0) {
          survivors.add(alert + " " + m.getKey());
        } else {
          assertThat(r.output()).as(alert + " " + m.getKey()).contains("alertname: " + alert);
        }
      }
    }
    assertThat(survivors).as("rule changes the unit tests do not notice").isEmpty();
  }

  /**
   * A copy of the unit tests with only the test groups that check {@code alert}, beside the rules.
   */
  @SuppressWarnings("unchecked")
  private Path testsOf(String alert) throws Exception {
    Map<String, Object> all = MonitoringFiles.yaml(MonitoringFiles.RULE_TESTS);
    List<Map<String, Object>> groups = new ArrayList<>();
    for (Map<String, Object> group : (List<Map<String, Object>>) all.get("tests")) {
      List<Map<String, Object>> checks = (List<Map<String, Object>>) group.get("alert_rule_test");
      if (checks.stream().anyMatch(c -> alert.equals(c.get("alertname")))) {
        groups.add(group);
      }
    }
    assertThat(groups).as("unit tests of " + alert).isNotEmpty();
    assertThat(groups)
        .as("a test of series that must never fire " + alert + " (a blip, a healthy cluster)")
        .anyMatch(
            g ->
                ((List<Map<String, Object>>) g.get("alert_rule_test"))
                    .stream()
                        .filter(c -> alert.equals(c.get("alertname")))
                        .allMatch(c -> ((List<?>) c.get("exp_alerts")).isEmpty()));
    all.put("tests", groups);
    Path file = tmp.resolve(alert + ".test.yml");
    Files.writeString(file, dump(all));
    return file;
  }

  @SuppressWarnings("unchecked")
  private void writeRulesWith(String alert, Consumer<Map<String, Object>> change) throws Exception {
    Map<String, Object> file = MonitoringFiles.yaml(MonitoringFiles.RULES);
    for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
      for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
        if (alert.equals(rule.get("alert"))) {
          change.accept(rule);
        }
      }
    }
    Files.writeString(tmp.resolve(MonitoringFiles.RULES.getFileName()), dump(file));
  }

  private static String dump(Object yaml) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setWidth(Integer.MAX_VALUE);
    return new Yaml(options).dump(yaml);
  }
}
