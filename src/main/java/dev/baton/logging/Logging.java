package dev.baton.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.baton.config.LogSettings.LogFormat;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code log.format} to the process's log output (configured by logback.xml, human-readable
 * by default) and stamps every line with the node id: Baton's own lines carry it as a key/value
 * pair, and lines of libraries get it from the logging context, since one process runs one node.
 */
public final class Logging {
  /** The key the node id is logged under, on every line. */
  public static final String NODE_KEY = "node";

  private static final String APPENDER = "STDERR";

  private Logging() {}

  /** Called once the configuration is known, before the node starts. */
  public static void apply(LogFormat format, String nodeId) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    context.putProperty(NODE_KEY, nodeId);
    if (format != LogFormat.JSON) {
      return;
    }
    Appender<ILoggingEvent> appender =
        context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(APPENDER);
    if (appender instanceof OutputStreamAppender<ILoggingEvent> out) {
      Encoder<ILoggingEvent> json = jsonEncoder(context);
      out.stop();
      out.setEncoder(json);
      out.start();
    }
  }

  /**
   * One JSON object per line (logback's own encoder): level, logger, thread, timestamp, the
   * formatted message, {@code kvpList} with the node id, {@code context.properties.node}, and any
   * stack trace as structured fields.
   */
  public static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
    JsonEncoder json = new JsonEncoder();
    json.setContext(context);
    json.setWithFormattedMessage(true);
    json.setWithMessage(false);
    json.setWithArguments(false);
    json.setWithSequenceNumber(false);
    json.setWithNanoseconds(false);
    json.start();
    return json;
  }
}
