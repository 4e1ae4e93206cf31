package dev.baton.plugin;

import dev.baton.common.Backoff;
import dev.baton.common.Clock;
import dev.baton.config.ConfigException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;

/**
 * The long-lived child processes of a {@code command} plug-in, speaking JSON Lines: each call is
 * one request line written to the stdin of the live child with the fewest calls in flight, and is
 * answered by one line on its stdout that carries the call's key, in any order. A child that exits,
 * closes its stdout, writes a line that is not an answer, or misses a deadline is killed with its
 * descendants (SIGKILL) and started again after a backoff; the calls it held fail as attempts of
 * the matching {@link FailureClass}. Calls made while no child is alive wait for one, within their
 * deadline.
 *
 * <p>Invariant: a call's future completes once, on the Vert.x context that made the call, never
 * from a child already marked dead. The state is guarded by this object's lock; each child has its
 * own threads (a writer fed by a queue, so a child that stops reading never blocks an event loop; a
 * stdout reader; a stderr reader that logs each line with the node id).
 *
 * @param <T> what an answer means (an outcome, a tick's messages)
 */
final class JsonLinesPool<T> {
  /** Reads an answer's meaning, or throws {@link IllegalArgumentException} saying what is wrong. */
  interface Decoder<T> {
    T decode(JsonObject answer);
  }

  static final long RESTART_MIN_MS = 100;
  static final long RESTART_MAX_MS = 10_000;

  /** A child that lived this long before it died is restarted after the shortest backoff again. */
  static final long HEALTHY_MS = 10_000;

  /**
   * How long a child may keep its stdout open after it exited (a descendant holding it), or run
   * after it closed its stdout or stdin, before it counts as dead.
   */
  static final long EXIT_GRACE_MS = 1_000;

  /** Longest stderr line logged whole; a longer one is cut there. */
  static final int STDERR_LINE_BYTES = 16 * 1024;

  private static final int READ_BYTES = 64 * 1024;
  private static final int EXCERPT_CHARS = 200;
  private static final byte[] END = new byte[0];

  private final Logger log;
  private final String setting;
  private final List<String> argv;
  private final String keyField;
  private final String callNoun;
  private final int maxLineBytes;
  private final Decoder<T> decoder;
  private final List<Slot> slots = new ArrayList<>();

  /** Every call not yet finished, by key. */
  private final Map<String, Call> calls = new HashMap<>();

  /** Calls made while no child was alive, oldest first. */
  private final ArrayDeque<Call> waiting = new ArrayDeque<>();

  private Vertx vertx;
  private String nodeId;
  private boolean stopped;
  private int nextSlot;

  /**
   * @param setting the setting the argv came from, at the head of what is logged and refused
   * @param keyField the field of a request and its answer that carries the call's key
   * @param callNoun what a call is, in reasons ("invocation", "tick")
   * @param maxLineBytes the longest answer line; a longer one is a bad answer
   */
  JsonLinesPool(
      Logger log,
      String setting,
      List<String> argv,
      int size,
      String keyField,
      String callNoun,
      int maxLineBytes,
      Decoder<T> decoder) {
    if (argv.isEmpty() || size < 1) {
      throw new IllegalArgumentException(setting + ": an argv and at least one process are needed");
    }
    this.log = log;
    this.setting = setting;
    this.argv = List.copyOf(argv);
    this.keyField = keyField;
    this.callNoun = callNoun;
    this.maxLineBytes = maxLineBytes;
    this.decoder = decoder;
    for (int i = 0; i < size; i++) {
      slots.add(new Slot());
    }
  }

  /** One place for a child: the live one, if any, and the backoff of its restarts. */
  private final class Slot {
    final Backoff backoff = new Backoff(RESTART_MIN_MS, RESTART_MAX_MS);
    Child child;
    long restartTimer = -1;
  }

  /** One run of a child process. {@code dead} is set once, under the lock. */
  private final class Child {
    final Slot slot;
    final Process process;
    final long pid;
    final long startedMs = Clock.monotonicMs();
    final BlockingQueue<byte[]> outbox = new LinkedBlockingQueue<>();
    final Map<String, Call> inFlight = new HashMap<>();
    volatile boolean dead;

