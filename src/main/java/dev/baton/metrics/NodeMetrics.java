package dev.baton.metrics;

import dev.baton.heartbeat.StallDetector;
import dev.baton.plugin.FailureClass;
import dev.baton.state.Counters;
import dev.baton.state.NodeState;
import dev.baton.state.PluginStats;
import dev.baton.state.PluginStats.AttemptOutcome;
import dev.baton.state.PluginStats.TickOutcome;
import dev.baton.state.RedisHealth;
import dev.baton.state.Role;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * One node's meters, in a Prometheus registry of its own: Baton's counters, role, epoch, latencies
 * and backlog, plus — when the node's Vert.x was built by {@link #newVertx} — Vert.x's own HTTP
 * server, pool and JVM meters. Several nodes in one JVM (tests) each have their registry, so none
 * overwrites another's meters; every meter also carries the tag {@code node}.
 */
public final class NodeMetrics implements Counters.Latencies {
  /** Prometheus text format, as scrapers expect it. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final String registryName = "baton-" + UUID.randomUUID();
  private final AtomicLong backlogMessages = new AtomicLong(-1);
  private final AtomicLong streamLength = new AtomicLong(-1);
  private final AtomicLong pending = new AtomicLong(-1);
  private final Map<String, Timer> pluginTimers = new ConcurrentHashMap<>();
  private final AtomicLong backlogBound = new AtomicLong(-1);
  private final LatencyHistogram messageLatency;

  public NodeMetrics(String nodeId) {
    registry.config().commonTags("node", nodeId);
    messageLatency = new LatencyHistogram(nodeId);
    registry.getPrometheusRegistry().register(messageLatency);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * A Vert.x instance that reports its own meters (HTTP server, worker and Redis pools, JVM) here.
   */
  public Vertx newVertx() {
    MicrometerMetricsOptions options =
        new MicrometerMetricsOptions()
            .setEnabled(true)
            .setRegistryName(registryName)
            .setJvmMetricsEnabled(true)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
    EnumSet<Label> labels = EnumSet.copyOf(MicrometerMetricsOptions.DEFAULT_LABELS);
    labels.add(Label.HTTP_ROUTE); // a handful of fixed routes: bounded cardinality
    options.setLabels(labels);
    return Vertx.builder()
        // native epoll on Linux (falls back to NIO elsewhere): a Redis round trip from an idle
        // node takes about a third less time than with NIO here (docs/PERFORMANCE.md)
        .with(new VertxOptions().setMetricsOptions(options).setPreferNativeTransport(true))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
  }

  /**
   * Registers the meters that read the node's state, and starts listening to its latencies; {@code
   * maxBacklog} is the configured bound (generator.maxBacklog), exported for the backlog alert.
   */
  public void bind(NodeState state, long maxBacklog) {
    backlogBound.set(maxBacklog);
    bindMessageCounters(state.counters());
    bindRoleAndLease(state);
    bindRedisHealth(state);
    bindHealthReasons(state);
    bindRedisData(state);
    bindBacklog(state);
    bindPlugins(state.plugins());
    bindBacklogBound();
    state.counters().latencies(this);
  }

  /** What this node did with messages: published, committed, judged errors, reclaimed... */
  private void bindMessageCounters(Counters c) {
    counter("baton.messages.published", "messages this node published as generator", c.published);
    counter(
        "baton.messages.processed",
        "messages this node committed as handler (errors included)",
        c.processed);
    counter("baton.messages.errors", "messages this node judged errors and stored", c.errors);
    counter(
        "baton.messages.reclaimed",
        "messages this node took over from a stalled or dead handler",
        c.reclaimed);
    counter(
        "baton.messages.dead.lettered",
        "messages this node moved to the dead-letter stream",
        c.deadLettered);
    counter(
        "baton.messages.skipped",
        "messages this node found behind the group's cursor, never delivered, and delivered",
        c.skipped);
  }

