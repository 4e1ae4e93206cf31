package dev.baton.bench;

import dev.baton.config.ConfigLoader;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code BATON_*} environment of a node process, built from setting paths as conf/node.json
 * names them ({@code generator.batchSize} → {@code BATON_GENERATOR_BATCH_SIZE}, by {@link
 * ConfigLoader#envName}): the one place the benchmark's and the tests' node processes turn a
 * setting into its variable. A path that names no setting is refused here, not by the node.
 */
public final class NodeEnv {
  private static final Set<String> SETTINGS = Set.copyOf(ConfigLoader.leafPaths());

  private final Map<String, String> vars = new HashMap<>();

  private NodeEnv() {}

  /** An empty environment. */
  public static NodeEnv create() {
    return new NodeEnv();
  }

  /** A node on the benchmark's Redis under its own key prefix, never an embedded Redis. */
  static NodeEnv on(Target target, String keyPrefix) {
    return create()
        .set("redis.url", target.url)
        .set("redis.keyPrefix", keyPrefix)
        .set("redis.embedded", "off");
  }

  /** The variable that sets {@code path}, e.g. {@code http.port} → {@code BATON_HTTP_PORT}. */
  public static String name(String path) {
    if (!SETTINGS.contains(path)) {
      throw new IllegalArgumentException(path + ": no such setting");
    }
    return ConfigLoader.envName(path);
  }

  /** Sets {@code path} to {@code value} as text ({@code true}, {@code 42}, …). */
  public NodeEnv set(String path, Object value) {
    vars.put(name(path), String.valueOf(value));
    return this;
  }

  /** Adds variables already named (a plug-in's settings, built with another {@code NodeEnv}). */
  public NodeEnv putAll(Map<String, String> more) {
    vars.putAll(more);
    return this;
  }

  /** The variables, for {@link NodeProcess}. */
  public Map<String, String> toMap() {
    return Map.copyOf(vars);
  }
}
