package dev.baton.election;

import dev.baton.common.Backoff;
import dev.baton.redis.DedicatedConnection;
import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.state.NodeContext;
import dev.baton.state.NodeState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's subscriber connection, held for its whole life: released-lease notices on {@code
 * {p}:events} and, with presence on, the node's presence channel {@code {p}:presence:<nodeId>}
 * ({@code SSUBSCRIBE} where Redis has it, else {@code SUBSCRIBE}). Redis drops that subscription
 * the moment the process dies, which is how the others learn of a crash in milliseconds. After each
 * subscription the node registers its presence on the server instance that confirmed it ({@code
 * presence.lua}); when the connection ends it subscribes again with backoff. Invariant: the node
 * counts as present (its record names the current server instance) only while Redis holds its
 * subscription, or for the instant between its socket closing and the next check. Not thread-safe:
 * used from the election verticle's context.
 */
final class Subscriber {
  private static final Logger LOG = LoggerFactory.getLogger(Subscriber.class);
  private static final int REGISTER_TRIES = 5;

  private final Vertx vertx;
  private final RedisOps redis;
  private final Keys keys;
  private final NodeState state;
  private final boolean presence;
  private final Runnable onReleased;
  private final DedicatedConnection.Factory factory;
  private final Function<String, DedicatedConnection.Factory> clusterNode;
  private DedicatedConnection connection;
  private String nodeAddress;
  private final Backoff backoff = new Backoff(100, 5_000);
  private long timer = -1;
  private boolean stopped;
  private boolean registered;
  private boolean everRegistered;
  private boolean lossLogged;
  private boolean unsupportedLogged;

  /**
   * @param clusterNode with Redis Cluster, connections to one node: the subscriber then connects to
   *     the master that owns the keys' slot (asked anew at every subscription, so it follows a
   *     failover), where the scripts count its sharded subscription; null otherwise
   */
  Subscriber(
      Vertx vertx,
      DedicatedConnection.Factory factory,
      Function<String, DedicatedConnection.Factory> clusterNode,
      RedisOps redis,
      NodeContext node,
      boolean presence,
      Runnable onReleased) {
    this.factory = factory;
    this.clusterNode = clusterNode;
    this.vertx = vertx;
    this.redis = redis;
    this.keys = node.keys();
    this.state = node.state();
    this.presence = presence;
    this.onReleased = onReleased;
  }

  private DedicatedConnection.Factory factoryFor(String address) {
    return address == null ? factory : clusterNode.apply(address);
  }

  /** The connection to use now: with Cluster, one to the current master of the keys' slot. */
  private Future<DedicatedConnection> current() {
    Future<String> address = clusterNode == null ? Future.succeededFuture(null) : slotMaster();
    return address.map(
        a -> {
          if (connection == null || !Objects.equals(a, nodeAddress)) {
            if (connection != null) {
              connection.close();
            }
            nodeAddress = a;
            connection = factoryFor(a).create(conn -> conn.handler(this::onMessage), v -> onEnd());
          }
          return connection;
        });
  }

  /** {@code host:port} of the master serving the slot of the keys, from CLUSTER SLOTS. */
  private Future<String> slotMaster() {
    return redis
        .send(Request.cmd(Command.CLUSTER).arg("KEYSLOT").arg(keys.presence()))
        .compose(
            slot ->
                redis
                    .send(Request.cmd(Command.CLUSTER).arg("SLOTS"))
                    .map(
                        ranges -> {
                          long s = slot.toLong();
                          for (Response range : ranges) {
                            if (range.get(0).toLong() <= s && s <= range.get(1).toLong()) {
                              Response master = range.get(2);
                              return master.get(0).toString() + ":" + master.get(1).toLong();
                            }
                          }
                          throw new IllegalStateException("no master serves slot " + s);
                        }));
  }

  /** The first subscription (and registration), given up on after the command deadline. */
  Future<Void> start() {
    return subscribe()
        .timeout(redis.timeoutMs(), TimeUnit.MILLISECONDS)
        .recover(
            e -> e instanceof DuplicateNodeId ? Future.failedFuture(e) : Future.succeededFuture());
  }

