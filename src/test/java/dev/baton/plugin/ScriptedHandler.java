package dev.baton.plugin;

import dev.baton.api.Invocation;
import dev.baton.api.MessageHandler;
import dev.baton.api.Outcome;
import dev.baton.api.PluginContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A handler plug-in for tests ({@code handler.type: java}, this class), whose behaviour each
 * message's text scripts, first word first:
 *
 * <ul>
 *   <li>{@code ok …}: ok; {@code error …}: an error with reason "scripted" and details;
 *   <li>{@code fail N …}: fails attempts up to N, then ok; {@code failall}: fails every attempt;
 *   <li>{@code hang N …}: never answers attempts up to N, then ok;
 *   <li>{@code throw …}: throws; {@code slow MS …}: ok after MS milliseconds.
 * </ul>
 *
 * Every invocation is recorded, by node, with the most attempts in flight at once.
 */
public final class ScriptedHandler implements MessageHandler {
  /** One invocation as the plug-in saw it. */
  public record Call(String node, String id, String text, int attempt, long deadlineMs) {}

  public static final List<Call> CALLS = new CopyOnWriteArrayList<>();
  public static final Map<String, AtomicInteger> MAX_IN_FLIGHT = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> IN_FLIGHT = new ConcurrentHashMap<>();

  private Vertx vertx;
  private String node;

  public static void reset() {
    CALLS.clear();
    MAX_IN_FLIGHT.clear();
    IN_FLIGHT.clear();
  }

  /** The calls made for message {@code id}, in order. */
  public static List<Call> callsOf(String id) {
    return CALLS.stream().filter(c -> c.id().equals(id)).toList();
  }

  @Override
  public Future<Void> start(PluginContext context) {
    vertx = context.vertx();
    node = context.nodeId();
    return Future.succeededFuture();
  }

  @Override
  public Future<Outcome> handle(Invocation inv) {
    CALLS.add(new Call(node, inv.id(), inv.text(), inv.attempt(), inv.deadlineMs()));
    String[] words = inv.text().split(" ");
    int n = words.length > 1 && words[1].matches("\\d+") ? Integer.parseInt(words[1]) : 0;
    switch (words[0]) {
      case "error":
        return Future.succeededFuture(
            Outcome.error(
                "scripted", new JsonObject().put("word", words[0]).put("attempt", inv.attempt())));
      case "fail":
        return Future.succeededFuture(
            inv.attempt() <= n ? Outcome.fail("scripted failure " + inv.attempt()) : Outcome.ok());
      case "failall":
        return Future.succeededFuture(Outcome.fail("always fails"));
      case "hang":
        return inv.attempt() <= n
            ? Promise.<Outcome>promise().future()
            : Future.succeededFuture(Outcome.ok());
      case "throw":
        throw new IllegalStateException("scripted exception");
      case "slow":
        AtomicInteger inFlight = IN_FLIGHT.computeIfAbsent(node, k -> new AtomicInteger());
        int now = inFlight.incrementAndGet();
        MAX_IN_FLIGHT
            .computeIfAbsent(node, k -> new AtomicInteger())
            .accumulateAndGet(now, Math::max);
        Promise<Outcome> later = Promise.promise();
        vertx.setTimer(
            Math.max(1, n),
            id -> {
              inFlight.decrementAndGet();
              later.complete(Outcome.ok());
            });
        return later.future();
      default:
        return Future.succeededFuture(Outcome.ok());
    }
  }
}
