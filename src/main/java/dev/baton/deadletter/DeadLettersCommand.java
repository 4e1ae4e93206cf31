package dev.baton.deadletter;

import dev.baton.tool.ConfOption;
import dev.baton.tool.ExitCodes;
import dev.baton.tool.ToolSession;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code deadLetters}: lists every dead letter present when it starts, oldest first, a page at a
 * time (one line each, or JSON Lines with {@code --json}), and deletes nothing. With {@code
 * --replay} it puts the dead letters named (by message id, or by dead-letter id) or, naming none,
 * all of them back as new messages, each exactly once ({@code replay.lua}), and exits 0 only when
 * every one asked for was replayed.
 */
@CommandLine.Command(
    name = "deadLetters",
    mixinStandardHelpOptions = true,
    description = "List the dead letters, or put them back as new messages with --replay.")
public final class DeadLettersCommand implements Callable<Integer> {
  /** Dead letters read per call while listing or looking IDs up. */
  static final int PAGE = 1_000;

  /** Dead letters replayed per script call. */
  static final int REPLAY_BATCH = 100;

  @Mixin ConfOption conf;

  @Option(names = "--json", description = "JSON Lines with every field")
  boolean json;

  @Option(
      names = "--replay",
      description = "put the dead letters named (none named: all) back as new messages")
  boolean replay;

  @Parameters(
      paramLabel = "ID",
      arity = "0..*",
      description = "with --replay: message ids as listed (or dead-letter ids)")
  List<String> ids = new ArrayList<>();

  @Spec CommandSpec spec;

  private final PrintStream out;
  private final PrintStream err;

  public DeadLettersCommand() {
    this(ToolSession.bufferedStdout(), System.err);
  }

  /** With the streams output and messages go to (tests capture them). */
  public DeadLettersCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    if (!replay && !ids.isEmpty()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "IDs are taken only with --replay: " + ids);
    }
    try (ToolSession session =
        ToolSession.open(
            "deadLetters", conf.file(), err, ExitCodes.REDIS, ToolSession.CONNECT_TIMEOUT_MS)) {
      Run run =
          new Run(
              new DeadLetterStore(session.redis, session.keys, session.config.audit().enabled()),
              session.redis.timeoutMs() + 1_000);
      try {
        return replay ? run.replay() : run.list();
      } catch (Throwable e) {
        ToolSession.rethrowIfFatal(e);
        boolean output = e instanceof OutputClosed;
        err.println(
            "deadLetters: stopped: "
                + ToolSession.reason(e)
                + (replay ? "; " + run.summary() : ""));
        return output ? ExitCodes.OUTPUT_CLOSED : ExitCodes.REDIS;
      }
    } catch (ToolSession.Refused refused) {
      return refused.exitCode;
    } finally {
      out.flush();
    }
  }

  /** One run: its Redis calls are awaited in turn on this (the main) thread. */
  private final class Run {
    private final DeadLetterStore store;
    private final long waitMs;
    private long replayed;
    private long refused;

    Run(DeadLetterStore store, long waitMs) {
      this.store = store;
      this.waitMs = waitMs;
    }

    int list() throws Exception {
      long count = 0;
      String end = store.last().await(waitMs, TimeUnit.MILLISECONDS);
      String start = "-";
      while (end != null) {
        List<DeadLetter> page = store.page(start, end, PAGE).await(waitMs, TimeUnit.MILLISECONDS);
        for (DeadLetter d : page) {
          out.println(json ? d.toJson().encode() : d.toLine());
        }
        flush();
        count += page.size();
        if (page.size() < PAGE) {
          break;
        }
        start = "(" + page.get(page.size() - 1).deadLetterId();
      }
      err.println(count + (count == 1 ? " dead letter" : " dead letters"));
      return ExitCodes.OK;
    }

    int replay() throws Exception {
      String end = store.last().await(waitMs, TimeUnit.MILLISECONDS);
      if (ids.isEmpty()) {
        // every dead letter there at the start; a replay that dies again meanwhile waits for the
        // next run
        String start = "-";
        while (end != null) {
          List<DeadLetter> page =
              store.page(start, end, REPLAY_BATCH).await(waitMs, TimeUnit.MILLISECONDS);
          List<String> batch = new ArrayList<>(page.size());
          page.forEach(d -> batch.add(d.deadLetterId()));
          if (!batch.isEmpty()) {
            report(store.replay(batch).await(waitMs, TimeUnit.MILLISECONDS));
          }
          if (page.size() < REPLAY_BATCH) {
            break;
          }
          start = "(" + page.get(page.size() - 1).deadLetterId();
        }
      } else {
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, Set<String>> m : find(end).entrySet()) {
          Set<String> matches = m.getValue();
          if (matches.size() == 1) {
            found.add(matches.iterator().next());
          } else {
            report(
                List.of(
                    new DeadLetterStore.Replay(
                        null,
                        m.getKey(),
                        null,
                        matches.isEmpty()
                            ? "no such dead letter (never dead-lettered, or replayed already)"
                            : matches.size()
                                + " dead letters carry this message id: name one by its"
                                + " deadLetterId (see --json)")));
          }
        }
        for (int i = 0; i < found.size(); i += REPLAY_BATCH) {
          report(
              store
                  .replay(found.subList(i, Math.min(found.size(), i + REPLAY_BATCH)))
                  .await(waitMs, TimeUnit.MILLISECONDS));
        }
      }
      err.println(summary());
      return refused == 0 ? ExitCodes.OK : ExitCodes.INCOMPLETE;
    }

    /** The dead letters (up to {@code end}) each requested ID names, by message or entry id. */
    private Map<String, Set<String>> find(String end) throws Exception {
      Map<String, Set<String>> matches = new LinkedHashMap<>();
      for (String id : ids) {
        matches.put(id, new LinkedHashSet<>());
      }
      String start = "-";
      while (end != null) {
        List<DeadLetter> page = store.page(start, end, PAGE).await(waitMs, TimeUnit.MILLISECONDS);
        for (DeadLetter d : page) {
          for (String key : new String[] {d.messageId(), d.deadLetterId()}) {
            Set<String> m = key == null ? null : matches.get(key);
            if (m != null) {
              m.add(d.deadLetterId());
            }
          }
        }
        if (page.size() < PAGE) {
          break;
        }
        start = "(" + page.get(page.size() - 1).deadLetterId();
      }
      return matches;
    }

    private void report(List<DeadLetterStore.Replay> replays) throws OutputClosed {
      for (DeadLetterStore.Replay r : replays) {
        String name = r.messageId() != null ? r.messageId() : r.deadLetterId();
        if (r.replayed()) {
          replayed++;
          out.println(json ? r.toJson().encode() : name + " -> " + r.entryId());
        } else {
          refused++;
          err.println("deadLetters: " + name + " not replayed: " + r.refusal());
          if (json) {
            out.println(r.toJson().encode());
          }
        }
      }
      flush();
    }

    String summary() {
      return replayed + " replayed, " + refused + " not replayed";
    }

    private void flush() throws OutputClosed {
      out.flush();
      if (out.checkError()) {
        throw new OutputClosed();
      }
    }
  }

  /** Standard output cannot be written any more (the reader went away). */
  static final class OutputClosed extends IOException {
    OutputClosed() {
      super("standard output is closed");
    }
  }
}
