package dev.baton.chaos;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hostile HTTP clients against one node at a time (the target moves when the test says): readers
 * looping on {@code GET /errors?limit=10000}, slow clients trickling request headers a byte every
 * 100 ms until the node cuts them off, and idle connections that send nothing. Bounded: it runs
 * between {@link #start()} and {@link #stop()}, and every socket has a read timeout.
 */
final class HostileLoad implements AutoCloseable {
  /**
   * What the clients saw. {@code shed}: 503s the node's budget gave at once ("busy: ..."); {@code
   * redisFailed}: 503s with {@code Retry-After} after a page was admitted, when Redis did not
   * answer the read within the command deadline (a starved machine); {@code failed}: connections
   * refused or broken, as when the target was killed.
   */
  record Figures(
      long served,
      long shed,
      long redisFailed,
      long unexpected,
      long failed,
      long p50Ms,
      long p99Ms,
      long maxMs,
      long slowCut,
      long idleCut,
      String unexpectedSeen) {
    JsonObject toJson() {
      return new JsonObject()
          .put("pagesServed", served)
          .put("shed503", shed)
          .put("redis503", redisFailed)
          .put("unexpected", unexpected)
          .put("unexpectedSeen", unexpectedSeen)
          .put("failedConnections", failed)
          .put("answerP50Ms", p50Ms)
          .put("answerP99Ms", p99Ms)
          .put("answerMaxMs", maxMs)
          .put("slowClientsCut", slowCut)
          .put("idleConnectionsCut", idleCut);
    }
  }

  private final int readers;
  private final int slowClients;
  private final int idleClients;
  private final ExecutorService pool;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private volatile int port = -1;
  private volatile boolean running;
  private final AtomicLong served = new AtomicLong();
  private final AtomicLong shed = new AtomicLong();
  private final AtomicLong redisFailed = new AtomicLong();
  private final AtomicLong unexpected = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong slowCut = new AtomicLong();
  private final AtomicLong idleCut = new AtomicLong();
  private final ConcurrentLinkedQueue<Long> answerMs = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> unexpectedSeen = new ConcurrentLinkedQueue<>();
  private final List<Future<?>> tasks = new ArrayList<>();

  HostileLoad(int readers, int slowClients, int idleClients) {
    this.readers = readers;
    this.slowClients = slowClients;
    this.idleClients = idleClients;
    this.pool = Executors.newFixedThreadPool(readers + slowClients + idleClients);
  }

  void target(int httpPort) {
    port = httpPort;
  }

  /** Pages answered 200 so far. */
  long served() {
    return served.get();
  }

  void start() {
    running = true;
    for (int i = 0; i < readers; i++) {
      tasks.add(pool.submit(this::read));
    }
    for (int i = 0; i < slowClients; i++) {
      tasks.add(pool.submit(() -> hold(true)));
    }
    for (int i = 0; i < idleClients; i++) {
      tasks.add(pool.submit(() -> hold(false)));
    }
  }

  Figures stop() throws Exception {
    running = false;
    for (Future<?> t : tasks) {
      t.get(60, TimeUnit.SECONDS);
    }
    List<Long> sorted = answerMs.stream().sorted().toList();
    long p50 = sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2);
    long p99 =
        sorted.isEmpty() ? -1 : sorted.get((int) Math.max(0, Math.ceil(sorted.size() * 0.99) - 1));
    long max = sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1);
    return new Figures(
        served.get(),
        shed.get(),
        redisFailed.get(),
        unexpected.get(),
        failed.get(),
        p50,
        p99,
        max,
        slowCut.get(),
        idleCut.get(),
        String.join(" | ", unexpectedSeen.stream().limit(5).toList()));
  }

  private void read() {
    while (running) {
      long sent = System.nanoTime();
      try {
        HttpResponse<byte[]> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/errors?limit=10000"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        answerMs.add((System.nanoTime() - sent) / 1_000_000);
        if (r.statusCode() == 200) {
          served.incrementAndGet();
        } else if (r.statusCode() == 503 && r.headers().firstValue("retry-after").isPresent()) {
          boolean busy = new String(r.body(), StandardCharsets.UTF_8).contains("\"busy: ");
          (busy ? shed : redisFailed).incrementAndGet();
        } else {
          unexpected.incrementAndGet();
          unexpectedSeen.add(
              r.statusCode()
                  + " "
                  + new String(
                      r.body(), 0, Math.min(200, r.body().length), StandardCharsets.UTF_8));
        }
      } catch (ConnectException e) {
        failed.incrementAndGet(); // the target was killed: do not spin until the next one is named
        pauseBriefly();
      } catch (IOException e) {
        failed.incrementAndGet(); // the target was killed under the request
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * One connection after another: trickling headers ({@code slow}) or silent; counts those the node
   * closed.
   */
  private void hold(boolean slow) {
    while (running) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        s.setSoTimeout(100);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        if (slow) {
          out.write(
              "GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
        }
        boolean cut = false;
        while (running && !cut) {
          if (slow) {
            try {
              out.write('a');
              out.flush();
            } catch (IOException e) {
              cut = true;
              break;
            }
          }
          try {
            cut = in.read() < 0;
          } catch (SocketTimeoutException e) {
            // still open
          } catch (IOException e) {
            cut = true;
          }
        }
        if (cut) {
          (slow ? slowCut : idleCut).incrementAndGet();
        }
      } catch (ConnectException e) {
        failed.incrementAndGet();
        pauseBriefly();
      } catch (IOException e) {
        failed.incrementAndGet();
      }
    }
  }

  private static void pauseBriefly() {
    try {
      Thread.sleep(50); // a refused connect (the target was just killed): do not spin on it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    pool.shutdownNow();
  }
}
