package dev.baton.plugin;

import dev.baton.api.Invocation;
import dev.baton.api.MessageHandler;
import dev.baton.api.Outcome;
import io.vertx.core.Future;
import java.util.random.RandomGenerator;

/**
 * The built-in handler ({@code handler.type: random}, the default): judges a message an error with
 * probability {@code handler.errorProbability}, else fine, at once and without looking at it.
 */
public final class RandomJudge implements MessageHandler {
  private static final Future<Outcome> OK = Future.succeededFuture(Outcome.ok());

  private final double errorProbability;
  private final RandomGenerator random;
  private final Future<Outcome> error;

  public RandomJudge(double errorProbability, RandomGenerator random) {
    this.errorProbability = errorProbability;
    this.random = random;
    this.error =
        Future.succeededFuture(
            Outcome.error(
                "judged an error at random (handler.errorProbability " + errorProbability + ")"));
  }

  @Override
  public Future<Outcome> handle(Invocation invocation) {
    return random.nextDouble() < errorProbability ? error : OK;
  }
}
