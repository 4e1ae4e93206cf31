package dev.baton.support;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A test node's /health and /metrics, read over HTTP as an operator's tools would. */
public final class NodeHttp {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private NodeHttp() {}

  /** /health: the HTTP status and the body. */
  public record Health(int status, JsonObject json) {
    public String state() {
      return json.getString("status");
    }

    /** The sentence of a degraded reason, or null. */
    public String degraded(String reason) {
      JsonObject d = json.getJsonObject("degraded");
      return d == null ? null : d.getString(reason);
    }

    /** The refusal of a component, or null. */
    public String refusal(String component) {
      JsonObject r = json.getJsonObject("refusals");
      return r == null ? null : r.getString(component);
    }
  }

  public static Health health(TestNode node) {
    HttpResponse<String> r = get(node, "/health");
    return new Health(r.statusCode(), new JsonObject(r.body()));
  }

  /** The sample of {@code name} whose labels contain {@code label} (null: the first). */
  public static double metric(TestNode node, String name, String label) {
    String text = get(node, "/metrics").body();
    Matcher m =
        Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
            .matcher(text);
    while (m.find()) {
      if (label == null || m.group(1).contains(label)) {
        return Double.parseDouble(m.group(2));
      }
    }
    throw new AssertionError("no sample " + name + " " + label + " in\n" + text);
  }

  private static HttpResponse<String> get(TestNode node, String path) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
