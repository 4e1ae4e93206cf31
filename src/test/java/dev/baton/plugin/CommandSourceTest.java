package dev.baton.plugin;

import static dev.baton.plugin.Children.alive;
import static dev.baton.plugin.Children.await;
import static dev.baton.plugin.Children.context;
import static dev.baton.plugin.Children.failure;
import static dev.baton.plugin.Children.python;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.api.Tick;
import dev.baton.config.ConfigException;
import dev.baton.config.PluginSettings;
import dev.baton.support.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The command source against real child processes: the Python example, and a script that answers
 * tick 1 of any epoch the way its argument says (a wrong tick, garbage, an exit, no answer) and
 * every other tick well.
 */
@Timeout(60)
class CommandSourceTest {
  private static final String PUPPET =
      """
      import json, os, sys
      mode = sys.argv[1]
      for line in sys.stdin:
          tick = json.loads(line)["tick"]
          seq = int(tick.split(":")[1])
          if seq == 1 and mode == "hang": continue
          if seq == 1 and mode == "exit": os._exit(4)
          if seq == 1 and mode == "wrong-tick": answer = {"tick": "9:9", "messages": []}
          elif seq == 1 and mode == "no-messages": answer = {"tick": tick}
          elif seq == 1 and mode == "not-text": answer = {"tick": tick, "messages": [1]}
          elif seq == 1 and mode == "garbage": answer = "hello"
          elif seq == 3: answer = {"tick": tick, "messages": []}
          else: answer = {"tick": tick, "messages": ["pid %d" % os.getpid()]}
          print(answer if isinstance(answer, str) else json.dumps(answer), flush=True)
      """;

  @TempDir Path dir;
  private Vertx vertx;
  private final List<CommandSource> started = new ArrayList<>();

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    started.forEach(s -> Children.stop(s::stop));
    Children.stop(vertx::close);
  }

  private CommandSource start(PluginSettings settings, long timeoutMs) {
    CommandSource s = new CommandSource(settings, timeoutMs);
    await(s.start(context(vertx, "n1")));
    started.add(s);
    return s;
  }

  private static Tick tick(long epoch, long seq) {
    return new Tick(epoch, seq, System.currentTimeMillis() + 5_000);
  }

  @Test
  void theExampleAnswersARetriedTickWithTheSameMessages() {
    CommandSource s = start(python(Path.of(Children.SOURCE_EXAMPLE)), 5_000);
    List<String> first = await(s.next(tick(4, 7)));
    assertThat(first).containsExactly("work item 4:7/1", "work item 4:7/2", "work item 4:7/3");
    assertThat(await(s.next(tick(4, 7)))).isEqualTo(first);
    assertThat(await(s.next(tick(4, 8)))).doesNotContainAnyElementsOf(first);
  }

  @Test
  void theExampleMakesOneJobPerLineOfItsFile() throws Exception {
    Path jobs = Files.writeString(dir.resolve("jobs.txt"), "# nightly\ncheck a\n\ncheck b\n");
    CommandSource s =
        start(python(Path.of(Children.SOURCE_EXAMPLE), "SOURCE_JOBS_FILE=" + jobs), 5_000);
    assertThat(await(s.next(tick(3, 7)))).containsExactly("check a @3:7", "check b @3:7");
  }

  @ParameterizedTest
  @CsvSource({
    "wrong-tick, BAD_ANSWER, answered tick 9:9",
    "no-messages, BAD_ANSWER, without a \"messages\" list",
    "not-text, BAD_ANSWER, messages are not all strings",
    "garbage, BAD_ANSWER, not a JSON object",
    "exit, CRASH, exited with code 4",
    "hang, TIMEOUT, no answer within 3000 ms",
  })
  void aTickAnsweredWronglyFailsWithItsClassAndTheChildIsRestarted(
      String mode, FailureClass failureClass, String why) {
    Path puppet = Children.script(dir, "source.py", PUPPET);
    CommandSource s = start(Children.command(List.of("python3", puppet.toString(), mode)), 3_000);
    long pid = Long.parseLong(await(s.next(tick(1, 2))).get(0).substring("pid ".length()));

    AttemptFailure f = failure(s.next(tick(2, 1)));
    assertThat(f.failureClass()).isEqualTo(failureClass);
    assertThat(f.getMessage()).contains(why);

    Await.until("the child is gone", Duration.ofSeconds(10), () -> !alive(pid));
    List<String> next = await(s.next(tick(2, 2)));
    assertThat(next).hasSize(1).doesNotContain("pid " + pid);
    assertThat(await(s.next(tick(2, 3)))).isEmpty();
  }

  @Test
  void cancelKillsTheChildHoldingTheTick() {
    Path puppet = Children.script(dir, "source.py", PUPPET);
    CommandSource s =
        start(Children.command(List.of("python3", puppet.toString(), "hang")), 30_000);
    long pid = s.pids().get(0);
    Tick tick = tick(5, 1);
    Future<List<String>> held = s.next(tick);
    s.cancel(tick);
    assertThat(failure(held).failureClass()).isEqualTo(FailureClass.TIMEOUT);
    Await.until("the child is gone", Duration.ofSeconds(10), () -> !alive(pid));
    assertThat(await(s.next(tick(5, 2)))).hasSize(1);
  }

  @Test
  void startFailsNamingTheSettingWhenTheProgramCannotBeStarted() {
    CommandSource s =
        new CommandSource(Children.command(List.of(dir.resolve("missing").toString())), 1_000);
    Future<Void> f = s.start(context(vertx, "n1"));
    assertThatThrownBy(() -> await(f))
        .cause()
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("generator.command: ");
  }
}
