package dev.baton.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A Lua script shipped under resources/lua, with the SHA1 EVALSHA calls it by. Each script is
 * loaded once, by the class that types it ({@code <Name>Script}: its keys, arguments and reply).
 */
public record Script(String name, String source, String sha1) {

  /** Shared pieces every script starts with: the server clock and the guards. */
  private static final List<String> PRELUDE = List.of("time", "guard");

  /**
   * The script {@code lua/<name>.lua}, after the prelude and the shared pieces {@code
   * lua/lib/<lib>.lua} it uses (local functions, so each script stays one self-contained source for
   * EVAL).
   */
  public static Script load(String name, String... libs) {
    StringBuilder source = new StringBuilder();
    List<String> pieces = new ArrayList<>(PRELUDE);
    pieces.addAll(List.of(libs));
    for (String lib : pieces) {
      source.append(read("/lua/lib/" + lib + ".lua")).append('\n');
    }
    source.append(read("/lua/" + name + ".lua"));
    return new Script(name, source.toString(), sha1(source.toString()));
  }

  /** A boolean as the scripts take it: {@code "1"} or {@code "0"}. */
  public static String flag(boolean on) {
    return on ? "1" : "0";
  }

  private static String read(String path) {
    try (InputStream in = Script.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing script " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read script " + path, e);
    }
  }

  private static String sha1(String source) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(md.digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
