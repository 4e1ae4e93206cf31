package dev.baton.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.NodeProcess;
import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.Browser;
import dev.baton.support.RedisServer;
import dev.baton.support.TestRedis;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/**
 * The live page in headless Chromium against real clusters: fat-jar processes on a real Redis,
 * killed and restarted the way an operator would see it happen. Screenshots go to {@code
 * target/screenshots/}.
 */
@Timeout(300)
class DashboardIT {
  private static final Duration SHOWN = Duration.ofSeconds(30);

  /**
   * A node this old has kept a full minute of the charts' series: its history starts at its first
   * heartbeat, which a loaded machine may delay several seconds after the JVM started.
   */
  private static final long FULL_HISTORY_S = 75;

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final String prefix = "dash" + UUID.randomUUID().toString().substring(0, 8);
  private final Map<String, NodeProcess> nodes = new LinkedHashMap<>();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private RedisServer redis;

  @AfterEach
  void stopEverything() throws Exception {
    nodes.values().forEach(NodeProcess::close);
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T t) {
    resources.add(t);
    return t;
  }

  private void startRedis() {
    redis = track(RedisServer.start(true));
  }

  private NodeProcess node(String id, Map<String, String> extra) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("BATON_NODE_ID", id);
    env.put("BATON_REDIS_URL", redis.url());
    env.put("BATON_REDIS_KEY_PREFIX", prefix);
    env.put("BATON_REDIS_EMBEDDED", "off");
    env.putAll(extra);
    NodeProcess p = NodeProcess.start(env, "-conf", "conf/node.json");
    nodes.put(id, p);
    return p;
  }

  private String generatorId() {
    return nodes.entrySet().stream()
        .filter(e -> e.getValue().process().isAlive() && "generator".equals(e.getValue().role()))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse(null);
  }

  private void awaitAllAnswer() {
    Await.until(
        "every node answers",
        Duration.ofSeconds(60),
        () -> nodes.values().stream().allMatch(n -> n.status() != null));
  }

  private static String page(NodeProcess node) {
    return "http://127.0.0.1:" + node.httpPort() + "/";
  }

  /** The nodes table as shown: node id, role text, silent flag, processed/s text; one row each. */
  @SuppressWarnings("unchecked")
  private static List<List<String>> table(WebDriver d) {
    return (List<List<String>>)
        ((JavascriptExecutor) d)
            .executeScript(
                "return [...document.querySelectorAll('#nodes tbody tr')].map(r => [r.dataset.nodeId,"
                    + " r.querySelector('.role').innerText.trim(), r.dataset.silent, r.querySelector('.rate').innerText.trim()]);");
  }

  /** Ids of the rows whose role reads exactly "generator". */
  private static List<String> generatorsShown(WebDriver d) {
    return table(d).stream().filter(r -> r.get(1).equals("generator")).map(r -> r.get(0)).toList();
  }

  private static String text(WebDriver d, String id) {
    return d.findElement(By.id(id)).getText();
  }

  /**
   * The attribute of the first element the selector matches (null if none), read in one script: the
   * page redraws its lists and charts as events arrive, and an element found in one WebDriver call
   * may be gone by the next (a stale element reference).
   */
  private static String attr(WebDriver d, String selector, String attribute) {
    return (String)
        ((JavascriptExecutor) d)
            .executeScript(
                "const e = document.querySelector(arguments[0]);"
                    + " return e ? e.getAttribute(arguments[1]) : null;",
                selector,
                attribute);
  }

  /**
   * The {@code points} of each of the chart's polylines, read at one instant (see {@link #attr}).
   */
  @SuppressWarnings("unchecked")
  private static List<String> polylines(WebDriver d, String chartId) {
    return (List<String>)
        ((JavascriptExecutor) d)
            .executeScript(
                "return [...document.querySelectorAll('#' + arguments[0] + ' polyline')]"
                    + ".map(l => l.getAttribute('points') || '');",
                chartId);
  }

  /** Points of the chart's first polyline. */
  private static int chartPoints(WebDriver d, String chartId) {
    return chartPoints(polylines(d, chartId));
  }

  private static int chartPoints(List<String> lines) {
    if (lines.isEmpty() || lines.get(0).isBlank()) {
      return 0;
    }
    return lines.get(0).trim().split("\\s+").length;
  }

  @Test
  void aHandlersPageShowsOneGeneratorThenNamesItsSuccessorWithAHigherEpochAfterASigkill()
      throws Exception {
    startRedis();
    for (int i = 1; i <= 3; i++) {
      node("d" + i, Map.of());
    }
    String first =
        Await.value("a generator among three processes", Duration.ofSeconds(60), this::generatorId);
    awaitAllAnswer();
    long epoch = nodes.get(first).status().getLong("epoch");
    String handler =
        nodes.keySet().stream().filter(id -> !id.equals(first)).findFirst().orElseThrow();

    try (Browser browser = track(Browser.open(1280, 800))) {
      browser.driver().get(page(nodes.get(handler)));
      browser.until(
          "three nodes, exactly one of them the generator " + first,
          SHOWN,
          d ->
              table(d).size() == 3
                  && generatorsShown(d).equals(List.of(first))
                  && text(d, "generator").equals(first)
                  && text(d, "epoch").equals(Long.toString(epoch)));
      assertThat(text(browser.driver(), "served-by")).isEqualTo(handler);
      assertThat(text(browser.driver(), "connection")).isEqualTo("live");
      browser.until(
          "handlers' rates, the grant of epoch " + epoch + " and both charts",
          SHOWN,
          d ->
              table(d).stream().anyMatch(r -> r.get(1).equals("handler") && rate(r.get(3)) > 0)
                  && Long.toString(epoch).equals(attr(d, "#grants li", "data-epoch"))
                  && chartPoints(d, "rate-chart") >= 4
                  && chartPoints(d, "backlog-chart") >= 4
                  && text(d, "rate-now").matches("now: processed [1-9].*"));
      browser.screenshot("dashboard-1280");

      nodes.get(first).kill();
      long killedAt = System.nanoTime();
      String next =
          browser.until(
              "the page names a new generator with a higher epoch",
              Duration.ofSeconds(60),
              d -> {
                String shown = text(d, "generator");
                return nodes.containsKey(shown)
                        && !shown.equals(first)
                        && Long.parseLong(text(d, "epoch")) > epoch
                    ? shown
                    : null;
              });
      long seenAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
      long nextEpoch = Long.parseLong(text(browser.driver(), "epoch"));
      // the lease names the new generator a moment before that node has finished switching roles
      Await.until(
          "the node named by the page reports itself generator of epoch " + nextEpoch,
          Duration.ofSeconds(30),
          () -> Long.valueOf(nextEpoch).equals(nodes.get(next).status().getLong("epoch")));
      browser.until(
          "the timeline's newest grant is " + next + " taking over from " + first,
          SHOWN,
          d ->
              next.equals(attr(d, "#grants li", "data-node"))
                  && Long.toString(nextEpoch).equals(attr(d, "#grants li", "data-epoch"))
                  && text(d, "grants").contains("took over from " + first));
      browser.until(
          "the table shows the new generator as the only live one, the killed node silent or gone",
          SHOWN,
          d ->
              generatorsShown(d).equals(List.of(next))
                  && table(d).stream()
                      .noneMatch(r -> r.get(0).equals(first) && r.get(2).equals("false")));
      browser.screenshot("dashboard-after-failover");
      System.out.printf(
          "the page named the new generator %s (epoch %d) %d ms after the SIGKILL%n",
          next, nextEpoch, seenAfterMs);

      browser.resizeViewport(390, 844);
      assertThat(browser.viewport()).containsExactly(390L, 844L);
      browser.until(
          "the narrow layout still names the generator",
          SHOWN,
          d ->
              d.findElement(By.id("generator")).isDisplayed() && text(d, "generator").equals(next));
      Number pageWidth = (Number) browser.script("return document.documentElement.scrollWidth;");
      assertThat(pageWidth.intValue())
          .as("no sideways scrolling at 390 px")
          .isLessThanOrEqualTo(390);
      Boolean tableFits =
          (Boolean)
              browser.script(
                  "const t = document.getElementById('nodes'); return t.scrollWidth <= t.parentElement.clientWidth;");
      assertThat(tableFits)
          .as("the nodes table fits the narrow screen, every column visible")
          .isTrue();
      browser.screenshot("dashboard-390");
    }
  }

  /** The work column and the plug-in card: what each node runs, and this node's attempts. */
  @Test
  void thePageShowsEachNodesPluginAndThisNodesAttempts() throws Exception {
    startRedis();
    Map<String, String> command =
        Map.of(
            "BATON_HANDLER_TYPE",
            "command",
            "BATON_HANDLER_COMMAND",
            "[\"python3\",\"examples/python-command/handler.py\"]",
            "BATON_GENERATOR_INTERVAL_MS",
            "100");
    for (int i = 1; i <= 2; i++) {
      node("w" + i, command);
    }
    String generator =
        Await.value("a generator among two processes", Duration.ofSeconds(60), this::generatorId);
    awaitAllAnswer();
    String handler = generator.equals("w1") ? "w2" : "w1";
    try (Browser browser = track(Browser.open(1280, 800))) {
      browser.driver().get(page(nodes.get(handler)));
      browser.until(
          "the work column: the handler's plug-in, the generator's source",
          SHOWN,
          d -> {
            Map<String, String> work = work(d);
            return "command".equals(work.get(handler))
                && "source: random".equals(work.get(generator));
          });
      browser.until(
          "this node's plug-in at work, its attempts timed",
          SHOWN,
          d ->
              text(d, "plugin-handler").equals("command")
                  && text(d, "plugin-attempts").matches("[1-9][0-9,]* attempts — ok [1-9].*")
                  && text(d, "plugin-latency").startsWith("attempt time: p50 ")
                  && text(d, "plugin-source").equals("random"));
      browser.screenshot("dashboard-plugins");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> work(WebDriver d) {
    return (Map<String, String>)
        ((JavascriptExecutor) d)
            .executeScript(
                "const m = {}; document.querySelectorAll('#nodes tbody tr').forEach(r =>"
                    + " m[r.dataset.nodeId] = r.querySelector('.work').innerText.trim()); return m;");
  }

  @Test
  void aPageOpenedAfterAMinuteDrawsBothChartsFullAtOnce() throws Exception {
    startRedis();
    node("h1", Map.of());
    NodeProcess watched = node("h2", Map.of());
    awaitAllAnswer();
    // no page is open while the node runs for over a minute: its heartbeats keep the charts' data
    double uptimeS = uptimeSeconds(watched);
    long readAt = System.nanoTime();
    Await.until(
        "node h2 has run for " + FULL_HISTORY_S + " s",
        Duration.ofSeconds(FULL_HISTORY_S + 30),
        () -> uptimeS + (System.nanoTime() - readAt) / 1e9 >= FULL_HISTORY_S);
    assertThat(uptimeSeconds(watched)).isGreaterThanOrEqualTo(FULL_HISTORY_S);

    try (Browser browser = track(Browser.open(1280, 800))) {
      browser.driver().get(page(watched));
      browser.until(
          "the first snapshot drawn",
          SHOWN,
          d -> chartPoints(d, "rate-chart") > 0 && chartPoints(d, "backlog-chart") > 0);
      for (String chart : List.of("rate-chart", "backlog-chart")) {
        List<String> lines = polylines(browser.driver(), chart);
        // x runs from 0 (60 s ago) to 300 (now): a chart drawn only since the page opened would
        // start near 300
        assertThat(leftmostX(lines))
            .as(chart + ": its first point is at the left edge, a minute back")
            .isLessThan(10.0);
        assertThat(chartPoints(lines))
            .as(chart + ": about a point per heartbeat for the last minute")
            .isGreaterThanOrEqualTo(50);
      }
      assertThat(text(browser.driver(), "rate-now")).matches("now: processed [1-9].*");
      browser.screenshot("dashboard-opened-with-history");
    }
  }

  /** The node's process_uptime_seconds from its /metrics. */
  private static double uptimeSeconds(NodeProcess node) throws Exception {
    String text =
        HTTP.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + node.httpPort() + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher m = Pattern.compile("(?m)^process_uptime_seconds\\{[^}]*\\} (\\S+)$").matcher(text);
    assertThat(m.find()).as("process_uptime_seconds in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** The smallest x of the chart's polylines (0: 60 s before its newest point, 300: that point). */
  private static double leftmostX(List<String> lines) {
    double left = Double.MAX_VALUE;
    for (String points : lines) {
      if (points.isBlank()) {
        continue;
      }
      for (String xy : points.trim().split("\\s+")) {
        left = Math.min(left, Double.parseDouble(xy.substring(0, xy.indexOf(','))));
      }
    }
    return left;
  }

  @Test
  void thePageSaysPlainlyWhenItsNodeLosesRedisAndRecoversByItself() throws Exception {
    startRedis();
    node("r1", Map.of());
    NodeProcess watched = node("r2", Map.of());
    Await.value("a generator", Duration.ofSeconds(60), this::generatorId);
    awaitAllAnswer();

    try (Browser browser = track(Browser.open(1280, 800))) {
      browser.driver().get(page(watched));
      browser.until(
          "two nodes and a generator",
          SHOWN,
          d -> table(d).size() == 2 && nodes.containsKey(text(d, "generator")));
      assertThat(browser.driver().findElement(By.id("redis-alert")).isDisplayed()).isFalse();

      redis.kill();
      String alert =
          browser.until(
              "the page says the node lost Redis",
              SHOWN,
              d ->
                  d.findElement(By.id("redis-alert")).isDisplayed()
                      ? text(d, "redis-alert")
                      : null);
      assertThat(alert).startsWith("Node r2 has lost Redis: ").contains("not updating");
      assertThat(attr(browser.driver(), "body", "data-redis")).isEqualTo("down");
      assertThat(text(browser.driver(), "connection"))
          .as("the node itself still answers")
          .isEqualTo("live");
      browser.screenshot("dashboard-redis-lost");

      redis.restart();
      browser.until(
          "the alert goes away and the page shows the cluster again",
          Duration.ofSeconds(60),
          d ->
              !d.findElement(By.id("redis-alert")).isDisplayed()
                  && "up".equals(attr(d, "body", "data-redis"))
                  && nodes.containsKey(text(d, "generator"))
                  && table(d).size() == 2);
      browser.screenshot("dashboard-redis-back");
    }
  }

  @Test
  void thePageReconnectsByItselfWhenItsNodeComesBack() throws Exception {
    startRedis();
    node("c1", Map.of());
    NodeProcess watched = node("c2", Map.of());
    awaitAllAnswer();
    int port = watched.httpPort();

    try (Browser browser = track(Browser.open(1280, 800))) {
      browser.driver().get(page(watched));
      browser.until(
          "the page is live",
          SHOWN,
          d -> text(d, "connection").equals("live") && text(d, "served-by").equals("c2"));

      watched.kill();
      String alert =
          browser.until(
              "the page says it lost its node",
              SHOWN,
              d -> d.findElement(By.id("node-alert")).isDisplayed() ? text(d, "node-alert") : null);
      assertThat(alert).startsWith("Lost the connection to node c2");
      assertThat(attr(browser.driver(), "body", "data-connection")).isEqualTo("lost");
      browser.screenshot("dashboard-node-lost");

      node("c2", Map.of("BATON_HTTP_PORT", Integer.toString(port)));
      browser.until(
          "the same page is live again, without a reload",
          Duration.ofSeconds(60),
          d ->
              text(d, "connection").equals("live")
                  && !d.findElement(By.id("node-alert")).isDisplayed()
                  && table(d).stream()
                      .anyMatch(r -> r.get(0).equals("c2") && r.get(2).equals("false")));
    }
  }

  @Test
  void theDrainButtonRemovesTheStoredErrorsAndSaysHowMany() throws Exception {
    startRedis();
    TestRedis rc = track(new TestRedis(redis.url()));
    Map<String, String> errorProne = Map.of("BATON_HANDLER_ERROR_PROBABILITY", "0.5");
    node("x1", errorProne);
    NodeProcess watched = node("x2", errorProne);
    awaitAllAnswer();

    try (Browser browser = track(Browser.open(1280, 800))) {
      browser.driver().get(page(watched));
      browser.until(
          "some errors are listed",
          SHOWN,
          d -> d.findElements(By.cssSelector("#latest-errors li")).size() >= 2);
      List<String> listed = new ArrayList<>();
      // read in one script: the list is rebuilt with every snapshot the node pushes
      @SuppressWarnings("unchecked")
      List<String> titles =
          (List<String>)
              ((JavascriptExecutor) browser.driver())
                  .executeScript(
                      "return [...document.querySelectorAll('#latest-errors li')]"
                          + ".map(li => li.getAttribute('title') || '');");
      for (String title : titles) {
        Matcher m = Pattern.compile("^error (\\S+),").matcher(title);
        assertThat(m.find()).isTrue();
        listed.add(m.group(1));
      }
      Keys keys = new Keys(prefix);
      for (String id : listed) {
        assertThat(rc.strings("XRANGE", keys.errors(), id, id))
            .as("error %s is stored", id)
            .hasSize(1);
      }

      browser.driver().findElement(By.id("drain")).click();
      String result =
          browser.until(
              "the drain reports",
              SHOWN,
              d -> text(d, "drain-result").startsWith("Drained") ? text(d, "drain-result") : null);
      Matcher count = Pattern.compile("^Drained (\\d+) errors?\\.").matcher(result);
      assertThat(count.find()).as(result).isTrue();
      assertThat(Long.parseLong(count.group(1))).isGreaterThanOrEqualTo(listed.size());
      for (String id : listed) {
        assertThat(rc.strings("XRANGE", keys.errors(), id, id))
            .as("error %s was drained", id)
            .isEmpty();
      }
    }
  }

  @Test
  void onANodeWithATokenTheDrainAsksForItAndWorksOnceGiven() throws Exception {
    startRedis();
    TestRedis rc = track(new TestRedis(redis.url()));
    Map<String, String> guardedEnv =
        Map.of("BATON_HANDLER_ERROR_PROBABILITY", "0.5", "BATON_HTTP_TOKEN", "s3cret");
    node("t0", guardedEnv); // one generates, the other handles and judges errors
    NodeProcess guarded = node("t1", guardedEnv);
    awaitAllAnswer();
    Keys keys = new Keys(prefix);
    Await.until("errors are stored", SHOWN, () -> rc.num("XLEN", keys.errors()) >= 2);

    try (Browser browser = track(Browser.open(1280, 800))) {
      browser.driver().get(page(guarded));
      browser.driver().findElement(By.id("drain")).click();
      String refused =
          browser.until(
              "the node's 401 is explained",
              SHOWN,
              d -> text(d, "drain-result").contains("401") ? text(d, "drain-result") : null);
      assertThat(refused).contains("requires a token");
      assertThat(rc.num("XLEN", keys.errors()))
          .as("nothing drained without the token")
          .isGreaterThanOrEqualTo(2);

      browser.driver().findElement(By.id("drain-token")).sendKeys("s3cret");
      browser.driver().findElement(By.id("drain")).click();
      String result =
          browser.until(
              "the drain succeeds with the token",
              SHOWN,
              d -> text(d, "drain-result").startsWith("Drained") ? text(d, "drain-result") : null);
      Matcher count = Pattern.compile("^Drained (\\d+) errors?\\.").matcher(result);
      assertThat(count.find()).as(result).isTrue();
      assertThat(Long.parseLong(count.group(1))).isGreaterThanOrEqualTo(2);
    }
  }

  private static double rate(String shown) {
    try {
      return Double.parseDouble(shown);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
