package dev.baton.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A TCP port for a child process (a node, a Redis server, a webhook) to bind a moment later.
 *
 * <p>{@code new ServerSocket(0)} hands out a port of the kernel's ephemeral range and frees it at
 * once; until the child binds it (a JVM takes a second or two to start), every outgoing connection
 * on the machine draws its local port from that same range, and one may take it: the child then
 * cannot listen. With dozens of Redis connections opened while nodes start, that happened about
 * once per integration run (a node of {@code ProductionIT} never answered). So the port is drawn
 * below the ephemeral range ({@code /proc/sys/net/ipv4/ip_local_port_range}), where only explicit
 * binds land, checked free, and never handed out twice by this JVM.
 */
public final class FreePort {
  private static final int LOWEST = 10_000;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePort() {}

  /** A port free now, not in the ephemeral range where the machine can find it. */
  public static int pick() throws IOException {
    int below = ephemeralLow();
    if (below - LOWEST < 1_000) {
      return anyFree(); // an unusual range: fall back to the kernel's choice
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int tries = 0; tries < 1_000; tries++) {
      int port = LOWEST + random.nextInt(below - LOWEST);
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(port)) {
        return s.getLocalPort();
      } catch (IOException taken) {
        // bound by someone else: draw again
      }
    }
    return anyFree();
  }

  private static int anyFree() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The first port of the ephemeral range (Linux), or 0 when it cannot be read. */
  static int ephemeralLow() {
    // read line by line: a /proc file reports size 0, and Files.readString returned "3" of it
    try (BufferedReader in =
        Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      String range = in.readLine();
      return range == null ? 0 : Integer.parseInt(range.trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
