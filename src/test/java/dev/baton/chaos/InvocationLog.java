package dev.baton.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.redis.Replies;
import dev.baton.support.TestRedis;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a chaos plug-in saw and answered, one JSON line per invocation ({@code node}, {@code pid},
 * {@code id}, {@code attempt}, {@code did}: answered, hang, garbage, and the {@code answer}), and
 * the checks the chaos suite makes against it.
 */
final class InvocationLog {
  final List<JsonObject> lines = new ArrayList<>();

  static InvocationLog read(Path file) throws IOException {
    InvocationLog log = new InvocationLog();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        log.lines.add(new JsonObject(line));
      }
    }
    return log;
  }

  /** Invocations per message id. */
  Map<String, List<JsonObject>> byId() {
    Map<String, List<JsonObject>> out = new HashMap<>();
    for (JsonObject l : lines) {
      out.computeIfAbsent(l.getString("id"), k -> new ArrayList<>()).add(l);
    }
    return out;
  }

  /**
   * Every invocation beyond a message's first is accounted for by an attempt number: no attempt
   * number is handed out twice for one message. Returns the invocations beyond the first.
   */
  long assertAttemptsDistinct() {
    long extra = 0;
    for (Map.Entry<String, List<JsonObject>> e : byId().entrySet()) {
      Set<Integer> seen = new HashSet<>();
      for (JsonObject l : e.getValue()) {
        assertThat(seen.add(l.getInteger("attempt")))
            .as(
                "message %s invoked twice with attempt %s: %s",
                e.getKey(), l.getInteger("attempt"), e.getValue())
            .isTrue();
      }
      extra += e.getValue().size() - 1;
    }
    return extra;
  }

  /**
   * Every error record is the one the plug-in asked for: its attempt answered error with that
   * reason and those details. Returns how many records were checked.
   */
  long assertErrorRecordsAreThePluginsAnswers(TestRedis rc, Keys keys) {
    Map<String, JsonObject> answers = new HashMap<>();
    for (JsonObject l : lines) {
      if (l.getJsonObject("answer") != null) {
        answers.put(l.getString("id") + "#" + l.getInteger("attempt"), l.getJsonObject("answer"));
      }
    }
    long checked = 0;
    for (Replies.Entry e : rc.range(keys.errors())) {
      JsonObject record = new JsonObject(e.fields().get("record"));
      String key = record.getString("id") + "#" + record.getInteger("attempt");
      JsonObject answer = answers.get(key);
      assertThat(answer).as("the plug-in's answer behind error record %s", record).isNotNull();
      assertThat(answer.getString("outcome")).isEqualTo("error");
      assertThat(record.getString("reason")).isEqualTo(answer.getString("reason"));
      assertThat(record.getJsonObject("details")).isEqualTo(answer.getJsonObject("details"));
      checked++;
    }
    return checked;
  }

  long count(String did) {
    return lines.stream().filter(l -> did.equals(l.getString("did"))).count();
  }
}
