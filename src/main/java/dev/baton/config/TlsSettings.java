package dev.baton.config;

import io.vertx.core.json.JsonObject;

/**
 * TLS for {@code rediss://}: the CA to trust (empty: the JVM's), an optional client certificate.
 */
public record TlsSettings(String caFile, String certFile, String keyFile, boolean verifyHost) {
  static TlsSettings parse(Section t) {
    TlsSettings tls =
        new TlsSettings(
            t.readableFile("caFile"),
            t.readableFile("certFile"),
            t.readableFile("keyFile"),
            t.bool("verifyHost"));
    if (tls.certFile().isEmpty() != tls.keyFile().isEmpty()) {
      throw new ConfigException(
          t.name() + ": certFile and keyFile go together (a client certificate and its key)");
    }
    return tls;
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("caFile", caFile)
        .put("certFile", certFile)
        .put("keyFile", keyFile)
        .put("verifyHost", verifyHost);
  }
}
