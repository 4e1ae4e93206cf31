package com.example.baton;

import dev.baton.api.Invocation;
import dev.baton.api.MessageHandler;
import dev.baton.api.Outcome;
import dev.baton.api.PluginContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An example handler: a message with a word longer than {@code MAX_WORD} letters (an environment
 * variable, default 12) is an error, with the word in the details; any other message is "stored"
 * (here: its SHA-256 digest is computed and kept) and is ok. The work runs off the event loop
 * ({@code executeBlocking}), as blocking work must. Baton may hand the same message over more than
 * once (after a crash, a timeout or a takeover): the store keys by the message id, so storing it
 * twice changes nothing — that is how a handler makes its side effects effectively once.
 */
public final class WordLengthHandler implements MessageHandler {
  private static final Logger LOG = LoggerFactory.getLogger(WordLengthHandler.class);
  private final Set<String> stored = ConcurrentHashMap.newKeySet();
  private Vertx vertx;
  private int maxWord;

  @Override
  public Future<Void> start(PluginContext context) {
    vertx = context.vertx();
    maxWord = Integer.parseInt(System.getenv().getOrDefault("MAX_WORD", "12"));
    LOG.info(
        "word-length handler on node {}: words over {} letters are errors",
        context.nodeId(),
        maxWord);
    return Future.succeededFuture();
  }

  @Override
  public Future<Outcome> handle(Invocation message) {
    for (String word : message.text().split("\\s+")) {
      if (word.length() > maxWord) {
        return Future.succeededFuture(
            Outcome.error(
                "a word is longer than " + maxWord + " letters",
                new JsonObject().put("word", word).put("length", word.length())));
      }
    }
    return vertx.executeBlocking(
        () -> {
          MessageDigest sha = MessageDigest.getInstance("SHA-256");
          String digest =
              HexFormat.of().formatHex(sha.digest(message.text().getBytes(StandardCharsets.UTF_8)));
          stored.add(message.id() + " " + digest); // idempotent: keyed by the message id
          return Outcome.ok();
        },
        false);
  }
}
