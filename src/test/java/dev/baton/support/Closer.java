package dev.baton.support;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Closes what a test opened (nodes, proxies, servers), newest first, after each test. */
public final class Closer implements AfterEachCallback {
  private final List<AutoCloseable> resources = new ArrayList<>();

  public <T extends AutoCloseable> T add(T resource) {
    resources.add(resource);
    return resource;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    resources.clear();
    if (first != null) {
      throw first;
    }
  }
}
