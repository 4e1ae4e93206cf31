package dev.baton;

import dev.baton.api.MessageHandler;
import dev.baton.api.MessageSource;
import dev.baton.api.PluginContext;
import dev.baton.bus.Addresses;
import dev.baton.bus.Events;
import dev.baton.bus.Leadership;
import dev.baton.cluster.ClusterView;
import dev.baton.config.ConfigException;
import dev.baton.config.NodeConfig;
import dev.baton.config.RedisSettings;
import dev.baton.election.ElectionVerticle;
import dev.baton.election.LeaseHolder;
import dev.baton.generator.GeneratorVerticle;
import dev.baton.generator.Publisher;
import dev.baton.generator.RandomText;
import dev.baton.handler.HandlerVerticle;
import dev.baton.heartbeat.HealthProbe;
import dev.baton.heartbeat.HeartbeatVerticle;
import dev.baton.heartbeat.RedisWatch;
import dev.baton.heartbeat.StallDetector;
import dev.baton.http.HttpVerticle;
import dev.baton.metrics.NodeMetrics;
import dev.baton.plugin.Plugins;
import dev.baton.redis.DedicatedConnection;
import dev.baton.redis.Keys;
import dev.baton.redis.Permissions;
import dev.baton.redis.RedisOps;
import dev.baton.redis.RedisSupport;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import dev.baton.state.Role;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import java.util.List;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Baton node. Deploys the Heartbeat, HTTP and Election verticles, then follows the election: on
 * {@code granted} it undeploys the Handler and deploys a Generator for the granted epoch, on {@code
 * revoked} the reverse. Switches run one at a time and always undeploy the old role verticle before
 * deploying the new one, so a node never runs both roles; it runs neither only during a switch.
 */
