package dev.baton.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import org.slf4j.event.KeyValuePair;

/**
 * {@code %node} in a log pattern: the node id the line was logged for ({@code addKeyValue("node",
 * id)}, which tells apart several nodes in one JVM), else the node id of this process (set by
 * {@link Logging#apply} for lines of libraries), else {@code -}.
 */
public final class NodeConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair kv : event.getKeyValuePairs()) {
        if (Logging.NODE_KEY.equals(kv.key)) {
          return String.valueOf(kv.value);
        }
      }
    }
    String process = getContext() == null ? null : getContext().getProperty(Logging.NODE_KEY);
    return process == null ? "-" : process;
  }
}