  Future<Void> close() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    return connection == null ? Future.succeededFuture() : connection.close();
  }

  private Future<Void> subscribe() {
    timer = -1;
    if (stopped) {
      return Future.succeededFuture();
    }
    return current()
        .compose(DedicatedConnection::connection)
        // named, so an operator's CLIENT LIST shows whose presence each connection carries
        .compose(
            conn ->
                conn.send(Request.cmd(Command.CLIENT).arg("SETNAME").arg(connectionName()))
                    .otherwiseEmpty()
                    .compose(r -> presence ? subscribePresence(conn) : Future.succeededFuture("-"))
                    .compose(
                        mode ->
                            conn.send(Request.cmd(Command.SUBSCRIBE).arg(keys.events())).map(mode))
                    .compose(mode -> presence ? register(mode, 1) : Future.<Void>succeededFuture()))
        .onSuccess(v -> backoff.reset())
        .onFailure(
            e -> {
              if (e instanceof DuplicateNodeId) {
                close();
                return;
              }
              if (!RedisOps.isErrorReply(e) && connection != null) {
                connection.reset();
              }
              later();
            })
        .recover(
            e -> e instanceof DuplicateNodeId ? Future.failedFuture(e) : Future.succeededFuture());
  }

  /** Another process subscribes to this node's presence channel: it runs with the same node id. */
  static final class DuplicateNodeId extends IllegalStateException {
    DuplicateNodeId(String nodeId, long subscribers) {
      super(
          "another process already runs with node id '"
              + nodeId
              + "' ("
              + subscribers
              + " connections subscribe to its presence channel): give every node its own nodeId (if that process"
              + " died, Redis drops its connection within tcp-keepalive; CLIENT KILL ends it at once)");
    }
  }

  /** {@code baton-presence-<nodeId>}: the connection whose end tells the others this node died. */
  String connectionName() {
    return "baton-presence-" + state.nodeId();
  }

  /**
   * SSUBSCRIBE on Redis 7 and later (the channel lives on the master of the keys' slot), else
   * SUBSCRIBE.
   */
  private Future<String> subscribePresence(RedisConnection conn) {
    String channel = keys.presenceChannel(state.nodeId());
    // the client completes a subscribe without waiting for Redis, so ask first, on this connection
    // before it subscribes, whether the server has sharded Pub/Sub (6.2 answers with an error)
    return conn.send(Request.cmd(Command.PUBSUB).arg("SHARDNUMSUB").arg(channel))
        .map("s")
        .recover(
            e -> RedisOps.isErrorReply(e) ? Future.succeededFuture("n") : Future.failedFuture(e))
        .compose(
            mode ->
                conn.send(
                        Request.cmd(mode.equals("s") ? Command.SSUBSCRIBE : Command.SUBSCRIBE)
                            .arg(channel))
                    .map(mode));
  }

  private Future<Void> register(String mode, int attempt) {
    return redis
        .eval(
            PresenceScript.SCRIPT,
            PresenceScript.keys(keys),
            PresenceScript.args(state.nodeId(), mode))
        .map(PresenceScript::reply)
        .compose(
            subscribers -> {
              if (subscribers < 0) {
                if (!unsupportedLogged) {
                  unsupportedLogged = true;
                  LOG.atWarn()
                      .addKeyValue("node", state.nodeId())
                      .log(
                          "Redis does not let scripts read INFO: no presence, the lease alone notices a crash");
                }
                return Future.succeededFuture();
              }
              if (subscribers == 0) {
                // the subscription went to an earlier server instance (a restart or a promotion):
                // the connection is about to end, or try the count again shortly
                if (attempt >= REGISTER_TRIES) {
                  connection.reset();
                  return Future.failedFuture("presence subscription not seen by the server");
                }
                Future<Void> retry =
                    Future.future(p -> vertx.setTimer(20L * attempt, id -> p.complete()));
                return retry.compose(v -> register(mode, attempt + 1));
              }
              boolean first = !everRegistered;
              registered = true;
              if (lossLogged) {
                lossLogged = false;
                LOG.atInfo()
                    .addKeyValue("node", state.nodeId())
                    .log("presence restored (subscribed again)");
              }
              everRegistered = true;
              if (subscribers > 1 && first) {
                // at start: refuse, the other process came first (both refuse when they start
                // together)
                stopped = true;
                return Future.failedFuture(new DuplicateNodeId(state.nodeId(), subscribers));
              }
              state.role().presenceSubscribers(subscribers);
              return Future.succeededFuture();
            });
  }

  private void onEnd() {
    if (stopped) {
      return;
    }
    if (registered && everRegistered && !lossLogged) {
      lossLogged = true;
      LOG.atWarn()
          .addKeyValue("node", state.nodeId())
          .log(
              "presence connection to Redis lost: until it is back, the others may take this node's lease and "
                  + "work (its generator stays fenced)");
    }
    registered = false;
    later();
  }

  private void later() {
    if (!stopped && timer < 0) {
      timer = vertx.setTimer(backoff.nextDelayMs(), id -> subscribe());
    }
  }

  private void onMessage(Response message) {
    if (message == null
        || message.type() != ResponseType.MULTI
        || message.size() < 3
        || !"message".equals(String.valueOf(message.get(0)))) {
      return;
    }
    if (keys.events().equals(String.valueOf(message.get(1)))
        && "released".equals(String.valueOf(message.get(2)))) {
      onReleased.run();
    }
  }
}
