package dev.baton.support;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real redis-server with a test client: {@code @RegisterExtension static final RedisExtension
 * REDIS = new RedisExtension();} for one server per class, or an instance field for one per test.
 */
public final class RedisExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private final boolean appendOnly;
  private RedisServer server;
  private TestRedis client;
  private boolean perTest;

  public RedisExtension() {
    this(false);
  }

  /**
   * @param appendOnly AOF with {@code appendfsync always}, so a restart keeps every write
   */
  public RedisExtension(boolean appendOnly) {
    this.appendOnly = appendOnly;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (server == null) {
      perTest = true;
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (perTest) {
      stop();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  private void start() {
    server = RedisServer.start(appendOnly);
    client = new TestRedis(server.url());
  }

  private void stop() {
    if (client != null) {
      client.close();
      server.close();
      client = null;
      server = null;
    }
  }

  public RedisServer server() {
    return server;
  }

  public TestRedis client() {
    return client;
  }

  public String url() {
    return server.url();
  }

  public int port() {
    return server.port();
  }
}
