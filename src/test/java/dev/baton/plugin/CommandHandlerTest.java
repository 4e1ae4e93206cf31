package dev.baton.plugin;

import static dev.baton.plugin.Children.alive;
import static dev.baton.plugin.Children.await;
import static dev.baton.plugin.Children.context;
import static dev.baton.plugin.Children.failure;
import static dev.baton.plugin.Children.python;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.baton.api.Invocation;
import dev.baton.api.Outcome;
import dev.baton.bench.Proc;
import dev.baton.config.ConfigException;
import dev.baton.config.PluginSettings;
import dev.baton.logging.Logging;
import dev.baton.support.Await;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * The command handler against real child processes: the Python example, and a puppet script whose
 * every request's text says how to misbehave ("exit 3", "raw <line>", "late 800"…).
 */
@Timeout(60)
class CommandHandlerTest {
  /** A handler child that does what each message's text says, each request in its own thread. */
  private static final String PUPPET =
      """
      import json, os, subprocess, sys, threading, time
      lock = threading.Lock()
      def say(line):
          with lock:
              sys.stdout.write(line + "\\n")
              sys.stdout.flush()
      def ok(rid):
          say(json.dumps({"id": rid, "outcome": "ok"}))
      def pid(rid, pid):
          say(json.dumps({"id": rid, "outcome": "error", "reason": "pid", "details": {"pid": pid}}))
      def work(req):
          rid = req["id"]
          cmd, _, arg = req["text"].partition(" ")
          if cmd == "ok": ok(rid)
          elif cmd == "raw": say(arg.replace("$ID", rid))
          elif cmd == "long": say(json.dumps({"id": rid, "outcome": "ok", "pad": "x" * int(arg)}))
          elif cmd == "exit": os._exit(int(arg))
          elif cmd == "close-stdout":
              with lock: os.close(1)
          elif cmd == "late": time.sleep(int(arg) / 1000); ok(rid)
          elif cmd == "hold": pass
          elif cmd == "stderr": print(arg, file=sys.stderr, flush=True); ok(rid)
          elif cmd == "pid": time.sleep(int(arg or "0") / 1000); pid(rid, os.getpid())
          elif cmd == "spawn": pid(rid, subprocess.Popen(["sleep", "600"]).pid)
          elif cmd == "env": pid(rid, os.environ["BATON_NODE_ID"])
      for line in sys.stdin:
          threading.Thread(target=work, args=(json.loads(line),), daemon=True).start()
      """;

  /**
   * The deadline of the tests that miss it: generous, since a loaded machine (other builds on two
   * cores) can take a second to start Python.
   */
  private static final long DEADLINE_MS = 3_000;