public final class NodeVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(NodeVerticle.class);

  /**
   * Lease scripts run one at a time; the second connection is the spare a cluster client needs for
   * its slot map.
   */
  private static final int ELECTION_POOL_SIZE = 2;

  private final NodeConfig config;
  private final NodeMetrics metrics;
  private NodeContext node;
  private RedisOps ops;
  private RedisOps electionOps;
  private RedisOps httpOps;
  private RedisOptions dedicatedOptions;
  private ElectionVerticle election;
  private HttpVerticle http;
  private MessageConsumer<Leadership> electionEvents;

  private MessageHandler handlerPlugin;
  private MessageSource source;
  private Future<Void> switching = Future.succeededFuture();
  private String roleDeployment;
  private Role wantedRole = Role.STARTING;
  private long wantedEpoch;
  private boolean stopping;

  /**
   * A node whose /metrics has Baton's meters only (deploy it into {@link NodeMetrics#newVertx} for
   * Vert.x's too).
   */
  public NodeVerticle(NodeConfig config) {
    this(config, new NodeMetrics(config.nodeId()));
  }

  public NodeVerticle(NodeConfig config, NodeMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  public NodeState state() {
    return node == null ? null : node.state();
  }

  /** The HTTP port actually bound. */
  public int httpPort() {
    return http.port();
  }

  /** HTTP connections open now (for tests). */
  public int httpConnections() {
    return http.connections();
  }

  /** HTTP connections closed at once at the cap (for tests). */
  public long httpRefusedConnections() {
    return http.refusedConnections();
  }

  @Override
  public Future<?> start() {
    NodeState state = new NodeState(config.nodeId());
    node = new NodeContext(state, new Keys(config.redis().keyPrefix()), config.audit().enabled());
    describePlugins(state);
    metrics.bind(state, config.generator().maxBacklog());
    try {
      handlerPlugin = Plugins.handler(config.handler(), new SplittableRandom());
      source = Plugins.source(config.generator());
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    preloadGenerator();
    openClients();

    LOG.atInfo()
        .addKeyValue("node", state.nodeId())
        .log(
            "starting node against {} (keys {{}}:*)",
            config.redis().describe(),
            config.redis().keyPrefix());
    Permissions permissions = permissions();
    state.redis().explainer(permissions::explain);
    RedisWatch watch = new RedisWatch(ops, node, permissions, config.redis());

    electionEvents = followElection();
    election = newElection();
    http = newHttp();
    return startChildren(watch);
  }

  /** The plug-ins' types and failing thresholds, known to /status before either plug-in runs. */
  private void describePlugins(NodeState state) {
    state
        .plugins()
        .types(
            config.handler().plugin().type().label(), config.generator().source().type().label());
    state
        .plugins()
        .failingAfter(config.handler().failingAfterMs(), config.generator().failingAfterMs());
  }

  /** The node's Redis clients: shared, the election's, HTTP's, and the dedicated connections'. */
  private void openClients() {
    ops = newOps(config.redis().poolSize());
    // the lease's own connection: renewals and grants never queue behind HTTP, page or drain work
    electionOps = newOps(ELECTION_POOL_SIZE, RedisSupport.ELECTION_POOL);
    httpOps = newOps(config.redis().poolSize(), RedisSupport.HTTP_POOL);
    dedicatedOptions =
        RedisSupport.dedicatedOptions(config.redis(), config.redis().commandTimeoutMs());
  }

  private Permissions permissions() {
    return Permissions.of(
        node.keys(),
        config.redis().user(),
        node.nodeId(),
        config.presence().enabled(),
        config.redis().type() == RedisSettings.RedisType.CLUSTER);
  }

  /**
   * Turns the election's events into the wanted role: a grant wants a generator, else a handler.
   */
  private MessageConsumer<Leadership> followElection() {
    return Addresses.ELECTION.consume(
        vertx.eventBus(),
        node.nodeId(),
        change -> {
          if (change instanceof Leadership.Granted granted) {
            want(Role.GENERATOR, granted.epoch());
          } else {
            want(Role.HANDLER, 0);
          }
        });
  }

  private ElectionVerticle newElection() {
    return new ElectionVerticle(
        config.election(),
        config.presence(),
        electionOps,
        node,
        this::dedicated,
        config.redis().type() == RedisSettings.RedisType.CLUSTER ? this::dedicatedAt : null);
  }

  private HttpVerticle newHttp() {
    return new HttpVerticle(
        config.http(),
        httpOps,
        node,
        metrics,
        () -> {
          LeaseHolder holder = election.knownHolder(); // one read: never a torn pair
          return holder.known() ? ClusterView.leaderJson(holder.nodeId(), holder.epoch()) : null;
        });
  }

  /**
   * Starts the plug-ins, then deploys HTTP, the heartbeat and the election in that order, and
   * completes once the first role switch is over.
   */
  private Future<Void> startChildren(RedisWatch watch) {
    PluginContext pluginContext = Plugins.context(vertx, config);
    return electionEvents
        .completion()
        .compose(v -> started("handler", handlerPlugin.start(pluginContext)))
        .compose(
            v ->
                source == null
                    ? Future.succeededFuture()
                    : started("source", source.start(pluginContext)))
        .compose(v -> vertx.deployVerticle(http, HttpVerticle.deploymentOptions()))
        // before the first lease attempt: refuse to start on a Redis that would lose Baton's data
        // or deny what it needs
        .compose(id -> watch.preflight())
        .compose(id -> vertx.deployVerticle(newHeartbeat(watch)))
        .compose(id -> vertx.deployVerticle(election))
        .compose(
            id -> {
              // not granted by the first attempt: start as a handler (a grant arrives as an event)
              if (!election.leading()) {
                want(Role.HANDLER, 0);
              }
              return switching;
            });
  }

  private HeartbeatVerticle newHeartbeat(RedisWatch watch) {
    return new HeartbeatVerticle(
        config.heartbeat(),
        config.presence().enabled(),
        ops,
        node,
        new HealthProbe(
            ops,
            node,
            StallDetector.of(config, node.keys().leader()),
            config.heartbeat().timeoutMs()),
        watch);
  }

  /** A plug-in's start: a failure names the plug-in (a ConfigException names its setting). */
  private static Future<Void> started(String which, Future<Void> start) {
    Future<Void> f = start == null ? Future.succeededFuture() : start;
    return f.recover(
        e ->
            Future.failedFuture(
                e instanceof ConfigException
                    ? e
                    : new IllegalStateException(
                        "the " + which + " plug-in failed to start: " + e.getMessage(), e)));
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    LOG.atInfo().addKeyValue("node", node.nodeId()).log("node stopped");
    // the role verticle (a child deployment) is stopped before this: no plug-in call is made now
    Future<Void> plugins =
        Future.join(
                handlerPlugin == null ? Future.succeededFuture() : handlerPlugin.stop(),
                source == null ? Future.succeededFuture() : source.stop())
            .<Void>mapEmpty()
            .otherwiseEmpty();
    return plugins.compose(
        v -> Future.join(ops.close(), electionOps.close(), httpOps.close()).otherwiseEmpty());
  }

  /**
   * A pooled client: the node's shared one, or one for a role verticle, created on (and used from)
   * that verticle's event loop (see {@link RedisOps.Factory}).
   */
  private RedisOps newOps(int poolSize) {
    return newOps(poolSize, RedisSupport.SHARED_POOL);
  }

  private RedisOps newOps(int poolSize, String poolName) {
    RedisOptions options =
        RedisSupport.poolOptions(
            config.redis(), poolSize, config.redis().commandTimeoutMs(), poolName);
    return new RedisOps(
        Redis.createClient(vertx, options),
        config.redis().commandTimeoutMs(),
        config.redis().type() == RedisSettings.RedisType.SENTINEL
            ? () -> Redis.createClient(vertx, options)
            : null);
  }

  private DedicatedConnection dedicated(Handler<RedisConnection> onConnect, Handler<Void> onEnd) {
    return new DedicatedConnection(vertx, dedicatedOptions, onConnect, onEnd);
  }

  /**
   * Loads and initialises the generator's classes now, while nothing waits: a takeover by presence
   * is over in tens of milliseconds, and loading them at the switch would add a good part of that.
   */
  private static void preloadGenerator() {
    try {
      ClassLoader loader = NodeVerticle.class.getClassLoader();
      for (Class<?> c : List.of(GeneratorVerticle.class, RandomText.class, Publisher.class)) {
        Class.forName(c.getName(), true, loader);
      }
      new RandomText(new SplittableRandom()).nextBytes();
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A dedicated connection to one node of a Redis Cluster ({@code host:port}). */
  private DedicatedConnection.Factory dedicatedAt(String hostPort) {
    RedisOptions options =
        RedisSupport.nodeOptions(config.redis(), hostPort, config.redis().commandTimeoutMs());
    return (onConnect, onEnd) -> new DedicatedConnection(vertx, options, onConnect, onEnd);
  }

  private void want(Role role, long epoch) {
    wantedRole = role;
    wantedEpoch = epoch;
    switching = switching.transform(ar -> converge());
  }

  /**
   * Brings the running role verticle in line with the wanted role, undeploying before deploying.
   */
  private Future<Void> converge() {
    Role role = wantedRole;
    long epoch = wantedEpoch;
    NodeState state = node.state();
    if (stopping
        || (state.role().role() == role
            && state.role().epoch() == (role == Role.GENERATOR ? epoch : 0))) {
      return Future.succeededFuture();
    }
    state.role().beginSwitch();
    long switchStartedNs = System.nanoTime();
    Future<Void> undeployed =
        roleDeployment == null
            ? Future.succeededFuture()
            : vertx.undeploy(roleDeployment).otherwiseEmpty();
    return undeployed
        .compose(
            v -> {
              roleDeployment = null;
              if (stopping) {
                return Future.succeededFuture();
              }
              return vertx
                  .deployVerticle(roleVerticle(role, epoch))
                  .map(
                      id -> {
                        roleDeployment = id;
                        state.role().settled(role, epoch);
                        LOG.atInfo()
                            .addKeyValue("node", state.nodeId())
                            .log(
                                "role is now {}{} (switched in {} ms)",
                                role.label(),
                                role == Role.GENERATOR ? " (epoch " + epoch + ")" : "",
                                (System.nanoTime() - switchStartedNs) / 1_000_000);
                        Addresses.ROLE_CHANGED.publish(
                            vertx.eventBus(), state.nodeId(), new Events.RoleChanged(role, epoch));
                        return null;
                      });
            })
        .<Void>mapEmpty()
        .recover(
            e -> {
              LOG.atError()
                  .addKeyValue("node", state.nodeId())
                  .setCause(e)
                  .log("role switch to {} failed", role.label());
              return Future.succeededFuture();
            });
  }

  private Deployable roleVerticle(Role role, long epoch) {
    if (role == Role.GENERATOR) {
      return new GeneratorVerticle(
          config.generator(),
          this::newOps,
          node,
          epoch,
          new RandomText(new SplittableRandom()),
          source);
    }
    return new HandlerVerticle(
        config.handler(),
        config.heartbeat(),
        this::newOps,
        node,
        this::dedicated,
        handlerPlugin,
        new SplittableRandom(),
        config.generator().maxMessageBytes());
  }
}
