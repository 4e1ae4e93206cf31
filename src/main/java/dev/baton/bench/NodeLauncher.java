package dev.baton.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** How the benchmark starts a node process: this jar, its heap and extra JVM options. */
record NodeLauncher(Path jar, String heap, List<String> jvmOptions) {
  NodeProcess start(String id, Map<String, String> env) throws IOException {
    return NodeProcess.start(jar, id, env, heap, jvmOptions);
  }
}