  /** The role this node runs, the leases it was granted and the epoch of the one it holds. */
  private void bindRoleAndLease(NodeState state) {
    for (Role role : Role.values()) {
      gauge(
              "baton.role",
              "1 for the role this node runs now",
              state,
              s -> s.role().role() == role ? 1 : 0)
          .tag("role", role.label())
          .register(registry);
    }
    counter(
        "baton.lease.grants",
        "times this node became the generator of a new epoch (at start or taking over)",
        state.role().generatorGrants());
    gauge(
            "baton.epoch",
            "fencing epoch of this node's generator lease, 0 when it is not the generator",
            state,
            s -> s.role().epoch())
        .register(registry);
  }

  /** Whether this node's Redis calls succeed, and whether Redis refuses some of them. */
  private void bindRedisHealth(NodeState state) {
    gauge(
            "baton.redis.up",
            "1 while this node's last Redis call succeeded",
            state,
            s -> s.redis().up() ? 1 : 0)
        .register(registry);
    gauge(
            "baton.redis.refusing",
            "1 while Redis answers some of this node's commands with error replies (OOM,"
                + " WRONGTYPE...): within the last "
                + RedisHealth.REFUSING_WINDOW_MS / 1000
                + " s",
            state,
            s -> s.redis().refusing().isEmpty() ? 0 : 1)
        .register(registry);
  }

  /**
   * The reasons /health reports a stalled cluster or a degraded node, one gauge each; a degradation
   * reason first raised later gets its gauge then.
   */
  private void bindHealthReasons(NodeState state) {
    for (String reason : StallDetector.REASONS) {
      gauge(
              "baton.cluster.stalled",
              "1 while this node sees the cluster stalled for this reason (see /health)",
              state,
              s -> s.redis().stalled().containsKey(reason) ? 1 : 0)
          .tag("reason", reason)
          .register(registry);
    }
    for (String reason : state.degradations().reasons()) {
      degraded(state, reason);
    }
    state.degradations().onNewReason(reason -> degraded(state, reason));
  }

  /** Baton's data in Redis: losses noticed, keys evicted, an unsafe eviction policy, outages. */
  private void bindRedisData(NodeState state) {
    counter(
        "baton.redis.data.lost",
        "times this node noticed that Redis lost Baton's data (eviction, FLUSHALL, a key deleted,"
            + " a restart without persistence, a failover to a lagging replica)",
        state.redisData().losses());
    counter(
        "baton.redis.evicted.keys",
        "keys Redis evicted since this node started (INFO stats evicted_keys)",
        state.redisData().evictedKeys());
    gauge(
            "baton.redis.eviction.policy.unsafe",
            "1 while Redis's maxmemory-policy can evict Baton's keys (any but noeviction)",
            state,
            s -> s.redisData().evictingPolicy() ? 1 : 0)
        .register(registry);
    counter(
        "baton.redis.outages",
        "times this node found Redis unreachable after it had answered",
        state.redis().outages());
  }

  /** The generator's pause and the backlog read from Redis just before each scrape. */
  private void bindBacklog(NodeState state) {
    gauge(
            "baton.publishing.paused",
            "1 while the generator waits for the backlog to shrink",
            state,
            s -> s.publishing().paused() ? 1 : 0)
        .register(registry);
    gauge(
            "baton.backlog.messages",
            "uncommitted messages in the stream (as of the last scrape)",
            backlogMessages,
            NodeMetrics::known)
        .register(registry);
    gauge(
            "baton.backlog.entries",
            "stream entries holding them; a pack of messages is one (as of the last scrape)",
            streamLength,
            NodeMetrics::known)
        .register(registry);
    gauge(
            "baton.backlog.pending",
            "stream entries delivered to a handler and not yet committed (as of the last scrape)",
            pending,
            NodeMetrics::known)
        .register(registry);
  }

  /** The configured backlog bound, exported for the backlog alert. */
  private void bindBacklogBound() {
    gauge(
            "baton.backlog.max.messages",
            "the configured bound (generator.maxBacklog): a generator pauses at this backlog",
            backlogBound,
            NodeMetrics::known)
        .register(registry);
  }

