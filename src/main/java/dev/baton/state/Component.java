package dev.baton.state;

/**
 * A part of the node whose Redis calls {@link RedisHealth} reports on. The label is what logs,
 * {@code /health}'s {@code refusing} object and the metrics show; it never changes with the
 * constant.
 */
public enum Component {
  ELECTION("election"),
  GENERATOR("generator"),
  HANDLER("handler"),
  RECLAIM("reclaim"),
  HEARTBEAT("heartbeat"),
  HEALTH_PROBE("health probe"),
  INSPECTION("inspection"),
  STATUS("status"),
  METRICS("metrics"),
  DASHBOARD("dashboard"),
  /** A read-only replica's refusals are reported under this one, whoever met them. */
  REPLICA("replica"),
  /** A permission's refusals are reported under this one, whoever met them. */
  PERMISSIONS("permissions");

  private final String label;

  Component(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** Whether its refusals concern every command of the node rather than one component's. */
  boolean everyone() {
    return this == REPLICA || this == PERMISSIONS;
  }

  @Override
  public String toString() {
    return label;
  }
}
