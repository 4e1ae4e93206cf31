package dev.baton.plugin;

import dev.baton.api.MessageSource;
import dev.baton.api.PluginContext;
import dev.baton.api.Tick;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A source plug-in for tests ({@code generator.source: java}, this class): each tick answers what
 * {@link #SCRIPT} gives for its number ({@code null}: never answers; a failed future: fails), and
 * every call is recorded with the node that made it.
 */
public final class ScriptedSource implements MessageSource {
  /** One call as the source saw it. */
  public record Call(String node, Tick tick) {}

  public static final List<Call> CALLS = new CopyOnWriteArrayList<>();

  /** What tick {@code seq} answers; by default two texts naming the tick. */
  public static volatile Function<Long, Future<List<String>>> SCRIPT = ScriptedSource::two;

  private String node;

  public static void reset() {
    CALLS.clear();
    SCRIPT = ScriptedSource::two;
  }

  /** Two texts naming tick {@code seq}: "tick N a" and "tick N b". */
  public static Future<List<String>> two(long seq) {
    return Future.succeededFuture(Arrays.asList("tick " + seq + " a", "tick " + seq + " b"));
  }

  public static Future<List<String>> texts(String... texts) {
    return Future.succeededFuture(new ArrayList<>(Arrays.asList(texts)));
  }

  @Override
  public Future<Void> start(PluginContext context) {
    node = context.nodeId();
    return Future.succeededFuture();
  }

  @Override
  public Future<List<String>> next(Tick tick) {
    CALLS.add(new Call(node, tick));
    Future<List<String>> answer = SCRIPT.apply(tick.seq());
    return answer == null ? Promise.<List<String>>promise().future() : answer;
  }
}
