package dev.baton.state;

import dev.baton.redis.Keys;
import java.util.Objects;

/**
 * Who a node is, handed as one value to its verticles and their collaborators: its {@link NodeState
 * state} (which knows the node id), the {@link Keys keys} of its cluster, and whether it writes the
 * audit ledger ({@code audit.enabled}). It replaces the same three values threaded through every
 * constructor, in varying order; it holds no behaviour of its own.
 *
 * <p>It lives in {@code state} because that is the lowest package all its users may import: {@code
 * state} already depends on {@code redis} (for {@code RedisOps}) and {@code redis} never imports
 * {@code state}, so taking {@code redis.Keys} adds no new direction. The root package would not do:
 * the election, heartbeat, generator, handler and http packages would then import the package of
 * {@code NodeVerticle}, which imports all of them.
 */
public record NodeContext(NodeState state, Keys keys, boolean audit) {
  public NodeContext {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(keys, "keys");
  }

  /** The node's id, as its state knows it. */
  public String nodeId() {
    return state.nodeId();
  }
}
