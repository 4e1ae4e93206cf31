package dev.baton.handler;

import java.util.ArrayList;
import java.util.List;

/**
 * One stream entry this node holds, from its delivery until its commit: the outcome of each message
 * it holds (final once ok, error or dead), the messages waiting for an attempt, and the attempts
 * running. The entry is committed whole, once every message has its final outcome.
 */
final class Work {
  private static final byte TODO = 0;
  private static final byte OK = 1;
  private static final byte ERROR = 2;
  private static final byte DEAD = 3;

  final StreamEntry pack;
  final String entryId;
  final boolean reclaimed;

  /** The entry's delivery count in the group: a message's attempt is this plus prior attempts. */
  int deliveries;

  private final byte[] kinds;
  private final String[] payloads;
  private final int[] deadAttempts;
  private int decided;

  /** Indices of the messages waiting for an attempt, in order. */
  private int[] queue;

  private int head;
  private int tail;

  /** Messages whose last attempt failed, waiting for the retry timer. */
  final List<Integer> retries = new ArrayList<>(1);

  final List<Attempt> running = new ArrayList<>(1);
  long retryTimer = -1;
  boolean retrying;
  boolean waiting;
  boolean committing;
  boolean abandoned;

  Work(StreamEntry pack, int deliveries, boolean reclaimed) {
    this.pack = pack;
    this.entryId = pack.entryId();
    this.deliveries = Math.max(1, deliveries);
    this.reclaimed = reclaimed;
    int n = pack.count();
    kinds = new byte[n];
    payloads = new String[n];
    deadAttempts = new int[n];
    queue = new int[n];
  }

  int size() {
    return kinds.length;
  }

  /** The attempt number of an attempt starting now (counting those before a replay). */
  int attempt() {
    return pack.priorAttempts() + deliveries;
  }

  boolean complete() {
    return decided == kinds.length;
  }

  void ok(int i) {
    decide(i, OK, null, 0);
  }

  void error(int i, String record) {
    decide(i, ERROR, record, 0);
  }

  void dead(int i, String reason, int attempts) {
    decide(i, DEAD, reason, attempts);
  }

  private void decide(int i, byte kind, String payload, int attempts) {
    if (kinds[i] == TODO) {
      decided++;
    }
    kinds[i] = kind;
    payloads[i] = payload;
    deadAttempts[i] = attempts;
  }

  void enqueue(int i) {
    if (tail == queue.length) {
      System.arraycopy(queue, head, queue, 0, tail - head);
      tail -= head;
      head = 0;
    }
    queue[tail++] = i;
  }

  boolean hasQueued() {
    return head < tail;
  }

  int nextQueued() {
    return queue[head++];
  }

  /** Queues the messages whose retry is due. */
  void startRetries() {
    for (int i : retries) {
      enqueue(i);
    }
    retries.clear();
  }

  /** How the messages were judged, as the commit script takes them. */
  Committer.Judged judged() {
    if (!pack.valid()) {
      return Committer.Judged.unusable(entryId, pack.problem()).under(deliveries);
    }
    Committer.Judged j =
        new Committer.Judged(entryId, pack.packed() ? kinds.length : 0, pack.ts())
            .under(deliveries);
    for (int i = 0; i < kinds.length; i++) {
      switch (kinds[i]) {
        case OK -> j.ok();
        case ERROR -> j.error(payloads[i]);
        case DEAD -> {
          if (pack.packed()) {
            j.dead(pack.deadLetterFields(i, payloads[i], deadAttempts[i]));
          } else {
            j.dead(payloads[i], deadAttempts[i]);
          }
        }
        default -> throw new IllegalStateException(entryId + ": message " + i + " is undecided");
      }
    }
    return j;
  }
}
