package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortTest {
  @Test
  void portsAreDistinctBindableAndBelowTheEphemeralRange() throws Exception {
    int low = FreePort.ephemeralLow();
    assumeThat(low).as("a Linux ephemeral range well above 10000").isGreaterThan(11_000);
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = FreePort.pick();
      assertThat(port).isBetween(10_000, low - 1);
      assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
    }
    for (int port : seen.stream().limit(5).toList()) {
      try (ServerSocket s = new ServerSocket(port)) {
        assertThat(s.getLocalPort()).isEqualTo(port);
      }
    }
  }

  @Test
  void aPortBoundByAnotherIsNotHandedOut() throws Exception {
    int low = FreePort.ephemeralLow();
    assumeThat(low).as("a Linux ephemeral range well above 10000").isGreaterThan(11_000);
    // 300 ports of the range held by others: 500 draws without the check would meet about 7
    List<ServerSocket> others = new ArrayList<>();
    Set<Integer> held = new HashSet<>();
    Random random = new Random();
    try {
      while (others.size() < 300) {
        int port = 10_000 + random.nextInt(low - 10_000);
        try {
          others.add(new ServerSocket(port));
          held.add(port);
        } catch (IOException taken) {
          // already bound: draw another
        }
      }
      for (int i = 0; i < 500; i++) {
        assertThat(held).doesNotContain(FreePort.pick());
      }
    } finally {
      for (ServerSocket s : others) {
        s.close();
      }
    }
  }
}
