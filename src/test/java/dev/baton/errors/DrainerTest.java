package dev.baton.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.redis.RedisOps;
import dev.baton.support.Await;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestRedis;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(120)
class DrainerTest {
  @RegisterExtension static final RedisExtension REDIS = new RedisExtension();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final Keys keys = new Keys(prefix);

  private List<String> storeErrors(int n) {
    List<String> ids = new ArrayList<>();
    REDIS.client().pipeline(errorRequests(n)).forEach(r -> ids.add(r.toString()));
    return ids;
  }

  private List<Request> errorRequests(int n) {
    List<Request> reqs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      reqs.add(
          Request.cmd(Command.XADD)
              .arg(keys.errors())
              .arg("*")
              .arg("record")
              .arg(
                  new JsonObject()
                      .put("id", "m" + i)
                      .put("ts", 1_700_000_000_000L + i)
                      .put("text", "text " + i)
                      .encode()));
    }
    return reqs;
  }

  private Drainer drainer(long leaseMs, int batch) {
    return new Drainer(
        REDIS.client().vertx(),
        new RedisOps(REDIS.client().client(), 10_000),
        keys,
        leaseMs,
        batch,
        false);
  }

  private static List<String> ids(List<ErrorEntry> entries) {
    return entries.stream().map(ErrorEntry::errorId).toList();
  }

  @Test
  void drainsEveryStoredErrorInOrderAndDeletesExactlyThose() throws Exception {
    List<String> stored = storeErrors(2_500);
    List<ErrorEntry> got = Collections.synchronizedList(new ArrayList<>());
    Drainer.Result r =
        drainer(5_000, 1_000)
            .drain(
                batch -> {
                  got.addAll(batch);
                  return Future.succeededFuture();
                })
            .await(60, TimeUnit.SECONDS);
    assertThat(ids(got)).containsExactlyElementsOf(stored);
    assertThat(r.delivered()).isEqualTo(2_500);
    assertThat(r.deleted()).isEqualTo(2_500);
    assertThat(REDIS.client().num("XLEN", keys.errors())).isZero();
    assertThat(got.get(7).record().getString("text")).isEqualTo("text 7");
  }

  @Test
  void errorsStoredDuringARunStayForTheNextRun() throws Exception {
    List<String> before = storeErrors(30);
    List<String> during = new ArrayList<>();
    List<ErrorEntry> got = new ArrayList<>();
    drainer(5_000, 10)
        .drain(
            batch -> {
              boolean first = got.isEmpty();
              got.addAll(batch);
              if (!first) {
                return Future.succeededFuture();
              }
              // new errors arrive while the run is under way (sent from the sink, which runs on an
              // event loop)
              return REDIS
                  .client()
                  .client()
                  .batch(errorRequests(5))
                  .map(
                      replies -> {
                        replies.forEach(r -> during.add(r.toString()));
                        return null;
                      });
            })
        .await(60, TimeUnit.SECONDS);
    assertThat(ids(got)).containsExactlyElementsOf(before);
    assertThat(REDIS.client().range(keys.errors()))
        .extracting(e -> e.id())
        .containsExactlyElementsOf(during);

    List<ErrorEntry> next = new ArrayList<>();
    drainer(5_000, 10)
        .drain(
            batch -> {
              next.addAll(batch);
              return Future.succeededFuture();
            })
        .await(60, TimeUnit.SECONDS);
    assertThat(ids(next)).containsExactlyElementsOf(during);
  }

  @Test
  void concurrentRunsNeverDeliverTheSameErrorAndTogetherDeliverAll() throws Exception {
    List<String> stored = storeErrors(6_000);
    List<List<String>> perRun = new ArrayList<>();
    List<Future<Drainer.Result>> runs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      List<String> mine = Collections.synchronizedList(new ArrayList<>());
      perRun.add(mine);
      runs.add(
          drainer(5_000, 100)
              .drain(
                  batch -> {
                    batch.forEach(e -> mine.add(e.errorId()));
                    return Future.succeededFuture();
                  }));
    }
    Future.all(runs).await(60, TimeUnit.SECONDS);
    Set<String> union = new HashSet<>();
    int total = 0;
    for (List<String> mine : perRun) {
      union.addAll(mine);
      total += mine.size();
    }
    assertThat(total).as("no error delivered twice").isEqualTo(6_000);
    assertThat(union).containsExactlyInAnyOrderElementsOf(stored);
    assertThat(perRun.stream().filter(l -> !l.isEmpty()).count())
        .as("runs that got a share")
        .isGreaterThan(1);
    assertThat(REDIS.client().num("XLEN", keys.errors())).isZero();
  }

  @Test
  void aRunThatDiesHalfWayLosesNothingTheNextRunPrintsWhatItHadNotFinished() throws Exception {
    List<String> stored = storeErrors(50);
    // the first run, in a Vert.x of its own, takes a batch of 20 and dies before finishing it
    TestRedis doomed = new TestRedis(REDIS.url());
    List<String> firstRun = Collections.synchronizedList(new ArrayList<>());
    new Drainer(doomed.vertx(), new RedisOps(doomed.client(), 10_000), keys, 1_000, 20, false)
        .drain(
            batch -> {
              batch.forEach(e -> firstRun.add(e.errorId()));
              return Promise.<Void>promise().future(); // never printed
            });
    Await.until("first run holds a batch", Duration.ofSeconds(10), () -> firstRun.size() == 20);
    doomed.close(); // the process is gone: no more lease renewals, nothing acknowledged

    List<String> second = new ArrayList<>();
    drainer(1_000, 1_000)
        .drain(
            batch -> {
              batch.forEach(e -> second.add(e.errorId()));
              return Future.succeededFuture();
            })
        .await(60, TimeUnit.SECONDS);
    assertThat(second).containsExactlyInAnyOrderElementsOf(stored);
    assertThat(REDIS.client().num("XLEN", keys.errors())).isZero();
  }

  @Test
  void aNewRunWaitsForTheLeaseOfAKilledRunAndThenTakesItsBatch() throws Exception {
    List<String> stored = storeErrors(10);
    // a killed run: it claimed the records and its lease (1 s) simply stops being renewed
    REDIS.client().cmd("XGROUP", "CREATE", keys.errors(), Keys.DRAIN_GROUP, "0");
    REDIS
        .client()
        .cmd(
            "XREADGROUP",
            "GROUP",
            Keys.DRAIN_GROUP,
            "drain-killed",
            "COUNT",
            "4",
            "STREAMS",
            keys.errors(),
            ">");
    long serverMs = Long.parseLong(REDIS.client().strings("TIME").get(0)) * 1000;
    REDIS.client().cmd("ZADD", keys.drainers(), Long.toString(serverMs + 1_000), "drain-killed");

    List<String> got = new ArrayList<>();
    Drainer.Result r =
        drainer(5_000, 100)
            .drain(
                batch -> {
                  batch.forEach(e -> got.add(e.errorId()));
                  return Future.succeededFuture();
                })
            .await(60, TimeUnit.SECONDS);
    assertThat(got).containsExactlyInAnyOrderElementsOf(stored);
    assertThat(r.heldByOthers()).isZero();
    assertThat(REDIS.client().num("XLEN", keys.errors())).isZero();
  }

  @Test
  void entriesThatAreNotJsonRecordsAreDeliveredRawAndStillDrained() throws Exception {
    REDIS.client().cmd("XADD", keys.errors(), "*", "record", "{\"truncated\": ");
    REDIS.client().cmd("XADD", keys.errors(), "*", "something", "else");
    List<ErrorEntry> got = new ArrayList<>();
    drainer(5_000, 10)
        .drain(
            batch -> {
              got.addAll(batch);
              return Future.succeededFuture();
            })
        .await(60, TimeUnit.SECONDS);
    assertThat(got).hasSize(2).allMatch(ErrorEntry::isRaw);
    assertThat(got.get(0).raw()).isEqualTo("{\"truncated\": ");
    assertThat(got.get(1).raw()).isEqualTo("something=else");
    assertThat(got.get(0).toLine()).endsWith("(raw) {\"truncated\": ");
    assertThat(got.get(1).toJson().getString("raw")).isEqualTo("something=else");
    assertThat(REDIS.client().num("XLEN", keys.errors())).isZero();
  }

  @Test
  void aSinkFailureDeletesNothingOfThatBatch() throws Exception {
    storeErrors(10);
    try {
      drainer(5_000, 10)
          .drain(batch -> Future.failedFuture("stdout closed"))
          .await(30, TimeUnit.SECONDS);
    } catch (Exception expected) {
      assertThat(expected).hasMessageContaining("stdout closed");
    }
    assertThat(REDIS.client().num("XLEN", keys.errors())).isEqualTo(10);
  }
}
