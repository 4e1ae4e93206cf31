package dev.baton.audit;

import dev.baton.tool.ConfOption;
import dev.baton.tool.ExitCodes;
import dev.baton.tool.ToolSession;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code verify}: checks the audit ledger (see {@link Verifier}) and exits 0 only when it holds and
 * there was something to check.
 */
@CommandLine.Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = "Check the audit ledger: lost, duplicated, unexpected and split-brain messages.")
public final class VerifyCommand implements Callable<Integer> {
  @Mixin ConfOption conf;

  @Option(names = "--json", description = "the report as one JSON document")
  boolean json;

  private final PrintStream out;
  private final PrintStream err;

  public VerifyCommand() {
    this(System.out, System.err);
  }

  public VerifyCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    try (ToolSession session =
        ToolSession.open("verify", conf.file(), err, ExitCodes.REDIS, 600_000)) {
      VerifyReport report;
      try {
        report = new Verifier(session.redis, session.keys).verify().await(10, TimeUnit.MINUTES);
      } catch (Throwable e) {
        ToolSession.rethrowIfFatal(e);
        err.println("verify: stopped: " + ToolSession.reason(e));
        return ExitCodes.REDIS;
      }
      out.print(json ? report.toJson().encodePrettily() + "\n" : report.text());
      out.flush();
      if (!report.complete()) {
        err.println("verify: " + report.incompleteSentence());
        return ExitCodes.GUARANTEE_BROKEN;
      }
      if (report.nothingToVerify()) {
        err.println(
            "verify: nothing to verify under "
                + session.keys.auditPublished().replace(":audit:published", "")
                + (report.ledger()
                    ? ": the audit ledger records no publish or commit"
                    : ": there is no audit ledger (is audit.enabled true on the nodes?)"));
        return ExitCodes.NOTHING_TO_VERIFY;
      }
      return report.passed() ? 0 : ExitCodes.GUARANTEE_BROKEN;
    } catch (ToolSession.Refused refused) {
      return refused.exitCode;
    }
  }
}
