package dev.baton.config;

import java.lang.reflect.RecordComponent;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The secrets this process was configured with (Redis passwords, the HTTP token), so text that
 * leaves the process — log lines, HTTP bodies, command output — can be scrubbed of them. Secrets
 * are never passed to Redis clients inside URLs, so this is the second line of defence: a library
 * message quoting a connection string still prints {@value #MASK}. Process-wide on purpose: several
 * nodes in one JVM (tests) mask each other's secrets too, which is harmless.
 */
public final class Secrets {
  public static final String MASK = "***";

  /**
   * Shorter strings would mask ordinary words; such a password is refused by no one but is weak
   * anyway.
   */
  private static final int MIN_LENGTH = 4;

  private static final Set<String> KNOWN = ConcurrentHashMap.newKeySet();

  private Secrets() {}

  /**
   * Remembers a secret (and its URL-encoded form) to be masked from now on; null or empty is
   * ignored.
   */
  public static void remember(String secret) {
    if (secret == null || secret.length() < MIN_LENGTH) {
      return;
    }
    KNOWN.add(secret);
    KNOWN.add(URLEncoder.encode(secret, StandardCharsets.UTF_8));
  }

  /** The text with every remembered secret replaced by {@value #MASK}. */
  public static String mask(String text) {
    if (text == null || KNOWN.isEmpty()) {
      return text;
    }
    String out = text;
    for (String s : KNOWN) {
      if (out.contains(s)) {
        out = out.replace(s, MASK);
      }
    }
    return out;
  }

  /**
   * A record as its default {@code toString} prints it, {@code Name[a=1, b=x]}, with the components
   * named in {@code secrets} shown as {@value #MASK} ({@code none} when null).
   */
  public static String maskedString(Record record, String... secrets) {
    List<String> masked = List.of(secrets);
    StringJoiner out = new StringJoiner(", ", record.getClass().getSimpleName() + "[", "]");
    for (RecordComponent c : record.getClass().getRecordComponents()) {
      Object value;
      try {
        value = c.getAccessor().invoke(record);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
      out.add(
          c.getName()
              + "="
              + (!masked.contains(c.getName()) ? value : value == null ? "none" : MASK));
    }
    return out.toString();
  }
}
