package dev.baton.state;

import dev.baton.common.Clock;
import dev.baton.config.Secrets;
import dev.baton.logging.StateLog;
import dev.baton.redis.RedisOps;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.slf4j.event.Level;

/**
 * How Redis treats this node: reachable or not, which components' commands it refuses, and what the
 * cluster looks like (stall reasons). Every Redis call reports its outcome here through one of two
 * entry points, {@link #succeeded} and {@link #failed}, named by the component that made it; each
 * change is logged once however often it flaps ({@link StateLog}).
 */
public final class RedisHealth {
  /** How long an error reply counts as Redis refusing this node's commands (/health, metrics). */
  public static final long REFUSING_WINDOW_MS = 5_000;

  private static final String UNREACHABLE = "unreachable";
  private static final String REFUSAL = "refusal:";

  private record Refusal(String message, long atMs) {}

  private final StateLog log;
  private volatile boolean up = true;
  private final AtomicLong outages = new AtomicLong();
  private volatile String problem = "";
  private final Map<Component, Refusal> refusals = new ConcurrentHashMap<>();
  private volatile Map<String, String> stalled = Map.of();
  private volatile String lastRefusal = "";
  private volatile long lastRefusalAtMs;
  private volatile UnaryOperator<String> explainer = reply -> null;

  RedisHealth(StateLog log) {
    this.log = log;
  }

  /**
   * A Redis call of {@code component} succeeded: Redis is reachable, and that component's refusal
   * (if any) is over. Both ends are logged once.
   */
  public void succeeded(Component component) {
    if (!up) {
      up = true;
      problem = "";
    }
    log.over(UNREACHABLE);
    log.over(REFUSAL + component.label());
  }

  /**
   * A Redis call of {@code component} failed: for want of Redis (unreachable, logged once per
   * outage), or with an error reply such as OOM or WRONGTYPE, a refusal, logged once per kind of
   * refusal and component and reported by {@link #refusing} for {@link #REFUSING_WINDOW_MS}.
   */
  public void failed(Component component, Throwable cause) {
    if (!RedisOps.isErrorReply(cause)) {
      String reason = Secrets.mask(String.valueOf(cause.getMessage()));
      if (up) {
        up = false;
        outages.incrementAndGet();
        problem = reason;
      }
      log.on(
          UNREACHABLE,
          UNREACHABLE,
          Level.WARN,
          "Redis is unreachable: " + reason,
          "Redis is reachable again");
      return;
    }
    String reply = Secrets.mask(String.valueOf(cause.getMessage()).lines().findFirst().orElse(""));
    String kind = reply.split(" ", 2)[0];
    String explained = explainer.apply(reply);
    if (explained == null) {
      refused(component, kind, reply);
    } else {
      // a read-only replica or a permission refuses every component alike: one state, one line
      refused(kind.equals("READONLY") ? Component.REPLICA : Component.PERMISSIONS, kind, explained);
    }
  }

  /**
   * Redis refuses what {@code component} needs, as {@code message} says (a permission taken away, a
   * read-only replica): a refusal like an error reply, logged once per {@code kind}.
   */
  public void refused(Component component, String kind, String message) {
    lastRefusal = component.label() + ": " + message;
    lastRefusalAtMs = System.currentTimeMillis();
    refusals.put(component, new Refusal(message, Clock.monotonicMs()));
    String whose = component.everyone() ? "this node's" : "the " + component.label() + "'s";
    log.on(
        REFUSAL + component.label(),
        kind,
        Level.WARN,
        "Redis refuses " + whose + " commands: " + message,
        "Redis accepts " + whose + " commands again");
  }

  /**
   * Puts refusals in the node's words where it can (a permission, a read-only replica: see {@code
   * redis.Permissions#explain}); {@code explainer} returns null for a reply it does not know.
   */
  public void explainer(UnaryOperator<String> explainer) {
    this.explainer = explainer;
  }

  public boolean up() {
    return up;
  }

  /** How many times Redis became unreachable after it had answered (each outage counts once). */
  public AtomicLong outages() {
    return outages;
  }

  /** Why Redis is unreachable ("" while it is reachable). */
  public String problem() {
    return problem;
  }

  /**
   * Whether the refusal of {@code component}'s commands is still on (or over for less than the
   * quiet period).
   */
  public boolean refusingNow(Component component) {
    return log.isOn(REFUSAL + component.label());
  }

  /**
   * The components whose Redis calls were refused (an error reply) in the last {@link
   * #REFUSING_WINDOW_MS}, with the latest reply: empty when Redis accepts everything this node
   * sends. A window rather than the last outcome, since a component can alternate (its reads
   * accepted, its writes refused).
   */
  public Map<String, String> refusing() {
    long now = Clock.monotonicMs();
    Map<String, String> out = new TreeMap<>();
    refusals.forEach(
        (component, r) -> {
          if (now - r.atMs() <= REFUSING_WINDOW_MS) {
            out.put(component.label(), r.message());
          }
        });
    return out;
  }

  /** The latest error reply and how long ago (ms), or null when none in the last minute. */
  public JsonObject recentRefusal() {
    long ago = System.currentTimeMillis() - lastRefusalAtMs;
    return lastRefusal.isEmpty() || ago > 60_000
        ? null
        : new JsonObject().put("message", lastRefusal).put("agoMs", ago);
  }

  /**
   * What the cluster looks like from here (see {@code heartbeat.HealthProbe}): stall reasons and
   * their detail.
   */
  public Map<String, String> stalled() {
    return stalled;
  }

  public void stalled(Map<String, String> reasons) {
    this.stalled = Map.copyOf(reasons);
  }
}
