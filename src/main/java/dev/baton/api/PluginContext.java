package dev.baton.api;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** What a plug-in gets at start: the node's Vert.x, its id and its settings. */
public interface PluginContext {
  Vertx vertx();

  /** The node's id (one per process). */
  String nodeId();

  /**
   * The node's effective settings (conf/node.json's layout, after the conf file and the {@code
   * BATON_*} variables), secrets masked.
   */
  JsonObject settings();
}
