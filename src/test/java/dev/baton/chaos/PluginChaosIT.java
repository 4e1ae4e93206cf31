package dev.baton.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.bench.Proc;
import dev.baton.chaos.ChaosCluster.Member;
import dev.baton.redis.Replies;
import dev.baton.support.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The chaos suite with the handler as a plug-in: real node processes whose handlers run a hostile
 * plug-in that logs every invocation, faults injected from outside, then the ledger and {@code
 * verify}, and the plug-in's own log: every message committed exactly once, every error record the
 * one the plug-in asked for, every invocation beyond the first accounted for by an attempt number.
 * {@code -Dchaos.soak=true} runs longer.
 */
@Timeout(900)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PluginChaosIT {
  private static final boolean SOAK = Boolean.getBoolean("chaos.soak");
  private static final long SEED = Long.getLong("chaos.seed", System.nanoTime());
  private static final Map<String, JsonObject> REPORT = new LinkedHashMap<>();
  private static final Path CHAOS_HANDLER = Path.of("src/test/resources/plugins/chaos_handler.py");

  private static int times(int ci, int soak) {
    return SOAK ? soak : ci;
  }

  private static void pause(long ms) throws InterruptedException {
    Thread.sleep(ms); // how long a fault lasts or work runs between faults, not a wait for a state
  }

  /** The settings of a cluster whose handlers run the chaos plug-in as a child process. */
  private static Map<String, String> commandHandler(Path log, Map<String, String> chaos) {
    Map<String, String> env = new HashMap<>(chaos);
    env.put("BATON_HANDLER_TYPE", "command");
    env.put(
        "BATON_HANDLER_COMMAND",
        new JsonArray().add("python3").add(CHAOS_HANDLER.toAbsolutePath().toString()).encode());
    env.put("CHAOS_LOG", log.toString());
    return env;
  }

  /** The verify report must be clean, as in ChaosIT. */
  private static JsonObject assertClean(ChaosCluster c, JsonObject v) {
    String why = "verify: " + v.encode() + "\n" + c.logs();
    assertThat(v.getLong("lost")).as(why).isZero();
    assertThat(v.getLong("duplicated")).as(why).isZero();
    assertThat(v.getLong("unexpected")).as(why).isZero();
    assertThat(v.getLong("overlap")).as(why).isZero();
    assertThat(v.getLong("pending")).as(why).isZero();
    assertThat(v.getJsonObject("errors").getBoolean("ok")).as(why).isTrue();
    assertThat(v.getInteger("exitCode")).as(why).isZero();
    assertThat(v.getLong("published")).isPositive();
    return v;
  }

  /** A python child process of a member's JVM (its handler's plug-in), or -1 when none runs. */
  private static long child(Member m) {
    return m.process
        .process()
        .toHandle()
        .children()
        .mapToLong(ProcessHandle::pid)
        .findFirst()
        .orElse(-1);
  }

  private static Member randomHandler(ChaosCluster c, Random random) {
    Member leader = c.awaitPublishingLeader(Duration.ofSeconds(30));
    List<Member> handlers = c.live().stream().filter(m -> m != leader).toList();
    return handlers.get(random.nextInt(handlers.size()));
  }

  @Test
  @Order(1)
  void a_commandPluginsKilledFrozenAndWritingGarbageWhileHandlersAreKilledMidCall()
      throws Exception {
    Random random = new Random(SEED);
    Path log = Files.createTempFile("chaos-invocations", ".jsonl");
    Map<String, String> env =
        commandHandler(
            log,
            Map.of(
                "CHAOS_HANG_EVERY", "80",
                "CHAOS_GARBAGE_EVERY", "80",
                "CHAOS_FAIL_EVERY", "10",
                "CHAOS_SLOW_MS", "100"));
    env.put("BATON_GENERATOR_INTERVAL_MS", "20");
    env.put("BATON_HANDLER_TIMEOUT_MS", "1500");
    env.put("BATON_HANDLER_MAX_DELIVERIES", "12");
    env.put("BATON_HANDLER_RETRY_BACKOFF_MS", "50");
    env.put("BATON_HANDLER_RETRY_BACKOFF_MAX_MS", "400");
    int frozen = 0;
    int childKills = 0;
    int nodeKills = 0;
    try (ChaosCluster c = new ChaosCluster(true, env)) {
      c.start(4);
      for (int round = 0; round < times(3, 12); round++) {
        pause(1_000);
        // a child that stops (SIGSTOP): its invocations miss their deadline, the node kills it
        long stop = child(randomHandler(c, random));
        if (stop > 0) {
          Proc.signal(stop, "STOP");
          frozen++;
        }
        pause(1_000);
        // a child that dies: its invocations fail, the node starts another
        long kill = child(randomHandler(c, random));
        if (kill > 0) {
          Proc.signal(kill, "KILL");
          childKills++;
        }
        pause(1_000);
        // a node killed in the middle of calls: its messages go to the others
        Member victim = randomHandler(c, random);
        c.kill(victim);
        nodeKills++;
        c.add();
      }
      // a loaded machine publishes fewer messages in the rounds (one CI run saw no garbage answer
      // at all): the cluster runs on until the plug-ins hung once and wrote garbage once (one
      // first attempt in 80 each, chosen by hash; the generator publishes every 20 ms)
      Await.until(
          "a hung invocation and a garbage answer",
          Duration.ofSeconds(120),
          () -> {
            try {
              InvocationLog sofar = InvocationLog.read(log);
              return sofar.count("hang") > 0 && sofar.count("garbage") > 0;
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
      JsonObject v = assertClean(c, c.quiesceAndVerify());
      InvocationLog invocations = InvocationLog.read(log);
      long extra = invocations.assertAttemptsDistinct();
      long records = invocations.assertErrorRecordsAreThePluginsAnswers(c.rc, c.keys);
      assertThat(invocations.count("hang")).as("hung invocations").isPositive();
      assertThat(invocations.count("garbage")).as("garbage answers").isPositive();
      assertThat(extra).as("retried invocations").isPositive();
      assertThat(records)
          .as("error records")
          .isEqualTo(v.getJsonObject("errors").getLong("records"));
      REPORT.put(
          "a. command plug-ins killed, frozen, writing garbage; handlers killed mid-call",
          new JsonObject()
              .put("published", v.getLong("published"))
              .put("committed", v.getLong("committed"))
              .put("deadLettered", v.getLong("deadLettered"))
              .put("invocations", invocations.lines.size())
              .put("beyondFirst", extra)
              .put("hung", invocations.count("hang"))
              .put("garbage", invocations.count("garbage"))
              .put("childrenFrozen", frozen)
              .put("childrenKilled", childKills)
              .put("nodesKilled", nodeKills)
              .put("errorRecordsChecked", records)
              .put("deadLetterReasons", deadLetterReasons(c)));
    }
  }

  @Test
  @Order(3)
  void c_webhookStoppedAndRestartedAnswersLateAndHandlersAreKilledMidCall() throws Exception {
    Random random = new Random(SEED + 3);
    Path log = Files.createTempFile("chaos-webhook", ".jsonl");
    long timeoutMs = 1_000;
    try (ChaosWebhook webhook = new ChaosWebhook(log, 30, 3 * timeoutMs, 10, 50)) {
      webhook.start();
      Map<String, String> env = new HashMap<>();
      env.put("BATON_HANDLER_TYPE", "http");
      env.put("BATON_HANDLER_HTTP_URL", webhook.url());
      env.put("BATON_GENERATOR_INTERVAL_MS", "20");
      env.put("BATON_HANDLER_TIMEOUT_MS", Long.toString(timeoutMs));
      env.put("BATON_HANDLER_MAX_DELIVERIES", "12");
      env.put("BATON_HANDLER_RETRY_BACKOFF_MS", "50");
      env.put("BATON_HANDLER_RETRY_BACKOFF_MAX_MS", "400");
      int restarts = 0;
      int nodeKills = 0;
      try (ChaosCluster c = new ChaosCluster(true, env)) {
        c.start(4);
        for (int round = 0; round < times(3, 12); round++) {
          pause(1_000);
          // the user's server goes away: attempts fail (unreachable, reset), then it comes back
          webhook.stop();
          pause(1_500);
          webhook.start();
          restarts++;
          pause(1_000);
          c.kill(randomHandler(c, random));
          nodeKills++;
          c.add();
        }
        // a loaded machine publishes fewer messages in the rounds: the cluster runs on until one
        // first attempt was answered late (one in 30 is; the generator publishes every 20 ms)
        Await.until(
            "an answer after the deadline", Duration.ofSeconds(120), () -> webhook.lates() > 0);
        JsonObject v = assertClean(c, c.quiesceAndVerify());
        InvocationLog invocations = InvocationLog.read(log);
        long extra = invocations.assertAttemptsDistinct();
        long records = invocations.assertErrorRecordsAreThePluginsAnswers(c.rc, c.keys);
        assertThat(invocations.count("late")).as("answers after the deadline").isPositive();
        assertThat(extra).as("retried invocations").isPositive();
        assertThat(records).isEqualTo(v.getJsonObject("errors").getLong("records"));
        REPORT.put(
            "c. webhook stopped and restarted, late answers, handlers killed mid-call",
            new JsonObject()
                .put("published", v.getLong("published"))
                .put("committed", v.getLong("committed"))
                .put("deadLettered", v.getLong("deadLettered"))
                .put("invocations", invocations.lines.size())
                .put("beyondFirst", extra)
                .put("late", invocations.count("late"))
                .put("serverRestarts", restarts)
                .put("nodesKilled", nodeKills)
                .put("errorRecordsChecked", records)
                .put("deadLetterReasons", deadLetterReasons(c)));
      }
    }
  }

  /** How many dead letters give each reason (its first words, without the ids). */
  private static JsonObject deadLetterReasons(ChaosCluster c) {
    Map<String, Integer> counts = new TreeMap<>();
    for (Replies.Entry e : c.rc.range(c.keys.deadLetter())) {
      String reason = e.fields().getOrDefault("reason", "");
      String head = reason.replaceAll("[0-9]+(-[0-9]+)?(/[0-9]+)?", "N");
      counts.merge(head.length() > 90 ? head.substring(0, 90) : head, 1, Integer::sum);
    }
    JsonObject out = new JsonObject();
    counts.forEach(out::put);
    return out;
  }

  @Test
  @Order(2)
  void b_workSlowerThanTheReclaimThresholdOnLiveNodesRunsOnce() throws Exception {
    Path log = Files.createTempFile("chaos-invocations", ".jsonl");
    long slowMs = 3 * ChaosCluster.RECLAIM_IDLE_MS;
    Map<String, String> env = commandHandler(log, Map.of("CHAOS_SLOW_MS", Long.toString(slowMs)));
    env.put("BATON_GENERATOR_INTERVAL_MS", "250");
    env.put("BATON_HANDLER_TIMEOUT_MS", "20000");
    try (ChaosCluster c = new ChaosCluster(true, env)) {
      c.start(3);
      pause(times(8_000, 60_000));
      JsonObject v = assertClean(c, c.quiesceAndVerify());
      InvocationLog invocations = InvocationLog.read(log);
      Map<String, List<JsonObject>> byId = invocations.byId();
      for (Map.Entry<String, List<JsonObject>> e : byId.entrySet()) {
        assertThat(e.getValue())
            .as("message %s, whose work takes %s ms on a live node, runs once", e.getKey(), slowMs)
            .hasSize(1);
      }
      long reclaimed =
          Replies.entries(c.rc.cmd("XRANGE", c.keys.auditCommitted(), "-", "+")).stream()
              .filter(e -> "1".equals(e.fields().get("reclaimed")))
              .count();
      assertThat(reclaimed).as("commits of messages taken over from another node").isZero();
      assertThat(byId).hasSize((int) (long) v.getLong("committed"));
      REPORT.put(
          "b. work three reclaim thresholds long on live nodes",
          new JsonObject()
              .put("committed", v.getLong("committed"))
              .put("workMs", slowMs)
              .put("reclaimIdleMs", ChaosCluster.RECLAIM_IDLE_MS)
              .put("invocations", invocations.lines.size()));
    }
  }

  @AfterAll
  static void writeReport() throws Exception {
    JsonObject report =
        new JsonObject()
            .put("mode", SOAK ? "soak" : "ci")
            .put("seed", SEED)
            .put("scenarios", new JsonObject(new LinkedHashMap<>(REPORT)));
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target/chaos-plugins-report.json"), report.encodePrettily());
    System.out.println("Plug-in chaos report: " + report.encode());
  }
}
