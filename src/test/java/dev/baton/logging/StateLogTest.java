package dev.baton.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.read.ListAppender;
import dev.baton.state.Component;
import dev.baton.state.NodeState;
import io.vertx.redis.client.impl.types.ErrorType;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** One line per change of a condition, however often it flaps; repeats counted, not printed. */
class StateLogTest {
  private final LoggerContext context = new LoggerContext();
  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final StateLog log;
  private Logger attachedTo;
  private ListAppender<ILoggingEvent> attached;

  StateLogTest() {
    context.setMDCAdapter(new LogbackMDCAdapter());
    captured.setContext(context);
    captured.start();
    Logger logger = context.getLogger("dev.baton.NodeState");
    logger.addAppender(captured);
    log = new StateLog(logger, "n1", clock::get, 5_000);
  }

  @AfterEach
  void detach() {
    if (attachedTo != null) {
      attachedTo.detachAppender(attached);
    }
  }

  private List<String> lines() {
    return captured.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  private void refuse() {
    log.on(
        "refusal:handler",
        "OOM",
        Level.WARN,
        "Redis refuses the handler's commands: OOM command not allowed",
        "Redis accepts the handler's commands again");
  }

  @Test
  void aFlappingConditionIsOneLineThenOneSummaryAMinuteWithTheCount() {
    // about 25 flaps a second, as a handler whose reads are accepted and whose commits are refused
    for (int i = 0; i < 1_000; i++) {
      refuse();
      clock.addAndGet(20);
      log.over("refusal:handler");
      clock.addAndGet(20);
    }
    assertThat(lines())
        .containsExactly("Redis refuses the handler's commands: OOM command not allowed");

    for (int i = 0; i < 501; i++) { // past the minute: one summary, with every repeat counted
      refuse();
      clock.addAndGet(20);
      log.over("refusal:handler");
      clock.addAndGet(20);
    }
    assertThat(lines()).hasSize(2);
    assertThat(lines().get(1))
        .isEqualTo(
            "Redis refuses the handler's commands: OOM command not allowed (repeated 1500 times in the last minute)");
    assertThat(captured.list.get(1).getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);

    clock.addAndGet(5_000); // stays over for the quiet period: logged once, with the total
    log.flush();
    assertThat(lines()).hasSize(3);
    assertThat(lines().get(2))
        .isEqualTo(
            "Redis accepts the handler's commands again (repeated 1500 times since it began)");
    log.flush();
    log.over("refusal:handler");
    assertThat(lines()).hasSize(3);
  }

  @Test
  void aConditionRepeatedWithoutEndIsCountedNotPrinted() {
    for (int i = 0; i < 60; i++) { // a warning a second for a hand-set lease key, on every node
      log.on(
          "lease-no-expiry",
          "lease-no-expiry",
          Level.WARN,
          "the lease key has no expiry",
          "the lease key expires again");
      clock.addAndGet(1_000);
    }
    assertThat(lines()).containsExactly("the lease key has no expiry");
    log.on(
        "lease-no-expiry",
        "lease-no-expiry",
        Level.WARN,
        "the lease key has no expiry",
        "the lease key expires again");
    assertThat(lines())
        .containsExactly(
            "the lease key has no expiry",
            "the lease key has no expiry (repeated 60 times in the last minute)");
  }

  @Test
  void anEndThatLastsIsLoggedAndABeginningAfterItIsLoggedAgain() {
    log.on(
        "unreachable",
        "unreachable",
        Level.WARN,
        "Redis is unreachable: reset",
        "Redis is reachable again");
    log.over("unreachable");
    clock.addAndGet(4_999);
    log.flush();
    assertThat(lines()).containsExactly("Redis is unreachable: reset");
    clock.addAndGet(1);
    log.over("unreachable");
    assertThat(lines()).containsExactly("Redis is unreachable: reset", "Redis is reachable again");
    assertThat(log.isOn("unreachable")).isFalse();

    log.on(
        "unreachable",
        "unreachable",
        Level.WARN,
        "Redis is unreachable: timeout",
        "Redis is reachable again");
    assertThat(lines()).hasSize(3).last().isEqualTo("Redis is unreachable: timeout");
  }

  @Test
  void onStopWhatIsOverIsLoggedAsOverAndWhatStillHoldsIsNot() {
    log.on(
        "unreachable",
        "unreachable",
        Level.WARN,
        "Redis is unreachable: reset",
        "Redis is reachable again");
    refuse();
    log.over("unreachable");
    log.flushEnded();
    assertThat(lines())
        .containsExactly(
            "Redis is unreachable: reset",
            "Redis refuses the handler's commands: OOM command not allowed",
            "Redis is reachable again");
    assertThat(log.isOn("refusal:handler")).isTrue();
  }

  @Test
  void anotherKindOfTheSameConditionIsAnotherState() {
    refuse();
    log.on(
        "refusal:handler",
        "WRONGTYPE",
        Level.WARN,
        "Redis refuses the handler's commands: WRONGTYPE …",
        "again");
    refuse();
    assertThat(lines()).hasSize(3);
  }

  @Test
  void nodeStateLogsAFlappingRefusalOnceAndAFlappingOutageOnce() {
    Logger real = (Logger) LoggerFactory.getLogger(NodeState.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.setContext(real.getLoggerContext());
    appender.start();
    real.addAppender(appender);
    attachedTo = real;
    attached = appender;
    NodeState state = new NodeState("flappy");
    for (int i = 0; i < 2_000; i++) {
      state
          .redis()
          .failed(
              Component.HANDLER,
              ErrorType.create("OOM command not allowed when used memory > 'maxmemory'."));
      state.redis().succeeded(Component.HANDLER);
      state.redis().failed(Component.HEARTBEAT, new IOException("Connection reset"));
      state.redis().succeeded(Component.HEARTBEAT);
    }
    List<String> mine =
        appender.list.stream()
            .filter(
                e ->
                    e.getKeyValuePairs() != null
                        && e.getKeyValuePairs().stream().anyMatch(kv -> "flappy".equals(kv.value)))
            .map(ILoggingEvent::getFormattedMessage)
            .toList();
    // one line each as it began; at most a summary and an end each if the loop outlasted the quiet
    // period
    assertThat(mine)
        .filteredOn(l -> l.startsWith("Redis refuses the handler's commands: OOM"))
        .hasSizeBetween(1, 2);
    assertThat(mine).filteredOn(l -> l.startsWith("Redis is unreachable")).hasSizeBetween(1, 2);
    assertThat(mine).hasSizeLessThanOrEqualTo(6);
    assertThat(state.redis().refusing()).containsOnlyKeys("handler");
  }
}