    Child(Slot slot, Process process) {
      this.slot = slot;
      this.process = process;
      this.pid = process.pid();
    }

    String name() {
      return "child process " + pid;
    }
  }

  private final class Call {
    final String key;
    final byte[] line;
    final Context context;
    final Promise<T> promise = Promise.promise();
    long timer;
    Child child;

    Call(String key, byte[] line, Context context) {
      this.key = key;
      this.line = line;
      this.context = context;
    }

    // The timer is cancelled on the call's context, with the completion: one task handed to that
    // event loop per answer instead of two (cancelling from a child's reader thread is a task too).
    void succeed(T value) {
      context.runOnContext(
          v -> {
            vertx.cancelTimer(timer);
            promise.tryComplete(value);
          });
    }

    void fail(FailureClass failureClass, String reason) {
      AttemptFailure failure = new AttemptFailure(failureClass, reason);
      context.runOnContext(
          v -> {
            vertx.cancelTimer(timer);
            promise.tryFail(failure);
          });
    }
  }

  /**
   * Starts every child; fails with a {@link ConfigException} naming the setting when the program
   * cannot be started at all.
   */
  Future<Void> start(Vertx vertx, String nodeId) {
    synchronized (this) {
      this.vertx = vertx;
      this.nodeId = nodeId;
    }
    return vertx
        .<Void>executeBlocking(
            () -> {
              for (Slot s : slots) {
                spawn(s);
              }
              return null;
            })
        .recover(
            e ->
                stop()
                    .transform(
                        ignored ->
                            Future.failedFuture(
                                e instanceof IOException
                                    ? new ConfigException(
                                        setting + ": cannot start " + argv + ": " + e.getMessage(),
                                        e)
                                    : e)));
  }

  /**
   * Sends {@code request} (which carries {@code key} in the key field) and answers what the child
   * answered for that key, or fails with an {@link AttemptFailure} once {@code timeoutMs} passed.
   */
  Future<T> call(String key, JsonObject request, long timeoutMs) {
    Context context = Vertx.currentContext();
    byte[] line = (request.encode() + "\n").getBytes(StandardCharsets.UTF_8);
    synchronized (this) {
      if (vertx == null || stopped) {
        return Future.failedFuture(
            new AttemptFailure(FailureClass.CRASH, setting + " is not running"));
      }
      if (calls.containsKey(key)) {
        return Future.failedFuture(
            new AttemptFailure(
                FailureClass.CRASH, callNoun + " " + key + " is already in flight on this node"));
      }
      Call call = new Call(key, line, context == null ? vertx.getOrCreateContext() : context);
      calls.put(key, call);
      call.timer = vertx.setTimer(timeoutMs, t -> deadlineMissed(call, timeoutMs));
      Child child = leastLoaded();
      if (child == null) {
        waiting.add(call);
      } else {
        send(child, call);
      }
      return call.promise.future();
    }
  }

  /** Ends the call with this key: kills the child holding it (its time is up). */
  void cancel(String key) {
    Call call;
    synchronized (this) {
      call = calls.get(key);
    }
    if (call != null) {
      end(call, "cancelled: its time is up");
    }
  }

  /** Kills every child, fails every call, restarts nothing; completes once the children exited. */
  Future<Void> stop() {
    List<Child> live = new ArrayList<>();
    List<Call> unsent;
    synchronized (this) {
      stopped = true;
      for (Slot s : slots) {
        if (s.restartTimer >= 0 && vertx != null) {
          vertx.cancelTimer(s.restartTimer);
        }
        if (s.child != null) {
          live.add(s.child);
        }
      }
      unsent = new ArrayList<>(waiting);
      waiting.clear();
      unsent.forEach(c -> calls.remove(c.key));
    }
    List<Future<?>> exits = new ArrayList<>();
    for (Child c : live) {
      die(c, FailureClass.CRASH, c.name() + " was killed: the node is stopping", null);
      exits.add(Future.fromCompletionStage(c.process.onExit()));
    }
    unsent.forEach(c -> c.fail(FailureClass.CRASH, "the node is stopping"));
    if (exits.isEmpty()) {
      return Future.succeededFuture();
    }
    return Future.all(exits)
        .timeout(EXIT_GRACE_MS, TimeUnit.MILLISECONDS)
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** The pids of the live children (for tests). */
  synchronized List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    for (Slot s : slots) {
      if (s.child != null) {
        pids.add(s.child.pid);
      }
    }
    return pids;
  }

