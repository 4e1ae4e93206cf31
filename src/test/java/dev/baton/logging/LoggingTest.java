package dev.baton.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.encoder.Encoder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** The two log formats, on a private logging context (the test JVM's own output is left alone). */
class LoggingTest {
  private final LoggerContext context = newContext();

  private static LoggerContext newContext() {
    LoggerContext c = new LoggerContext();
    c.setMDCAdapter(new LogbackMDCAdapter());
    return c;
  }

  private LoggingEvent event(String template, Object arg, String node, Throwable error) {
    LoggingEvent e =
        new LoggingEvent(
            "x",
            context.getLogger("dev.baton.NodeVerticle"),
            Level.INFO,
            template,
            error,
            new Object[] {arg});
    if (node != null) {
      e.addKeyValuePair(new KeyValuePair(Logging.NODE_KEY, node));
    }
    return e;
  }

  private String convert(LoggingEvent e) {
    NodeConverter c = new NodeConverter();
    c.setContext(context);
    c.start();
    return c.convert(e);
  }

  @Test
  void textLinesNameTheNodeTheyWereLoggedForElseTheProcessNode() {
    assertThat(convert(event("role is now {}", "generator", "n1", null))).isEqualTo("n1");
    assertThat(convert(event("a library line {}", 1, null, null))).isEqualTo("-");
    context.putProperty(Logging.NODE_KEY, "proc-node");
    assertThat(convert(event("a library line {}", 1, null, null))).isEqualTo("proc-node");
    // several nodes in one JVM: the line's own node wins over the process's
    assertThat(convert(event("role is now {}", "handler", "n2", null))).isEqualTo("n2");
  }

  @Test
  void jsonLinesAreOneObjectEachWithTheFormattedMessageAndTheNode() {
    context.putProperty(Logging.NODE_KEY, "proc-node");
    Encoder<ILoggingEvent> json = Logging.jsonEncoder(context);
    String line =
        new String(
            json.encode(
                event(
                    "role is now {}",
                    "generator",
                    "n1",
                    new IllegalStateException("boom\nsecond line"))),
            StandardCharsets.UTF_8);

    assertThat(line).endsWith("\n");
    assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n");
    JsonObject o = new JsonObject(line);
    assertThat(o.getString("level")).isEqualTo("INFO");
    assertThat(o.getString("loggerName")).isEqualTo("dev.baton.NodeVerticle");
    assertThat(o.getString("formattedMessage")).isEqualTo("role is now generator");
    JsonArray kvps = o.getJsonArray("kvpList");
    assertThat(kvps.getJsonObject(0).getString(Logging.NODE_KEY)).isEqualTo("n1");
    assertThat(o.getJsonObject("context").getJsonObject("properties").getString(Logging.NODE_KEY))
        .isEqualTo("proc-node");
    assertThat(o.getJsonObject("throwable").getString("message")).isEqualTo("boom\nsecond line");
  }
}
