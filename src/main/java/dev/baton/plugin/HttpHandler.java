package dev.baton.plugin;

import dev.baton.api.Invocation;
import dev.baton.api.MessageHandler;
import dev.baton.api.Outcome;
import dev.baton.api.PluginContext;
import dev.baton.config.PluginSettings.HttpPlugin;
import dev.baton.config.Secrets;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook handler ({@code handler.type: http}): each invocation is POSTed to {@code
 * handler.http.url} as {@link Invocation#toJson()} with the Standard Webhooks headers ({@code
 * webhook-id} is the message id), over at most {@code concurrency} keep-alive connections. A 2xx
 * answer is the outcome: an empty body or {@code {"outcome":"ok"}}, {@code
 * {"outcome":"error","reason":…,"details":{…}}} or {@code {"outcome":"fail","reason":…}}. Anything
 * else fails the attempt with an {@link AttemptFailure}: another status ({@code http_status}), a
 * 2xx that is not such an answer ({@code bad_answer}), no connection ({@code unreachable}), no
 * answer within {@code timeoutMs} or a {@link #cancel} ({@code timeout}; the request is reset).
 */
public final class HttpHandler implements MessageHandler, Interruptible {
  private static final Logger LOG = LoggerFactory.getLogger(HttpHandler.class);

  private final WebhookClient client;
  private final int concurrency;
  private final long timeoutMs;

  public HttpHandler(HttpPlugin http, int concurrency, long timeoutMs) {
    this.client = new WebhookClient(http, concurrency, timeoutMs);
    this.concurrency = concurrency;
    this.timeoutMs = timeoutMs;
  }

  @Override
  public Future<Void> start(PluginContext context) {
    client.start(context.vertx());
    LOG.atInfo()
        .addKeyValue("node", context.nodeId())
        .log(
            "http handler: POST {} ({} connections, {} ms per attempt, {})",
            Secrets.mask(client.url()),
            concurrency,
            timeoutMs,
            client.signed() ? "signed" : "unsigned");
    return Future.succeededFuture();
  }

  @Override
  public Future<Outcome> handle(Invocation invocation) {
    Buffer body = Buffer.buffer(invocation.toJson().encode());
    return client
        .call(key(invocation), invocation.id(), HttpMethod.POST, body)
        .map(answer -> outcome(answer, invocation.id()));
  }

  @Override
  public void cancel(Invocation invocation) {
    client.cancel(key(invocation));
  }

  @Override
  public Future<Void> stop() {
    return client.stop();
  }

  /** Attempts of one message never overlap on a node; the attempt number tells a retry apart. */
  private static String key(Invocation invocation) {
    return invocation.id() + "#" + invocation.attempt();
  }

  /** The outcome a webhook's answer states; throws the attempt's failure when it states none. */
  static Outcome outcome(WebhookClient.Answer answer, String id) {
    if (!answer.isSuccess()) {
      throw answer.statusFailure();
    }
    if (answer.isEmpty()) {
      return Outcome.ok();
    }
    Object decoded;
    try {
      decoded = Json.decodeValue(answer.body());
    } catch (DecodeException e) {
      throw answer.badAnswer("not JSON");
    }
    if (!(decoded instanceof JsonObject json)) {
      throw answer.badAnswer("not a JSON object");
    }
    Object answeredId = json.getValue("id");
    if (answeredId != null && !id.equals(answeredId)) {
      throw answer.badAnswer("the answer of another message (id " + answeredId + ")");
    }
    Object kind = json.getValue("outcome");
    if ("ok".equals(kind)) {
      return Outcome.ok();
    }
    if (!"error".equals(kind) && !"fail".equals(kind)) {
      throw answer.badAnswer("no outcome ok, error or fail");
    }
    if (!(json.getValue("reason") instanceof String reason)) {
      throw answer.badAnswer("outcome " + kind + " without a reason (a string)");
    }
    if ("fail".equals(kind)) {
      return Outcome.fail(reason);
    }
    Object details = json.getValue("details");
    if (details != null && !(details instanceof JsonObject)) {
      throw answer.badAnswer("details that are not a JSON object");
    }
    return Outcome.error(reason, (JsonObject) details);
  }
}
