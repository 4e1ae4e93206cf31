package dev.baton.errors;

import dev.baton.tool.ConfOption;
import dev.baton.tool.ExitCodes;
import dev.baton.tool.ToolSession;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code getErrors}: prints every error stored when it starts (one per line, or JSON Lines with
 * {@code --json}), deletes exactly what it printed, reports the count on stderr and exits 0.
 */
@CommandLine.Command(
    name = "getErrors",
    mixinStandardHelpOptions = true,
    description = "Print every stored error, delete what was printed, and exit.")
public final class GetErrorsCommand implements Callable<Integer> {
  @Mixin ConfOption conf;

  @Option(names = "--json", description = "JSON Lines with every field of each error")
  boolean json;

  private final PrintStream out;
  private final PrintStream err;

  public GetErrorsCommand() {
    this(ToolSession.bufferedStdout(), System.err);
  }

  /** With the streams errors and messages go to (tests capture them). */
  public GetErrorsCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    try (ToolSession session =
        ToolSession.open(
            "getErrors", conf.file(), err, ExitCodes.REDIS, ToolSession.CONNECT_TIMEOUT_MS)) {
      Drainer.Result result;
      try {
        result =
            new Drainer(
                    session.vertx, session.redis, session.keys, session.config.audit().enabled())
                .drain(
                    batch ->
                        session.vertx.executeBlocking(
                            () -> {
                              for (ErrorEntry e : batch) {
                                out.println(json ? e.toJson().encode() : e.toLine());
                              }
                              out.flush();
                              if (out.checkError()) {
                                throw new OutputClosed();
                              }
                              return null;
                            },
                            true))
                .await();
      } catch (Throwable e) {
        ToolSession.rethrowIfFatal(e);
        boolean output = e instanceof OutputClosed;
        err.println(
            "getErrors: stopped: "
                + ToolSession.reason(e)
                + "; errors not printed stay stored for the next run");
        return output ? ExitCodes.OUTPUT_CLOSED : ExitCodes.REDIS;
      }
      err.println(
          result.delivered()
              + (result.delivered() == 1 ? " error printed" : " errors printed")
              + (result.delivered() == result.deleted()
                  ? ""
                  : " ("
                      + (result.delivered() - result.deleted())
                      + " of them were also claimed by another run)")
              + (result.heldByOthers() > 0
                  ? "; " + result.heldByOthers() + " more are being printed by another run"
                  : ""));
      return 0;
    } catch (ToolSession.Refused refused) {
      return refused.exitCode;
    } finally {
      out.flush();
    }
  }

  /** Standard output cannot be written any more (the reader went away). */
  static final class OutputClosed extends IOException {
    OutputClosed() {
      super("standard output is closed");
    }
  }
}
