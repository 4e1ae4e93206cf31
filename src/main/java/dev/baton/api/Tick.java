package dev.baton.api;

/**
 * One call of the generator to its source: the {@code seq}-th tick of the lease {@code epoch}.
 * {@link #key()}, {@code <epoch>:<seq>}, is its idempotency key: Baton publishes what a tick
 * answered at most once, however often the publish is retried. {@code deadlineMs} is when the call
 * times out (Redis server clock, ms since the epoch).
 */
public record Tick(long epoch, long seq, long deadlineMs) {
  public String key() {
    return epoch + ":" + seq;
  }
}
