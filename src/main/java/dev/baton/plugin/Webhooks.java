package dev.baton.plugin;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec/standard-webhooks.md): the
 * symmetric scheme {@code v1}, base64 of HMAC-SHA256 with the secret's key bytes over {@code
 * <webhook-id>.<webhook-timestamp>.<body>}. Thread-safe: each signature uses its own copy of a Mac
 * initialised once.
 */
final class Webhooks {
  static final String ID = "webhook-id";
  static final String TIMESTAMP = "webhook-timestamp";
  static final String SIGNATURE = "webhook-signature";

  private static final String ALGORITHM = "HmacSHA256";

  private final Mac prototype;

  /** {@code key}: the secret's bytes (base64-decoded, without the {@code whsec_} prefix). */
  Webhooks(byte[] key) {
    try {
      prototype = Mac.getInstance(ALGORITHM);
      prototype.init(new SecretKeySpec(key, ALGORITHM));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  /** The {@code webhook-signature} value: {@code v1,<base64 signature>}. */
  String sign(String id, long timestampSeconds, byte[] body) {
    Mac mac;
    try {
      mac = (Mac) prototype.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("HMAC-SHA256 cannot be cloned", e);
    }
    mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
    mac.update(body);
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal());
  }

  /** Seconds since the epoch, what {@code webhook-timestamp} carries (a wall clock by the spec). */
  static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }
}
