package dev.baton.tool;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code -conf FILE} option, one definition for the node and every tool that reads the
 * configuration ({@code @Mixin ConfOption conf;}); null when not given: the defaults and {@code
 * BATON_*} variables only.
 */
public final class ConfOption {
  @Option(
      names = {"-conf", "--conf"},
      paramLabel = "FILE",
      description = "JSON configuration (see conf/node.json)")
  private Path file;

  /** The file given, or null. */
  public Path file() {
    return file;
  }
}