  private void deadlineMissed(Call call, long timeoutMs) {
    end(call, "no answer within " + timeoutMs + " ms");
  }

  /**
   * The call timed out, if it is still under way (a cancelled timer may fire, and a new call may
   * have its key by then): fail it, and kill its child if it was sent to one.
   */
  private void end(Call call, String why) {
    Child child;
    synchronized (this) {
      if (calls.get(call.key) != call) {
        return;
      }
      child = call.child;
      if (child == null) {
        waiting.remove(call);
        calls.remove(call.key);
      }
    }
    if (child == null) {
      call.fail(FailureClass.TIMEOUT, why + " (no child process was alive to take it)");
    } else {
      die(child, FailureClass.TIMEOUT, why + " (" + child.name() + " killed)", call);
    }
  }

  /** Under the lock: the live child with the fewest calls in flight (ties taken in turn). */
  private Child leastLoaded() {
    Child best = null;
    int n = slots.size();
    for (int i = 0; i < n; i++) {
      Child c = slots.get((nextSlot + i) % n).child;
      if (c != null && (best == null || c.inFlight.size() < best.inFlight.size())) {
        best = c;
      }
    }
    nextSlot = (nextSlot + 1) % n;
    return best;
  }

  /** Under the lock. */
  private void send(Child child, Call call) {
    call.child = child;
    child.inFlight.put(call.key, call);
    child.outbox.add(call.line);
  }

