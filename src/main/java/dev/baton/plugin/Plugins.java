package dev.baton.plugin;

import dev.baton.api.MessageHandler;
import dev.baton.api.MessageSource;
import dev.baton.api.PluginContext;
import dev.baton.config.ConfigException;
import dev.baton.config.GeneratorSettings;
import dev.baton.config.HandlerSettings;
import dev.baton.config.NodeConfig;
import io.vertx.core.Vertx;
import java.util.random.RandomGenerator;

/**
 * Builds the handler's plug-in ({@code handler.type}) and the generator's source ({@code
 * generator.source}) from the settings. A plug-in that cannot be built (a Java class not found or
 * of the wrong type) is a {@link ConfigException} naming the setting.
 */
public final class Plugins {
  private Plugins() {}

  public static MessageHandler handler(HandlerSettings h, RandomGenerator random) {
    return switch (h.plugin().type()) {
      case RANDOM -> new RandomJudge(h.errorProbability(), random);
      case HTTP -> new HttpHandler(h.plugin().http(), h.concurrency(), h.timeoutMs());
      case COMMAND -> new CommandHandler(h.plugin(), h.processes(), h.timeoutMs());
      case JAVA -> JavaPlugins.load(MessageHandler.class, h.plugin().java(), "handler");
    };
  }

  /** The generator's source, or null for the built-in random words (the generator's fast path). */
  public static MessageSource source(GeneratorSettings g) {
    return switch (g.source().type()) {
      case RANDOM -> null;
      case HTTP -> new HttpSource(g.source().http(), g.timeoutMs());
      case COMMAND -> new CommandSource(g.source(), g.timeoutMs());
      case JAVA -> JavaPlugins.load(MessageSource.class, g.source().java(), "generator");
    };
  }

  /** What plug-ins get at start: the node's Vert.x, id and settings (secrets masked). */
  public static PluginContext context(Vertx vertx, NodeConfig config) {
    return new StartContext(vertx, config.nodeId(), config.toJson());
  }
}
