package dev.baton.plugin;

import dev.baton.api.PluginContext;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** What a plug-in gets at start. */
record StartContext(Vertx vertx, String nodeId, JsonObject settings) implements PluginContext {}
