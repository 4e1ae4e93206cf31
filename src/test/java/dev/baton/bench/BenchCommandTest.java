package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

class BenchCommandTest {
  private static BenchCommand parse(String... args) {
    CommandLine main = Main.commandLine();
    String[] all = new String[args.length + 1];
    all[0] = "bench";
    System.arraycopy(args, 0, all, 1, args.length);
    main.parseArgs(all);
    return main.getSubcommands().get("bench").getCommand();
  }

  @Test
  void pluginFormsDefaultToAllAndAcceptAListInAnyCase() {
    assertThat(parse("--plugins").pluginForms).containsExactlyInAnyOrder(PluginsRun.Form.values());
    assertThat(parse("--plugins", "--plugin-forms", "http,Cadence").pluginForms)
        .containsExactlyInAnyOrder(PluginsRun.Form.HTTP, PluginsRun.Form.CADENCE);
  }

  @Test
  void anUnknownPluginFormIsRefusedByName() {
    assertThatThrownBy(() -> parse("--plugins", "--plugin-forms", "http,grpc"))
        .isInstanceOf(ParameterException.class)
        .hasMessageContaining("grpc");
  }
}