  /** Starts a child in this slot (a blocking call) and hands it the calls that were waiting. */
  private void spawn(Slot slot) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().put("BATON_NODE_ID", nodeId);
    Child child = new Child(slot, pb.start());
    thread(child, "stdin", () -> writeRequests(child));
    thread(child, "stdout", () -> readAnswers(child));
    thread(child, "stderr", () -> logStderr(child));
    child.process.onExit().thenRun(() -> exited(child));
    boolean adopted;
    synchronized (this) {
      adopted = !stopped;
      if (adopted) {
        slot.child = child;
        while (!waiting.isEmpty()) {
          send(leastLoaded(), waiting.poll());
        }
      }
    }
    if (!adopted) {
      die(child, FailureClass.CRASH, child.name() + " was killed: the node is stopping", null);
      return;
    }
    log.atInfo()
        .addKeyValue("node", nodeId)
        .log("{}: started {} ({})", setting, child.name(), String.join(" ", argv));
  }

  private void thread(Child child, String stream, Runnable body) {
    Thread t = new Thread(body, "baton-" + setting + "-" + child.pid + "-" + stream);
    t.setDaemon(true);
    t.start();
  }

  /** Restarts the slot's child after its backoff, and again after a failed start. */
  private void restartLater(Slot slot, long delayMs) {
    synchronized (this) {
      if (stopped) {
        return;
      }
      slot.restartTimer =
          vertx.setTimer(
              delayMs,
              t -> {
                synchronized (this) {
                  slot.restartTimer = -1;
                  if (stopped) {
                    return;
                  }
                }
                vertx
                    .<Void>executeBlocking(
                        () -> {
                          spawn(slot);
                          return null;
                        },
                        false)
                    .onFailure(
                        e -> {
                          long next;
                          synchronized (this) {
                            next = slot.backoff.nextDelayMs();
                          }
                          log.atWarn()
                              .addKeyValue("node", nodeId)
                              .log(
                                  "{}: cannot restart {}: {}; trying again in {} ms",
                                  setting,
                                  argv,
                                  e.getMessage(),
                                  next);
                          restartLater(slot, next);
                        });
              });
    }
  }

  /**
   * Marks the child dead (once), kills it with its descendants, fails its calls and schedules its
   * restart. The calls fail with {@code failureClass} and {@code reason}, except, when one call
   * ({@code culprit}) missed its deadline, the others, which were only caught up in the kill.
   */
  private void die(Child child, FailureClass failureClass, String reason, Call culprit) {
    List<Call> failed;
    long restartMs = -1;
    boolean stopping;
    synchronized (this) {
      stopping = stopped;
      if (child.dead || (culprit != null && child.inFlight.get(culprit.key) != culprit)) {
        return;
      }
      child.dead = true;
      failed = new ArrayList<>(child.inFlight.values());
      child.inFlight.clear();
      failed.forEach(c -> calls.remove(c.key));
      Slot slot = child.slot;
      if (slot.child == child) {
        slot.child = null;
        if (!stopped) {
          if (Clock.monotonicMs() - child.startedMs >= HEALTHY_MS) {
            slot.backoff.reset();
          }
          restartMs = slot.backoff.nextDelayMs();
        }
      }
    }
    child.outbox.add(END);
    kill(child.process);
    (stopping ? log.atInfo() : log.atWarn())
        .addKeyValue("node", nodeId)
        .log(
            "{}: {}; {} {}(s) in flight failed; {}",
            setting,
            culprit == null ? reason : callNoun + " " + culprit.key + ": " + reason,
            failed.size(),
            callNoun,
            restartMs < 0 ? "not restarted" : "restarting it in " + restartMs + " ms");
    for (Call c : failed) {
      if (culprit == null || c == culprit) {
        c.fail(failureClass, reason);
      } else {
        c.fail(
            FailureClass.CRASH,
            child.name() + " was killed because another " + callNoun + " missed its deadline");
      }
    }
    if (restartMs >= 0) {
      restartLater(child.slot, restartMs);
    }
  }

  /** SIGKILL to the process and to the descendants it has now (found before it dies). */
  private static void kill(Process process) {
    ProcessHandle handle = process.toHandle();
    List<ProcessHandle> descendants = handle.descendants().toList();
    handle.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
  }

  /** The stdin writer: lines in the order they were queued, flushed whenever the queue is empty. */
  private void writeRequests(Child child) {
    try (OutputStream in = child.process.getOutputStream()) {
      while (true) {
        byte[] line = child.outbox.take();
        while (line != null) {
          if (line == END) {
            return;
          }
          in.write(line);
          line = child.outbox.poll();
        }
        in.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The child closed its stdin. If it exits, the stdout reader says so with its exit code.
      if (!child.dead && !exitsWithin(child.process, EXIT_GRACE_MS)) {
        die(child, FailureClass.CRASH, child.name() + " closed its stdin", null);
      }
    }
  }

  private void readAnswers(Child child) {
    boolean whole;
    try {
      whole =
          readLines(
              child.process.getInputStream(),
              maxLineBytes,
              line -> answer(child, line),
              () -> child.dead);
    } catch (IOException e) {
      whole = true;
    } catch (RuntimeException e) {
      die(
          child,
          FailureClass.CRASH,
          "reading the stdout of " + child.name() + " failed: " + e,
          null);
      return;
    }
    if (child.dead) {
      return;
    }
    if (!whole) {
      die(
          child,
          FailureClass.BAD_ANSWER,
          child.name() + " wrote a line longer than " + maxLineBytes + " bytes",
          null);
    } else if (exitsWithin(child.process, EXIT_GRACE_MS)) {
      die(child, FailureClass.CRASH, child.name() + " " + exit(child.process.exitValue()), null);
    } else {
      die(child, FailureClass.CRASH, child.name() + " closed its stdout", null);
    }
  }

  /** The child exited; its stdout reader normally notices first, after its last answers. */
  private void exited(Child child) {
    if (child.dead) {
      return;
    }
    vertx.setTimer(
        EXIT_GRACE_MS,
        t ->
            die(
                child,
                FailureClass.CRASH,
                child.name()
                    + " "
                    + exit(child.process.exitValue())
                    + " (a descendant still holds its stdout)",
                null));
  }

  private void answer(Child child, Buffer raw) {
    if (child.dead) {
      return;
    }
    String line = raw.toString(StandardCharsets.UTF_8);
    if (line.endsWith("\r")) {
      line = line.substring(0, line.length() - 1);
    }
    JsonObject answer;
    try {
      answer = new JsonObject(line);
    } catch (RuntimeException e) {
      badAnswer(child, "wrote a line that is not a JSON object", line);
      return;
    }
    if (!(answer.getValue(keyField) instanceof String key)) {
      badAnswer(child, "wrote an answer without a string \"" + keyField + "\"", line);
      return;
    }
    T value;
    try {
      value = decoder.decode(answer);
    } catch (IllegalArgumentException e) {
      badAnswer(child, "wrote an answer " + e.getMessage(), line);
      return;
    } catch (RuntimeException e) {
      badAnswer(child, "wrote an answer that cannot be read (" + e + ")", line);
      return;
    }
    Call call;
    synchronized (this) {
      if (child.dead) {
        return;
      }
      call = child.inFlight.remove(key);
      if (call != null) {
        calls.remove(key);
      }
    }
    if (call == null) {
      badAnswer(child, "answered " + keyField + " " + key + ", which it does not hold", line);
    } else {
      call.succeed(value);
    }
  }

  private void badAnswer(Child child, String what, String line) {
    die(child, FailureClass.BAD_ANSWER, child.name() + " " + what + ": " + excerpt(line), null);
  }

  /** Each stderr line, as one log line naming the child; a line too long is cut. */
  private void logStderr(Child child) {
    InputStream err = child.process.getErrorStream();
    try {
      while (!readLines(err, STDERR_LINE_BYTES, line -> logLine(child, line), () -> false)) {
        log.atInfo()
            .addKeyValue("node", nodeId)
            .log(
                "{} (pid {}) stderr: [a line longer than {} bytes, cut]",
                setting,
                child.pid,
                STDERR_LINE_BYTES);
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  private void logLine(Child child, Buffer raw) {
    String line = raw.toString(StandardCharsets.UTF_8).stripTrailing();
    if (!line.isEmpty()) {
      log.atInfo()
          .addKeyValue("node", nodeId)
          .log("{} (pid {}) stderr: {}", setting, child.pid, line);
    }
  }

  /**
   * Feeds {@code in} to {@code onLine} line by line until the end of the stream or until {@code
   * stop} holds; false when a line grew longer than {@code maxBytes} (reading stops there).
   */
  private static boolean readLines(
      InputStream in, int maxBytes, Handler<Buffer> onLine, BooleanSupplier stop)
      throws IOException {
    boolean[] tooLong = {false};
    // The parser bounds the partial line it holds; a line completed by the chunk that took it over
    // the bound is checked here.
    RecordParser parser =
        RecordParser.newDelimited(
            "\n",
            line -> {
              if (line.length() > maxBytes) {
                tooLong[0] = true;
              } else if (!tooLong[0]) {
                onLine.handle(line);
              }
            });
    parser.maxRecordSize(maxBytes).exceptionHandler(e -> tooLong[0] = true);
    byte[] chunk = new byte[READ_BYTES];
    int n;
    while (!tooLong[0] && !stop.getAsBoolean() && (n = in.read(chunk)) >= 0) {
      parser.handle(Buffer.buffer(n).appendBytes(chunk, 0, n));
    }
    return !tooLong[0];
  }

  private static boolean exitsWithin(Process process, long ms) {
    try {
      return process.waitFor(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  /** How a process ended: the JDK reports a death by signal N as exit code 128 + N. */
  static String exit(int code) {
    if (code > 128 && code <= 128 + 64) {
      int signal = code - 128;
      return "was ended by signal " + signal + signalName(signal) + " (exit status " + code + ")";
    }
    return "exited with code " + code;
  }

  private static String signalName(int signal) {
    return switch (signal) {
      case 1 -> ", HUP";
      case 2 -> ", INT";
      case 6 -> ", ABRT";
      case 9 -> ", KILL";
      case 11 -> ", SEGV";
      case 13 -> ", PIPE";
      case 15 -> ", TERM";
      default -> "";
    };
  }

  private static String excerpt(String line) {
    return Json.encode(
        line.length() > EXCERPT_CHARS ? line.substring(0, EXCERPT_CHARS) + "…" : line);
  }
}
