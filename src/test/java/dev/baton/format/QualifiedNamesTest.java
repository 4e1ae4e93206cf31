package dev.baton.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Part of the enforced format (with Spotless, which checks google-java-format's layout and import
 * order in {@code mvn verify}): code names types by their simple name and imports them, instead of
 * writing {@code java.util.concurrent.atomic.AtomicLong} inline. A qualified name is allowed only
 * where the simple name is taken by another import (two {@code Level}s), in comments and in
 * strings.
 */
class QualifiedNamesTest {
  private static final Pattern QUALIFIED =
      Pattern.compile(
          "(?<![\\w.@\"])((?:java|javax|io|org|com|dev|picocli|ch)(?:\\.[a-z_]\\w*)+)\\.([A-Z]\\w*)");
  private static final Pattern IMPORT =
      Pattern.compile("^import (?:static )?([\\w.]+);", Pattern.MULTILINE);
  private static final Pattern STRING = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"");

  @Test
  void noTypeIsNamedInlineByItsQualifiedName() throws IOException {
    List<String> found = new ArrayList<>();
    for (Path root : List.of(Path.of("src/main/java"), Path.of("src/test/java"))) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          found.addAll(inline(f));
        }
      }
    }
    assertThat(found).as("inline qualified names (import them)").isEmpty();
  }

  static List<String> inline(Path file) throws IOException {
    String source = Files.readString(file);
    Map<String, String> imported = new HashMap<>();
    Matcher im = IMPORT.matcher(source);
    while (im.find()) {
      String fq = im.group(1);
      imported.put(fq.substring(fq.lastIndexOf('.') + 1), fq);
    }
    List<String> out = new ArrayList<>();
    boolean inComment = false;
    String[] lines = source.split("\n", -1);
    for (int n = 0; n < lines.length; n++) {
      String line = lines[n].strip();
      if (inComment) {
        inComment = !line.contains("*/");
        continue;
      }
      if (line.startsWith("/*")) {
        inComment = !line.contains("*/");
        continue;
      }
      if (line.startsWith("//")
          || line.startsWith("*")
          || line.startsWith("import ")
          || line.startsWith("package ")) {
        continue;
      }
      String code = STRING.matcher(lines[n]).replaceAll("\"\"");
      int comment = code.indexOf("//");
      if (comment >= 0) {
        code = code.substring(0, comment);
      }
      Matcher m = QUALIFIED.matcher(code);
      while (m.find()) {
        String fq = m.group(1) + "." + m.group(2);
        String taken = imported.get(m.group(2));
        if (taken == null || taken.equals(fq)) {
          out.add(file + ":" + (n + 1) + ": " + fq);
        }
      }
    }
    return out;
  }
}
