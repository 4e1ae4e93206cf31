package dev.baton.bench;

import dev.baton.api.Invocation;
import dev.baton.api.MessageHandler;
import dev.baton.api.Outcome;
import io.vertx.core.Future;
import java.util.SplittableRandom;

/**
 * The benchmark's Java plug-in ({@code handler.type: java}, this class): the built-in judge's work
 * (5 % errors at random, an answer at once) loaded the way a user's plug-in is, so the two runs
 * differ only in the plug-in path.
 */
public final class BenchHandler implements MessageHandler {
  private static final Future<Outcome> OK = Future.succeededFuture(Outcome.ok());
  private static final Future<Outcome> ERROR =
      Future.succeededFuture(Outcome.error("judged an error by the benchmark's plug-in"));
  private final SplittableRandom random = new SplittableRandom();

  @Override
  public Future<Outcome> handle(Invocation invocation) {
    return random.nextDouble() < 0.05 ? ERROR : OK;
  }
}
