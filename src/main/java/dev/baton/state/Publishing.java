package dev.baton.state;

/**
 * The generator's view of the stream: the backlog it last saw, whether it paused at the bound, its
 * last id.
 */
public final class Publishing {
  private volatile boolean paused;
  private volatile long backlog;
  private volatile String lastPublishedId = "";

  /** Stream id of the last message this node published, "" before any. */
  public String lastPublishedId() {
    return lastPublishedId;
  }

  public void lastPublishedId(String id) {
    this.lastPublishedId = id;
  }

  public boolean paused() {
    return paused;
  }

  public long backlog() {
    return backlog;
  }

  public void backlog(long size, boolean paused) {
    this.backlog = size;
    this.paused = paused;
  }
}
