package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import org.junit.jupiter.api.Test;

/** The one builder of the nodes' BATON_* variables names them as the nodes read them. */
class NodeEnvTest {
  @Test
  void namesEachSettingByItsVariable() {
    assertThat(
            NodeEnv.create()
                .set("redis.keyPrefix", "p")
                .set("audit.enabled", true)
                .set("generator.maxInFlight", 4)
                .set("generator.maxMessages", 5_000_000_000L)
                .set("handler.java.class", "a.B")
                .toMap())
        .containsOnly(
            entry("BATON_REDIS_KEY_PREFIX", "p"),
            entry("BATON_AUDIT_ENABLED", "true"),
            entry("BATON_GENERATOR_MAX_IN_FLIGHT", "4"),
            entry("BATON_GENERATOR_MAX_MESSAGES", "5000000000"),
            entry("BATON_HANDLER_JAVA_CLASS", "a.B"));
    assertThat(NodeEnv.name("nodeId")).isEqualTo("BATON_NODE_ID");
    assertThat(NodeEnv.name("http.port")).isEqualTo("BATON_HTTP_PORT");
  }

  @Test
  void refusesAPathThatNamesNoSetting() {
    assertThatThrownBy(() -> NodeEnv.create().set("generator.batchsize", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("generator.batchsize");
  }
}
