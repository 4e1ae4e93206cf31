package dev.baton.bench;

import dev.baton.generator.RandomText;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench --plugins}: Baton with each plug-in form against the same user work measured without
 * Baton, side by side in one run. The {@code http} handler against a trivial endpoint (a Vert.x one
 * in this process, and the Python example) versus wrk driving that endpoint directly at the same
 * concurrency; the {@code command} handler versus the same Python process fed its requests from a
 * file; the {@code java} plug-in versus the built-in judge. Every Baton run is a full throughput
 * run (one generator and one handler process, published and committed through Redis), warmed up
 * first with as many messages as it measures (and wrk for as long as it measures), so that both
 * sides are measured compiled and steady, as a long-lived node runs; its window starts once the
 * warm-up is committed ({@link ThroughputRun.Window#FROM_COMMITTED}), with the generator pacing
 * itself to the handler behind a bounded backlog; its CPU per message is Baton's overhead on top of
 * the user's work.
 */
final class PluginsRun {
  private static final Pattern WRK_RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");

  /**
   * generator.maxBacklog of the http and command runs: the generator publishes at the handler's
   * pace once this many messages wait, as in production, so the measured window (which starts once
   * the warm-up is committed) has the generator at work in it, not idle after publishing all.
   */
  private static final long PACED_BACKLOG = 20_000;

  /** What the plug-in runs call back into: a throughput run with extra settings. */
  interface Trial {
    JsonObject run(long messages, long warmup, Map<String, String> env) throws Exception;
  }

  /** And a run at the default 500 ms cadence, at rest, with extra settings. */
  interface Cadence {
    JsonObject run(Map<String, String> env) throws Exception;
  }

  private final Vertx vertx;
  private final Trial trial;
  private final Cadence cadence;
  private final int concurrency;
  private final int seconds;
  private final long javaMessages;

  /**
   * @param seconds how long each side of the http and command comparisons runs
   * @param javaMessages messages per run of the java plug-in and of the built-in judge
   */
  PluginsRun(
      Vertx vertx, Trial trial, Cadence cadence, int concurrency, int seconds, long javaMessages) {
    this.vertx = vertx;
    this.trial = trial;
    this.cadence = cadence;
    this.concurrency = concurrency;
    this.seconds = seconds;
    this.javaMessages = javaMessages;
  }

  /** The comparisons a run may choose ({@code --plugin-forms}). */
  enum Form {
    HTTP,
    COMMAND,
    JAVA,
    CADENCE
  }

  JsonObject run(Set<Form> forms) throws Exception {
    JsonObject report = new JsonObject().put("concurrency", concurrency).put("seconds", seconds);
    if (forms.contains(Form.HTTP)) {
      report.put("http", httpRuns());
    }
    if (forms.contains(Form.COMMAND)) {
      report.put("command", commandRun());
    }
    if (forms.contains(Form.JAVA)) {
      report.put("java", javaRun());
    }
    if (forms.contains(Form.CADENCE)) {
      report.put("cadence", cadenceRuns());
    }
    return report;
  }

  // ---------------------------------------------------------------- at the cadence

  /**
   * What Baton adds to a message's way at the default cadence, for each form: publish to commit,
   * against the plug-in's own time for its attempt (an instant endpoint, the Python process).
   */
  private JsonArray cadenceRuns() throws Exception {
    JsonArray out = new JsonArray();
    HttpServer fast = fastEndpoint();
    try {
      out.add(cadenceRun("random", Map.of()));
      out.add(
          cadenceRun(
              "java",
              NodeEnv.create()
                  .set("handler.type", "java")
                  .set("handler.java.class", BenchHandler.class.getName())
                  .toMap()));
      out.add(
          cadenceRun(
              "http",
              NodeEnv.create()
                  .set("handler.type", "http")
                  .set("handler.http.url", "http://127.0.0.1:" + fast.actualPort() + "/")
                  .toMap()));
      out.add(
          cadenceRun(
              "command",
              NodeEnv.create()
                  .set("handler.type", "command")
                  .set(
                      "handler.command",
                      new JsonArray()
                          .add("python3")
                          .add("examples/python-command/handler.py")
                          .encode())
                  .toMap()));
    } finally {
      fast.close().await(10, TimeUnit.SECONDS);
    }
    return out;
  }

  private JsonObject cadenceRun(String form, Map<String, String> env) throws Exception {
    JsonObject run = cadence.run(env);
    JsonObject latency = run.getJsonObject("latencyMs");
    JsonObject attempts = null;
    for (String node : run.getJsonObject("nodes").fieldNames()) {
      JsonObject p = run.getJsonObject("nodes").getJsonObject(node).getJsonObject("plugins");
      if (p != null && p.getJsonObject("handler").getLong("attempts") > 0) {
        attempts = p.getJsonObject("handler").getJsonObject("latencyMs");
      }
    }
    JsonObject r =
        new JsonObject()
            .put("form", form)
            .put("publishToCommitMs", latency)
            .put("pluginAttemptMs", attempts)
            .put("run", run);
    System.out.printf(
        Locale.ROOT,
        "at the cadence, %s: publish to commit p50 %s ms, p99 %s ms; the plug-in's attempt p50 %s ms%n",
        form,
        latency.getValue("p50"),
        latency.getValue("p99"),
        attempts == null ? "-" : attempts.getValue("p50"));
    return r;
  }

  private HttpServer fastEndpoint() throws Exception {
    return vertx
        .createHttpServer()
        .requestHandler(
            req ->
                req.body()
                    .onComplete(
                        ar ->
                            req.response()
                                .putHeader("content-type", "application/json")
                                .end("{\"outcome\":\"ok\"}")))
        .listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- http

  private JsonArray httpRuns() throws Exception {
    JsonArray out = new JsonArray();
    int fastPort = freePort();
    HttpServer fast =
        vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onComplete(
                            ar ->
                                req.response()
                                    .putHeader("content-type", "application/json")
                                    .end("{\"outcome\":\"ok\"}")))
            .listen(fastPort, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    try {
      out.add(
          httpRun(
              "a Vert.x endpoint in the benchmark's JVM", "http://127.0.0.1:" + fastPort + "/"));
    } finally {
      fast.close().await(10, TimeUnit.SECONDS);
    }
    int pyPort = freePort();
    Process py =
        new ProcessBuilder(
                "python3", "examples/python-webhook/handler.py", Integer.toString(pyPort))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    py.getOutputStream().close();
    try {
      waitForPort(pyPort);
      out.add(httpRun("examples/python-webhook/handler.py", "http://127.0.0.1:" + pyPort + "/"));
    } finally {
      py.destroyForcibly();
    }
    return out;
  }

  private JsonObject httpRun(String endpoint, String url) throws Exception {
    double wrk = wrk(url);
    long n = Math.max(2_000, (long) (wrk * seconds));
    Map<String, String> env =
        NodeEnv.create()
            .set("handler.type", "http")
            .set("handler.http.url", url)
            .set("handler.concurrency", concurrency)
            .set("generator.maxBacklog", PACED_BACKLOG)
            .toMap();
    JsonObject baton = trial.run(n, n, env);
    double rate = baton.getDouble("messagesPerSecond");
    JsonObject r =
        new JsonObject()
            .put("endpoint", endpoint)
            .put("wrkRequestsPerSecond", wrk)
            .put("batonMessagesPerSecond", rate)
            .put("ratio", rate / wrk)
            .put("baton", baton);
    System.out.printf(
        Locale.ROOT,
        "http handler, %s: wrk %,.0f req/s, Baton %,.0f msg/s (%.2f x)%n",
        endpoint,
        wrk,
        rate,
        rate / wrk);
    return r;
  }

  /** wrk POSTing invocations (a fresh id each) at {@code concurrency} connections. */
  private double wrk(String url) throws Exception {
    Path script = Files.createTempFile("wrk-post", ".lua");
    Files.writeString(
        script,
        "counter = 0\n"
            + "request = function()\n"
            + "  counter = counter + 1\n"
            + "  local id = 'w' .. counter .. '-' .. math.random(1000000000)\n"
            + "  local body = '{\"id\":\"' .. id .. '\",\"text\":\"amber river cloud dawn\","
            + "\"ts\":1,\"attempt\":1,\"deadlineMs\":2}'\n"
            + "  return wrk.format('POST', nil, {['Content-Type']='application/json',"
            + " ['webhook-id']=id, ['webhook-timestamp']=tostring(os.time())}, body)\n"
            + "end\n");
    // a warm-up pass (both the endpoint and wrk), then the measured one
    runWrk(url, script, seconds);
    String output = runWrk(url, script, seconds);
    Matcher m = WRK_RATE.matcher(output);
    if (!m.find()) {
      throw new IllegalStateException("wrk printed no rate: " + output);
    }
    return Double.parseDouble(m.group(1));
  }

  private String runWrk(String url, Path script, int duration) throws Exception {
    Process p =
        new ProcessBuilder(
                "wrk",
                "-t2",
                "-c" + concurrency,
                "-d" + duration + "s",
                "-s",
                script.toString(),
                url)
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(duration + 30L, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("wrk failed (apt-get install -y wrk): " + output);
    }
    return output;
  }

  // ---------------------------------------------------------------- command

  private JsonObject commandRun() throws Exception {
    String handler = "examples/python-command/handler.py";
    // the user's process alone: its requests from a file, its answers to /dev/null
    long lines = 200_000;
    Path requests = Files.createTempFile("requests", ".jsonl");
    RandomText text = new RandomText(new SplittableRandom(7));
    StringBuilder sb = new StringBuilder();
    for (long i = 0; i < lines; i++) {
      sb.append(
              new JsonObject()
                  .put("id", "1-" + i)
                  .put("text", new String(text.nextBytes(), StandardCharsets.US_ASCII))
                  .put("ts", 1)
                  .put("attempt", 1)
                  .put("deadlineMs", 2)
                  .encode())
          .append('\n');
    }
    Files.writeString(requests, sb);
    double raw = 0;
    for (int pass = 0; pass < 2; pass++) { // the first pass warms the page cache
      long t0 = System.nanoTime();
      Process p =
          new ProcessBuilder("python3", handler)
              .redirectInput(requests.toFile())
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException("the command handler failed on its requests file");
      }
      raw = lines / ((System.nanoTime() - t0) / 1e9);
    }
    long n = Math.max(2_000, (long) (raw * seconds));
    Map<String, String> env =
        NodeEnv.create()
            .set("handler.type", "command")
            .set("handler.command", new JsonArray().add("python3").add(handler).encode())
            .set("handler.concurrency", concurrency)
            .set("generator.maxBacklog", PACED_BACKLOG)
            .toMap();
    JsonObject baton = trial.run(n, n, env);
    double rate = baton.getDouble("messagesPerSecond");
    System.out.printf(
        Locale.ROOT,
        "command handler, %s: fed from a file %,.0f lines/s, Baton %,.0f msg/s (%.2f x)%n",
        handler,
        raw,
        rate,
        rate / raw);
    return new JsonObject()
        .put("process", handler)
        .put("fromFileLinesPerSecond", raw)
        .put("batonMessagesPerSecond", rate)
        .put("ratio", rate / raw)
        .put("baton", baton);
  }

  // ---------------------------------------------------------------- java

  private JsonObject javaRun() throws Exception {
    long n = javaMessages;
    List<JsonObject> judge = new ArrayList<>();
    List<JsonObject> plugin = new ArrayList<>();
    Map<String, String> java =
        NodeEnv.create()
            .set("handler.type", "java")
            .set("handler.java.class", BenchHandler.class.getName())
            .toMap();
    for (int round = 0; round < 2; round++) { // alternated, so a drift in the machine hits both
      judge.add(trial.run(n, n / 5, Map.of()));
      plugin.add(trial.run(n, n / 5, java));
    }
    double judgeRate = best(judge);
    double pluginRate = best(plugin);
    System.out.printf(
        Locale.ROOT,
        "java plug-in %,.0f msg/s, built-in judge %,.0f msg/s (%.2f x)%n",
        pluginRate,
        judgeRate,
        pluginRate / judgeRate);
    return new JsonObject()
        .put("judgeMessagesPerSecond", judgeRate)
        .put("pluginMessagesPerSecond", pluginRate)
        .put("ratio", pluginRate / judgeRate)
        .put("judgeRuns", new JsonArray(judge))
        .put("pluginRuns", new JsonArray(plugin));
  }

  private static double best(List<JsonObject> runs) {
    return runs.stream().mapToDouble(r -> r.getDouble("messagesPerSecond")).max().orElse(0);
  }

  // ---------------------------------------------------------------- helpers

  private static int freePort() throws IOException {
    return FreePort.pick();
  }

  private static void waitForPort(int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(50); // polling a port another process is opening
      }
    }
    throw new IllegalStateException("nothing listens on port " + port);
  }
}
