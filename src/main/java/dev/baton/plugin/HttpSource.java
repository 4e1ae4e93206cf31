package dev.baton.plugin;

import dev.baton.api.MessageSource;
import dev.baton.api.PluginContext;
import dev.baton.api.Tick;
import dev.baton.config.PluginSettings.HttpPlugin;
import dev.baton.config.Secrets;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP source ({@code generator.source: http}): each tick GETs {@code generator.http.url} with
 * the tick's key as {@code webhook-id} (and the Standard Webhooks timestamp and signature, over an
 * empty body), on one keep-alive connection. A 200 with a JSON {@code {"messages":["…",…]}} gives
 * those texts; a 200 with any other non-empty body gives that body as one text; 204 or an empty 200
 * gives none. Anything else fails the tick with an {@link AttemptFailure}, as for {@link
 * HttpHandler}.
 */
public final class HttpSource implements MessageSource, Interruptible {
  private static final Logger LOG = LoggerFactory.getLogger(HttpSource.class);

  private final WebhookClient client;
  private final long timeoutMs;

  public HttpSource(HttpPlugin http, long timeoutMs) {
    // one connection: the generator never makes two calls at once
    this.client = new WebhookClient(http, 1, timeoutMs);
    this.timeoutMs = timeoutMs;
  }

  @Override
  public Future<Void> start(PluginContext context) {
    client.start(context.vertx());
    LOG.atInfo()
        .addKeyValue("node", context.nodeId())
        .log(
            "http source: GET {} ({} ms per tick, {})",
            Secrets.mask(client.url()),
            timeoutMs,
            client.signed() ? "signed" : "unsigned");
    return Future.succeededFuture();
  }

  @Override
  public Future<List<String>> next(Tick tick) {
    return client.call(tick.key(), tick.key(), HttpMethod.GET, null).map(HttpSource::messages);
  }

  @Override
  public void cancel(Tick tick) {
    client.cancel(tick.key());
  }

  @Override
  public Future<Void> stop() {
    return client.stop();
  }

  /** The texts an answer gives; throws the tick's failure when it gives none. */
  static List<String> messages(WebhookClient.Answer answer) {
    if (answer.status() == 204) {
      return List.of();
    }
    if (answer.status() != 200) {
      throw answer.statusFailure();
    }
    if (answer.body().length() == 0) {
      return List.of();
    }
    String text = answer.body().toString(StandardCharsets.UTF_8);
    if (!isJson(answer.contentType())) {
      return List.of(text);
    }
    Object decoded;
    try {
      decoded = Json.decodeValue(answer.body());
    } catch (DecodeException e) {
      return List.of(text);
    }
    if (!(decoded instanceof JsonObject json) || !json.containsKey("messages")) {
      return List.of(text);
    }
    // an object that names "messages" means the list: a malformed one is a mistake, not a text
    if (!(json.getValue("messages") instanceof JsonArray list)) {
      throw answer.badAnswer("\"messages\" is not a list of strings");
    }
    List<String> texts = new ArrayList<>(list.size());
    for (Object m : list) {
      if (!(m instanceof String s)) {
        throw answer.badAnswer("\"messages\" is not a list of strings");
      }
      texts.add(s);
    }
    return texts;
  }

  /** {@code application/json} or any {@code …+json} type, whatever its parameters. */
  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    return type.equals("application/json") || type.endsWith("+json");
  }
}
