package dev.baton.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Records every command Redis runs for a while ({@code MONITOR}), to count what nodes send. */
public final class Monitor {
  private Monitor() {}

  /** The MONITOR lines seen during {@code millis} (the wait is the measurement window itself). */
  public static List<String> record(int port, long millis) {
    List<String> lines = new ArrayList<>();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      s.setSoTimeout(100);
      OutputStream out = s.getOutputStream();
      out.write("*1\r\n$7\r\nMONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      long end = System.nanoTime() + millis * 1_000_000;
      while (System.nanoTime() < end) {
        try {
          String line = in.readLine();
          if (line == null) {
            break;
          }
          if (!line.equals("+OK")) {
            lines.add(line);
          }
        } catch (SocketTimeoutException idle) {
          // nothing ran during this slice
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return lines;
  }
}
