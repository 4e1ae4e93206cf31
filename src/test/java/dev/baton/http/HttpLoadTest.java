package dev.baton.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.redis.Keys;
import dev.baton.support.Await;
import dev.baton.support.RedisExtension;
import dev.baton.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A flood of the heaviest reads on the generator's node must not cost it the lease: the epoch and
 * the grants stream stay as they were, and what the node cannot serve at once it sheds with a 503
 * and Retry-After rather than queueing it.
 */
@Timeout(180)
class HttpLoadTest {
  @RegisterExtension
  static final RedisExtension REDIS = new RedisExtension();
  private static final int STORED_ERRORS = 60_000;
  private static final int CLIENTS = 24;
  private static final long FLOOD_MS = 10_000;

  @Test
  void aFloodOfErrorPagesNeverCostsTheGeneratorItsLease() throws Exception {
    String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    Keys keys = new Keys(prefix);
    // 230 k stored errors in the issue; this many already make a page of 10 000 about 1.5 MB
    REDIS.client().cmd("EVAL", "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', 'record', "
        + "'{\"id\":\"m' .. i .. '\",\"ts\":1700000000000,\"text\":\"' .. string.rep('x', 100) .. '\"}') end return 1",
        "1", keys.errors(), Integer.toString(STORED_ERRORS));
    // production lease timings: the flood, not a short lease, is what is under test
    JsonObject settings = TestNode.fastSettings(REDIS.url(), prefix).put("nodeId", "flooded")
        .put("election", new JsonObject().put("leaseMs", 1000).put("renewMs", 300))
        .put("redis", new JsonObject().put("url", REDIS.url()).put("keyPrefix", prefix).put("embedded", "off"));
    try (TestNode node = TestNode.start(settings)) {
      Await.until("the node generates", Duration.ofSeconds(10), node::isGenerator);
      long epoch = node.state().epoch();
      long grants = REDIS.client().num("XLEN", keys.grants());

      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      URI page = URI.create("http://127.0.0.1:" + node.httpPort() + "/errors?limit=10000");
      AtomicLong served = new AtomicLong();
      AtomicLong shed = new AtomicLong();
      AtomicLong shedWithRetryAfter = new AtomicLong();
      AtomicLong other = new AtomicLong();
      java.util.concurrent.ConcurrentLinkedQueue<Long> answerMs = new java.util.concurrent.ConcurrentLinkedQueue<>();
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FLOOD_MS);
      List<Future<?>> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        clients.add(pool.submit(() -> {
          while (System.nanoTime() < until) {
            long sentNs = System.nanoTime();
            try {
              HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(page).timeout(Duration.ofSeconds(30)).build(),
                  HttpResponse.BodyHandlers.ofByteArray());
              answerMs.add((System.nanoTime() - sentNs) / 1_000_000);
              if (r.statusCode() == 200) {
                served.incrementAndGet();
              } else if (r.statusCode() == 503) {
                shed.incrementAndGet();
                if (r.headers().firstValue("retry-after").isPresent()) {
                  shedWithRetryAfter.incrementAndGet();
                }
              } else {
                other.incrementAndGet();
              }
            } catch (Exception e) {
              other.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> c : clients) {
        c.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      List<Long> sorted = answerMs.stream().sorted().toList();
      System.out.printf("flood of %d clients for %d ms: %d pages served, %d shed, %d other; answer p50 %d ms, p99 %d ms%n",
          CLIENTS, FLOOD_MS, served.get(), shed.get(), other.get(), sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2),
          sorted.isEmpty() ? -1 : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(sorted.size() * 0.99) - 1)));

      assertThat(node.isGenerator()).as("still the generator after the flood").isTrue();
      assertThat(node.state().epoch()).as("the epoch it was granted before the flood").isEqualTo(epoch);
      assertThat(REDIS.client().num("XLEN", keys.grants())).as("no grant during the flood").isEqualTo(grants);
      assertThat(served.get()).as("pages served").isPositive();
      assertThat(shed.get()).as("requests shed").isPositive();
      assertThat(shedWithRetryAfter.get()).as("every shed request says when to retry").isEqualTo(shed.get());
      assertThat(other.get()).as("answers that were neither a page nor a quick 503").isZero();
    }
  }
}
