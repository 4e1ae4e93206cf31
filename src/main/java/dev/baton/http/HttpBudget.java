package dev.baton.http;

import java.util.function.LongSupplier;

/**
 * What the HTTP verticle takes on: at most {@code maxRequests} requests in progress, and stored
 * errors read for answers at no more than {@code readBudget} a second (a page costs its {@code
 * limit} when admitted, less what it did not find; a drain its batch), with bursts of up to {@code
 * readBudget} at once. A rate rather than a count of reads in progress: the CPU a read takes
 * (Redis's reply, the node's decoding and encoding, the client's download) is proportional to the
 * entries read, so a rate bounds the share of the machine a flood can take, whatever the number of
 * clients. Whatever does not fit is refused at once, never queued: a flood costs the node a quick
 * 503 per request instead of a queue that outlives the command deadline. Not thread-safe: used from
 * the HTTP verticle's context only.
 */
final class HttpBudget {
  private static final long SECOND_NS = 1_000_000_000L;

  private final int maxRequests;
  private final long readBudget;
  private final LongSupplier nanoTime;
  private int requests;
  private double tokens;
  private long refilledAtNs;
  private volatile long shed; // read by tests from other threads

  HttpBudget(int maxRequests, long readBudget) {
    this(maxRequests, readBudget, System::nanoTime);
  }

  HttpBudget(int maxRequests, long readBudget, LongSupplier nanoTime) {
    if (maxRequests < 1 || readBudget < 1) {
      throw new IllegalArgumentException("budget must be positive");
    }
    this.maxRequests = maxRequests;
    this.readBudget = readBudget;
    this.nanoTime = nanoTime;
    this.tokens = readBudget;
    this.refilledAtNs = nanoTime.getAsLong();
  }

  /** Takes a request slot; false (and counted as shed) when {@code maxRequests} are in progress. */
  boolean admitRequest() {
    if (requests >= maxRequests) {
      shed = shed + 1;
      return false;
    }
    requests++;
    return true;
  }

  void requestDone() {
    if (requests <= 0) {
      throw new IllegalStateException("more requests done than admitted");
    }
    requests--;
  }

  /**
   * Spends {@code entries} of the read budget; false (and counted as shed) while the budget is in
   * debt. A read may take the budget below zero (a page of 10 000 with 300 left): the reads after
   * it wait until it is paid back, so the rate holds, and a large page never waits for a full
   * budget.
   */
  boolean admitRead(long entries) {
    if (entries < 0) {
      throw new IllegalArgumentException("negative read");
    }
    refill();
    if (tokens <= 0) {
      shed = shed + 1;
      return false;
    }
    tokens -= entries;
    return true;
  }

  /** Gives back what an admitted read did not use (it asked for a page of 10 000 and found 250). */
  void refund(long entries) {
    if (entries < 0) {
      throw new IllegalArgumentException("negative refund");
    }
    tokens = Math.min(readBudget, tokens + entries);
  }

  private void refill() {
    long now = nanoTime.getAsLong();
    long elapsed = now - refilledAtNs;
    if (elapsed > 0) {
      tokens = Math.min(readBudget, tokens + (double) readBudget * elapsed / SECOND_NS);
      refilledAtNs = now;
    }
  }

  int requestsInProgress() {
    return requests;
  }

  /** Stored errors that may be read at once now. */
  long readable() {
    refill();
    return Math.max(0, (long) Math.floor(tokens));
  }

  /** Requests refused so far. */
  long shed() {
    return shed;
  }
}