  /** The plug-ins' meters: attempts by outcome and failure class, in flight, ticks, types. */
  private void bindPlugins(PluginStats p) {
    // the latency histograms exist from the start, at zero, like every other meter
    for (AttemptOutcome o : AttemptOutcome.values()) {
      handlerTimer(o.label());
    }
    for (TickOutcome o : TickOutcome.values()) {
      sourceTimer(o.label());
    }
    counter("baton.handler.attempts", "attempts this node's handler plug-in started", p.attempts);
    for (AttemptOutcome o : AttemptOutcome.values()) {
      FunctionCounter.builder("baton.handler.outcomes", p.outcomes(o), AtomicLong::get)
          .description("attempts of this node's handler plug-in that ended, by outcome")
          .tag("outcome", o.label())
          .register(registry);
    }
    for (FailureClass c : FailureClass.values()) {
      FunctionCounter.builder(
              "baton.handler.failed.attempts", p.failures(c.label()), AtomicLong::get)
          .description("failed attempts of this node's handler plug-in, by class")
          .tag("class", c.label())
          .register(registry);
    }
    gauge(
            "baton.handler.in.flight",
            "attempts of this node's handler plug-in running now",
            p.inFlight,
            AtomicLong::get)
        .register(registry);
    gauge("baton.handler.info", "1, with the handler's plug-in type", p, x -> 1)
        .tag("type", p.handlerType())
        .register(registry);
    gauge("baton.source.info", "1, with the generator's source type", p, x -> 1)
        .tag("type", p.sourceType())
        .register(registry);
    for (TickOutcome o : TickOutcome.values()) {
      FunctionCounter.builder("baton.source.ticks", p.ticks(o), AtomicLong::get)
          .description("calls of the generator's source by this node, by outcome")
          .tag("outcome", o.label())
          .register(registry);
    }
    counter(
        "baton.source.messages.refused",
        "texts from the source refused for exceeding generator.maxMessageBytes",
        p.refusedMessages);
  }

  private void degraded(NodeState state, String reason) {
    gauge(
            "baton.degraded",
            "1 while this node reports /health degraded for this reason (see /health)",
            state,
            s -> s.degradations().raised(reason) ? 1 : 0)
        .tag("reason", reason)
        .register(registry);
  }

  /**
   * Records the backlog read from Redis just before a scrape; negative when it could not be read.
   */
  public void backlog(long messages, long entries, long pendingCount) {
    backlogMessages.set(messages);
    streamLength.set(entries);
    pending.set(pendingCount);
  }

  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void leaseRenewal(long nanos, String outcome) {
    timer("baton.lease.renewal", "round trip of a lease renewal", outcome)
        .record(Duration.ofNanos(nanos));
  }

  @Override
  public void commit(long nanos, String outcome) {
    timer("baton.commit", "round trip of a commit script call (one batch)", outcome)
        .record(Duration.ofNanos(nanos));
  }

  @Override
  public void handlerAttempt(long nanos, String outcome) {
    handlerTimer(outcome).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void sourceCall(long nanos, String outcome) {
    sourceTimer(outcome).record(nanos, TimeUnit.NANOSECONDS);
  }

  private Timer handlerTimer(String outcome) {
    return pluginTimers.computeIfAbsent(
        "handler/" + outcome,
        k ->
            timer(
                "baton.handler",
                "time an attempt of the handler's plug-in took (attempts that waited for an"
                    + " answer)",
                outcome,
                Duration.ofMinutes(10)));
  }

  private Timer sourceTimer(String outcome) {
    return pluginTimers.computeIfAbsent(
        "source/" + outcome,
        k ->
            timer(
                "baton.source",
                "time a call of the generator's source took",
                outcome,
                Duration.ofMinutes(10)));
  }

  @Override
  public void message(long latencyMs, long count) {
    messageLatency.observe(latencyMs, count);
  }

  private Timer timer(String name, String help, String outcome) {
    return timer(name, help, outcome, Duration.ofSeconds(10));
  }

  private Timer timer(String name, String help, String outcome, Duration max) {
    return Timer.builder(name)
        .description(help)
        .tag("outcome", outcome)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(max)
        .register(registry);
  }

  private void counter(String name, String help, AtomicLong source) {
    FunctionCounter.builder(name, source, AtomicLong::get).description(help).register(registry);
  }

  private static <T> Gauge.Builder<T> gauge(
      String name, String help, T source, ToDoubleFunction<T> value) {
    return Gauge.builder(name, source, value).description(help);
  }

  private static double known(AtomicLong v) {
    long x = v.get();
    return x < 0 ? Double.NaN : x;
  }
}
