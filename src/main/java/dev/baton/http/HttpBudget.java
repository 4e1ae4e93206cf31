package dev.baton.http;

/**
 * What the HTTP verticle takes on at once: at most {@code maxRequests} requests in progress, and
 * at most {@code readBudget} stored errors being read for answers (a page costs its {@code limit},
 * a drain its batch). Whatever does not fit is refused at once, never queued, so a flood costs the
 * node a quick 503 per request instead of a queue that outlives the command deadline. A read larger
 * than the whole budget still runs when nothing else is being read. Not thread-safe: used from the
 * HTTP verticle's context only.
 */
final class HttpBudget {
  private final int maxRequests;
  private final long readBudget;
  private int requests;
  private long reading;
  private volatile long shed; // read by tests from other threads

  HttpBudget(int maxRequests, long readBudget) {
    if (maxRequests < 1 || readBudget < 1) {
      throw new IllegalArgumentException("budget must be positive");
    }
    this.maxRequests = maxRequests;
    this.readBudget = readBudget;
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

  /** Takes {@code entries} of the read budget; false (and counted as shed) when they do not fit. */
  boolean admitRead(long entries) {
    if (entries < 0) {
      throw new IllegalArgumentException("negative read");
    }
    if (reading > 0 && reading + entries > readBudget) {
      shed = shed + 1;
      return false;
    }
    reading += entries;
    return true;
  }

  void readDone(long entries) {
    if (entries > reading) {
      throw new IllegalStateException("more read than admitted");
    }
    reading -= entries;
  }

  int requestsInProgress() {
    return requests;
  }

  long entriesBeingRead() {
    return reading;
  }

  /** Requests refused so far. */
  long shed() {
    return shed;
  }
}