  @TempDir Path dir;
  private Vertx vertx;
  private final List<CommandHandler> started = new ArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    started.forEach(h -> Children.stop(h::stop));
    Children.stop(vertx::close);
  }

  private CommandHandler start(PluginSettings settings, int processes, long timeoutMs) {
    CommandHandler h = new CommandHandler(settings, processes, timeoutMs);
    await(h.start(context(vertx, "n1")));
    started.add(h);
    return h;
  }

  private CommandHandler puppet(int processes, long timeoutMs) {
    return start(python(Children.script(dir, "puppet.py", PUPPET)), processes, timeoutMs);
  }

  private Invocation invocation(String text) {
    return Invocation.of(ids.incrementAndGet() + "-0", text, 1, 1, System.currentTimeMillis());
  }

  private Future<Outcome> handle(CommandHandler h, String text) {
    return h.handle(invocation(text));
  }

  private static long pidOf(Outcome o) {
    return o.details().getLong("pid");
  }

  /** The child's pid, once one is alive, and not {@code old}. */
  private static long newPid(CommandHandler h, long old) {
    return Await.value(
        "a child other than " + old,
        Duration.ofSeconds(10),
        () -> h.pids().stream().filter(p -> p != old).findFirst().orElse(null));
  }

  @Test
  void theExampleJudgesOkErrorWithDetailsAndFail() {
    CommandHandler h = start(python(Path.of(Children.HANDLER_EXAMPLE)), 1, 10_000);
    assertThat(await(handle(h, "hello world"))).isEqualTo(Outcome.ok());
    assertThat(await(handle(h, "amber storm ahead")))
        .isEqualTo(
            Outcome.error(
                "contains the forbidden word 'storm'",
                new JsonObject().put("word", "storm").put("position", 1)));
    assertThat(await(handle(h, "x".repeat(250))))
        .isEqualTo(
            Outcome.error("text too long", new JsonObject().put("length", 250).put("max", 200)));

    CommandHandler failing =
        start(python(Path.of(Children.HANDLER_EXAMPLE), "HANDLER_FAIL_PERCENT=100"), 1, 10_000);
    Outcome o = await(handle(failing, "hello world"));
    assertThat(o.kind()).isEqualTo(Outcome.Kind.FAIL);
    assertThat(o.reason()).contains("downstream unavailable");
  }

  @Test
  void theExampleAnswersManyInFlightOutOfOrderOnTheCallersContext() {
    CommandHandler h =
        start(python(Path.of(Children.HANDLER_EXAMPLE), "HANDLER_WORK_MS=200"), 1, 10_000);
    Context context = vertx.getOrCreateContext();
    int n = 64;
    List<String> sent = new ArrayList<>();
    ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();
    AtomicInteger offContext = new AtomicInteger();
    CompletableFuture<Void> all = new CompletableFuture<>();
    long t0 = System.nanoTime();
    context.runOnContext(
        v -> {
          List<Future<Outcome>> futures = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            Invocation inv = invocation("message " + i);
            sent.add(inv.id());
            futures.add(
                h.handle(inv)
                    .onComplete(
                        ar -> {
                          if (Vertx.currentContext() != context) {
                            offContext.incrementAndGet();
                          }
                          if (ar.succeeded() && ar.result().kind() == Outcome.Kind.OK) {
                            answered.add(inv.id());
                          }
                        }));
          }
          Future.all(futures).onComplete(ar -> all.complete(null));
        });
    all.orTimeout(20, TimeUnit.SECONDS).join();
    long elapsedMs = (System.nanoTime() - t0) / 1_000_000;

    assertThat(offContext).hasValue(0);
    assertThat(answered).containsExactlyInAnyOrderElementsOf(sent);
    assertThat(new ArrayList<>(answered)).isNotEqualTo(sent);
    // one at a time, 64 messages of 0..200 ms would take 6.4 s (sd 0.46 s); 16 at a time, 0.4 s
    assertThat(elapsedMs).isLessThan(4_500);
  }

  @Test
  void invocationsGoToTheLiveChildWithTheFewestInFlight() {
    CommandHandler h = puppet(3, 10_000);
    Await.until("three children", Duration.ofSeconds(10), () -> h.pids().size() == 3);
    List<Future<Outcome>> futures = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      futures.add(handle(h, "pid 300"));
    }
    Set<Long> pids = new HashSet<>();
    futures.forEach(f -> pids.add(pidOf(await(f))));
    assertThat(pids).containsExactlyInAnyOrderElementsOf(h.pids());

    // two children hold 4 each, the third is killed and restarted: it has the fewest in flight
    List<Future<Outcome>> held = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      held.add(handle(h, "hold"));
    }
    List<Long> before = h.pids();
    Proc.signal(before.get(0), "KILL");
    long fresh =
        Await.value(
            "a restarted child",
            Duration.ofSeconds(10),
            () -> h.pids().stream().filter(p -> !before.contains(p)).findFirst().orElse(null));
    assertThat(failure(held.get(0)).failureClass()).isEqualTo(FailureClass.CRASH);
    List<Future<Outcome>> next = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      next.add(handle(h, "pid"));
    }
    next.forEach(f -> assertThat(pidOf(await(f))).isEqualTo(fresh));
  }

  @Test
  void aChildGetsTheNodeIdInItsEnvironment() {
    CommandHandler h = puppet(1, 10_000);
    assertThat(await(handle(h, "env")).details().getString("pid")).isEqualTo("n1");
  }

  @Test
  void aChildThatExitsFailsItsInvocationsAsACrashAndIsRestarted() {
    CommandHandler h = puppet(1, 10_000);
    long pid = pidOf(await(handle(h, "pid")));
    Future<Outcome> held = handle(h, "hold");
    AttemptFailure f = failure(handle(h, "exit 3"));
    assertThat(f.failureClass()).isEqualTo(FailureClass.CRASH);
    assertThat(f.getMessage()).contains("child process " + pid, "exited with code 3");
    assertThat(failure(held).failureClass()).isEqualTo(FailureClass.CRASH);

    assertThat(pidOf(await(handle(h, "pid")))).isEqualTo(newPid(h, pid));
  }

  @Test
  void anInvocationMadeWhileNoChildIsAliveWaitsForTheRestart() {
    CommandHandler h = puppet(1, 10_000);
    long pid = pidOf(await(handle(h, "pid")));
    Context context = vertx.getOrCreateContext();
    CompletableFuture<Outcome> next = new CompletableFuture<>();
    context.runOnContext(
        v ->
            handle(h, "exit 1")
                // the child is dead and its restart is at least 87 ms away: no child is alive now
                .onFailure(e -> handle(h, "pid").onComplete(ar -> next.complete(ar.result()))));
    Outcome o = next.orTimeout(20, TimeUnit.SECONDS).join();
    assertThat(o).isNotNull();
    assertThat(pidOf(o)).isNotEqualTo(pid);
  }

  @Test
  void aChildKilledFromOutsideIsACrashNamingTheSignal() {
    CommandHandler h = puppet(1, 10_000);
    long pid = pidOf(await(handle(h, "pid")));
    Future<Outcome> held = handle(h, "hold");
    Proc.signal(pid, "KILL");
    AttemptFailure f = failure(held);
    assertThat(f.failureClass()).isEqualTo(FailureClass.CRASH);
    assertThat(f.getMessage()).contains("signal 9, KILL");
    newPid(h, pid);
  }

  @Test
  void aChildThatClosesItsStdoutIsKilledAndRestarted() {
    CommandHandler h = puppet(1, 10_000);
    long pid = pidOf(await(handle(h, "pid")));
    Future<Outcome> held = handle(h, "hold");
    AttemptFailure f = failure(handle(h, "close-stdout"));
    assertThat(f.failureClass()).isEqualTo(FailureClass.CRASH);
    assertThat(f.getMessage()).contains("closed its stdout");
    assertThat(failure(held).failureClass()).isEqualTo(FailureClass.CRASH);
    Await.until("the child is gone", Duration.ofSeconds(10), () -> !alive(pid));
    assertThat(await(handle(h, "ok"))).isEqualTo(Outcome.ok());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "raw not json | not a JSON object",
        "raw [1, 2] | not a JSON object",
        "raw {\"outcome\": \"ok\"} | without a string \"id\"",
        "raw {\"id\": \"someone-else\", \"outcome\": \"ok\"} | id someone-else, which it does not hold",
        "raw {\"id\": \"$ID\", \"outcome\": \"maybe\"} | outcome is not",
        "raw {\"id\": \"$ID\", \"outcome\": \"error\"} | error without a reason",
        "raw {\"id\": \"$ID\", \"outcome\": \"error\", \"reason\": \"r\", \"details\": [1]} | details are not",
        "long 1100000 | longer than 1048576 bytes",
      })
  void aChildThatWritesWhatIsNotAnAnswerIsABadAnswerAndIsRestarted(String text, String why) {
    CommandHandler h = puppet(1, 10_000);
    long pid = pidOf(await(handle(h, "pid")));
    Future<Outcome> held = handle(h, "hold");
    AttemptFailure f = failure(handle(h, text));
    assertThat(f.failureClass()).isEqualTo(FailureClass.BAD_ANSWER);
    assertThat(f.getMessage()).contains("child process " + pid, why);
    assertThat(failure(held).failureClass()).isEqualTo(FailureClass.BAD_ANSWER);
    Await.until("the child is gone", Duration.ofSeconds(10), () -> !alive(pid));
    assertThat(pidOf(await(handle(h, "pid")))).isEqualTo(newPid(h, pid));
  }

  @Test
  void aHungChildMissesTheDeadlineAndIsKilledWithTheOthersInFlightAsCrashes() {
    CommandHandler h = puppet(1, DEADLINE_MS);
    long pid = pidOf(await(handle(h, "pid")));
    Proc.signal(pid, "STOP");
    List<Future<Outcome>> held = List.of(handle(h, "ok"), handle(h, "ok"));
    List<FailureClass> classes = held.stream().map(f -> failure(f).failureClass()).toList();
    assertThat(classes).containsExactlyInAnyOrder(FailureClass.TIMEOUT, FailureClass.CRASH);
    assertThat(held.stream().map(f -> failure(f).getMessage()))
        .anySatisfy(m -> assertThat(m).contains("no answer within " + DEADLINE_MS + " ms"))
        .anySatisfy(m -> assertThat(m).contains("because another invocation missed its deadline"));
    Await.until("the hung child is gone", Duration.ofSeconds(10), () -> !alive(pid));
    assertThat(pidOf(await(handle(h, "pid")))).isEqualTo(newPid(h, pid));
  }

  @Test
  void aMissedDeadlineKillsTheChildsDescendantsToo() {
    CommandHandler h = puppet(1, DEADLINE_MS);
    long grandchild = pidOf(await(handle(h, "spawn")));
    assertThat(alive(grandchild)).isTrue();
    assertThat(failure(handle(h, "hold")).failureClass()).isEqualTo(FailureClass.TIMEOUT);
    Await.until("the grandchild is gone", Duration.ofSeconds(10), () -> !alive(grandchild));
  }

  @Test
  void anAnswerAfterTheDeadlineIsIgnored() {
    CommandHandler h = puppet(1, DEADLINE_MS);
    long pid = pidOf(await(handle(h, "pid")));
    long t0 = System.nanoTime();
    AttemptFailure f = failure(handle(h, "late " + 2 * DEADLINE_MS));
    assertThat(f.failureClass()).isEqualTo(FailureClass.TIMEOUT);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2 * DEADLINE_MS - 500);
    // the next child answers its own invocations, whatever the last one meant to say
    long next = newPid(h, pid);
    assertThat(pidOf(await(handle(h, "pid")))).isEqualTo(next);
    assertThat(h.pids()).containsExactly(next);
  }

  @Test
  void cancelKillsTheChildHoldingTheInvocation() {
    CommandHandler h = puppet(1, 30_000);
    long pid = pidOf(await(handle(h, "pid")));
    Invocation inv = invocation("hold");
    Future<Outcome> held = h.handle(inv);
    Future<Outcome> other = handle(h, "hold");
    h.cancel(inv);
    assertThat(failure(held).failureClass()).isEqualTo(FailureClass.TIMEOUT);
    assertThat(failure(other).failureClass()).isEqualTo(FailureClass.CRASH);
    Await.until("the child is gone", Duration.ofSeconds(10), () -> !alive(pid));
    newPid(h, pid);
  }

  @Test
  void aChildThatNeverReadsItsStdinCannotFreezeTheEventLoop() {
    Path sleeper = Children.script(dir, "sleeper.py", "import time\ntime.sleep(600)\n");
    CommandHandler h = start(python(sleeper), 1, DEADLINE_MS);
    Context context = vertx.getOrCreateContext();
    String big = "x".repeat(64 * 1024);
    CompletableFuture<List<Future<Outcome>>> sent = new CompletableFuture<>();
    context.runOnContext(
        v -> {
          // far more than a pipe holds (64 KiB): writing on the event loop would block it here
          List<Future<Outcome>> futures = new ArrayList<>();
          for (int i = 0; i < 100; i++) {
            futures.add(handle(h, big));
          }
          sent.complete(futures);
        });
    List<Future<Outcome>> futures = sent.orTimeout(1, TimeUnit.SECONDS).join();
    CompletableFuture<Void> probe = new CompletableFuture<>();
    context.runOnContext(v -> probe.complete(null));
    probe.orTimeout(1, TimeUnit.SECONDS).join();

    assertThat(futures.stream().map(f -> failure(f).failureClass()))
        .containsOnly(FailureClass.TIMEOUT, FailureClass.CRASH)
        .containsOnlyOnce(FailureClass.TIMEOUT);
  }

  @Test
  void stderrLinesGoToTheLogWithTheNodeIdAndThePid() {
    Logger logger = (Logger) LoggerFactory.getLogger(CommandHandler.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.setContext(logger.getLoggerContext());
    logs.start();
    logger.addAppender(logs);
    // a tool run in this JVM earlier (getErrors, deadLetters) leaves the root logger at WARN
    Level before = logger.getLevel();
    logger.setLevel(Level.INFO);
    try {
      CommandHandler h = puppet(1, 10_000);
      long pid = pidOf(await(handle(h, "pid")));
      assertThat(await(handle(h, "stderr hello from the child"))).isEqualTo(Outcome.ok());
      ILoggingEvent line =
          Await.value(
              "the stderr line in the log",
              Duration.ofSeconds(10),
              () ->
                  List.copyOf(logs.list).stream()
                      .filter(e -> e.getFormattedMessage().contains("hello from the child"))
                      .findFirst()
                      .orElse(null));
      assertThat(line.getFormattedMessage())
          .isEqualTo("handler.command (pid " + pid + ") stderr: hello from the child");
      assertThat(line.getKeyValuePairs())
          .extracting(kv -> kv.key, kv -> kv.value)
          .contains(tuple(Logging.NODE_KEY, "n1"));
    } finally {
      logger.setLevel(before);
      logger.detachAppender(logs);
    }
  }

  @Test
  void stopKillsEveryChildAndFailsWhatIsInFlight() {
    CommandHandler h = puppet(2, 30_000);
    Await.until("two children", Duration.ofSeconds(10), () -> h.pids().size() == 2);
    List<Long> pids = h.pids();
    List<Future<Outcome>> held = List.of(handle(h, "hold"), handle(h, "hold"), handle(h, "hold"));
    await(h.stop());
    held.forEach(f -> assertThat(failure(f).failureClass()).isEqualTo(FailureClass.CRASH));
    pids.forEach(p -> assertThat(alive(p)).as("pid %d", p).isFalse());
    assertThat(failure(handle(h, "ok")).getMessage()).contains("not running");
  }

  @Test
  void startFailsNamingTheSettingWhenTheProgramCannotBeStarted() {
    CommandHandler h =
        new CommandHandler(Children.command(List.of(dir.resolve("missing").toString())), 2, 1_000);
    Future<Void> f = h.start(context(vertx, "n1"));
    assertThatThrownBy(() -> await(f))
        .cause()
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("handler.command: ");
  }
}
