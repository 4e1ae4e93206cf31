package dev.baton.bench;

import dev.baton.cluster.ViewScript;
import dev.baton.election.AcquireScript;
import dev.baton.election.PresenceScript;
import dev.baton.election.ReleaseScript;
import dev.baton.election.RenewScript;
import dev.baton.generator.PublishScript;
import dev.baton.handler.ClaimScript;
import dev.baton.handler.CommitScript;
import dev.baton.handler.ReapScript;
import dev.baton.handler.ReclaimScript;
import dev.baton.heartbeat.HeartbeatScript;
import dev.baton.redis.Script;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts what Redis runs during a window ({@code MONITOR}), by kind: each Baton script is known by
 * its SHA, so coordination (heartbeat, election, reclaim scans) can be told from message traffic.
 * The benchmark and the tests share it; {@link #record} also keeps the raw lines.
 */
public final class Monitor implements AutoCloseable {
  private final Map<String, String> kindBySha = new LinkedHashMap<>();
  private final Map<String, Long> counts = new LinkedHashMap<>();
  private final Map<String, Long> byFirstArg = new LinkedHashMap<>();
  private final List<String> lines;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;
  private final Socket socket;

  Monitor(String host, int port) throws IOException {
    this(host, port, false);
  }

  private Monitor(String host, int port, boolean keepLines) throws IOException {
    lines = keepLines ? new ArrayList<>() : null;
    name(HeartbeatScript.SCRIPT, HeartbeatScript.KIND);
    name(AcquireScript.SCRIPT, AcquireScript.KIND);
    name(RenewScript.SCRIPT, RenewScript.KIND);
    name(ReleaseScript.SCRIPT, ReleaseScript.KIND);
    name(ReclaimScript.SCRIPT, ReclaimScript.KIND);
    name(ReapScript.SCRIPT, ReapScript.KIND);
    name(PublishScript.SCRIPT, PublishScript.KIND);
    name(CommitScript.SCRIPT, CommitScript.KIND);
    name(ViewScript.SCRIPT, ViewScript.KIND);
    name(ClaimScript.SCRIPT, ClaimScript.KIND);
    name(PresenceScript.SCRIPT, PresenceScript.KIND);
    socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), 2_000);
    socket.setSoTimeout(200);
    OutputStream out = socket.getOutputStream();
    out.write("*1\r\n$7\r\nMONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    thread =
        new Thread(
            () -> {
              while (running.get()) {
                try {
                  String line = in.readLine();
                  if (line == null) {
                    return;
                  }
                  count(line);
                } catch (SocketTimeoutException idle) {
                  // nothing ran in this slice
                } catch (IOException e) {
                  return;
                }
              }
            },
            "bench-monitor");
    thread.setDaemon(true);
    thread.start();
  }

  private void name(Script s, String kind) {
    kindBySha.put(s.sha1(), kind);
  }

  private synchronized void count(String line) {
    if (lines != null && !line.equals("+OK")) {
      lines.add(line);
    }
    int q = line.indexOf("] \"");
    if (q < 0) {
      return;
    }
    int end = line.indexOf('"', q + 3);
    String command = line.substring(q + 3, end).toUpperCase();
    String kind = command.toLowerCase();
    if (command.equals("EVALSHA") || command.equals("EVAL")) {
      int s = line.indexOf('"', end + 1);
      int e = line.indexOf('"', s + 1);
      kind = kindBySha.getOrDefault(line.substring(s + 1, e), "other script");
      String arg = firstScriptArg(line, e);
      if (arg != null) {
        byFirstArg.merge(kind + "@" + arg, 1L, Long::sum);
      }
    }
    counts.merge(kind, 1L, Long::sum);
  }

  /** ARGV[1] of a script call (the node id, for the election and heartbeat scripts), or null. */
  private static String firstScriptArg(String line, int shaEnd) {
    List<String> quoted = new ArrayList<>();
    int i = shaEnd + 1;
    while (quoted.size() < 64) {
      int s = line.indexOf('"', i);
      if (s < 0) {
        break;
      }
      int e = line.indexOf('"', s + 1);
      if (e < 0) {
        break;
      }
      quoted.add(line.substring(s + 1, e));
      i = e + 1;
    }
    try {
      int keys = Integer.parseInt(quoted.get(0));
      return quoted.size() > keys + 1 ? quoted.get(keys + 1) : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Script calls so far by kind and first argument, as {@code kind@arg}. */
  synchronized Map<String, Long> countsByFirstArg() {
    return new LinkedHashMap<>(byFirstArg);
  }

  /** Commands seen so far by kind. */
  synchronized Map<String, Long> counts() {
    return new LinkedHashMap<>(counts);
  }

  /**
   * The MONITOR lines of every command Redis runs during {@code millis} (the wait is the
   * measurement window itself).
   */
  public static List<String> record(int port, long millis) {
    try (Monitor m = new Monitor("127.0.0.1", port, true)) {
      Thread.sleep(millis);
      synchronized (m) {
        return new ArrayList<>(m.lines);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    running.set(false);
    try {
      socket.close();
      thread.join(2_000);
    } catch (IOException e) {
      // closing anyway
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
