package dev.baton.plugin;

import dev.baton.config.ConfigException;
import dev.baton.config.PluginSettings.JavaPlugin;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/**
 * Loads a plug-in written against the API ({@code handler.type} or {@code generator.source} {@code
 * java}) from the class path ({@code java -cp node-fat.jar:my-handler.jar dev.baton.Main}) or from
 * the jars of a directory ({@code <role>.java.path}): the class {@code <role>.java.class} names, or
 * else the single implementation {@link ServiceLoader} finds. Every refusal is a {@link
 * ConfigException} naming the setting, so the node exits 2.
 */
final class JavaPlugins {
  private JavaPlugins() {}

  /**
   * A new instance of the plug-in {@code settings} name, implementing {@code api}; {@code role} is
   * the settings' section ({@code handler} or {@code generator}).
   */
  static <T> T load(Class<T> api, JavaPlugin settings, String role) {
    ClassLoader loader = loader(settings, role);
    String where =
        settings.path().isEmpty()
            ? "on the class path"
            : "on the class path or in " + role + ".java.path '" + settings.path() + "'";
    if (settings.className().isEmpty()) {
      return fromServiceLoader(api, loader, role, where);
    }
    String setting = role + ".java.class";
    Class<?> type;
    try {
      type = Class.forName(settings.className(), true, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new ConfigException(
          setting
              + ": class '"
              + settings.className()
              + "' "
              + (e instanceof ClassNotFoundException
                  ? "not found " + where
                  : "cannot be loaded: " + e),
          e);
    }
    if (!api.isAssignableFrom(type)) {
      throw new ConfigException(
          setting + ": '" + settings.className() + "' does not implement " + api.getName());
    }
    try {
      return api.cast(type.getConstructor().newInstance());
    } catch (NoSuchMethodException e) {
      throw new ConfigException(
          setting + ": '" + settings.className() + "' has no public no-argument constructor", e);
    } catch (InvocationTargetException e) {
      throw new ConfigException(
          setting + ": '" + settings.className() + "' failed in its constructor: " + e.getCause(),
          e);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new ConfigException(
          setting + ": '" + settings.className() + "' cannot be instantiated: " + e, e);
    }
  }

  private static <T> T fromServiceLoader(
      Class<T> api, ClassLoader loader, String role, String where) {
    List<T> found = new ArrayList<>();
    try {
      ServiceLoader.load(api, loader).forEach(found::add);
    } catch (ServiceConfigurationError e) {
      throw new ConfigException(
          role
              + ".java.class: empty, and ServiceLoader failed to load a "
              + api.getName()
              + ": "
              + e.getMessage(),
          e);
    }
    if (found.size() == 1) {
      return found.get(0);
    }
    String names = String.join(", ", found.stream().map(p -> p.getClass().getName()).toList());
    throw new ConfigException(
        role
            + ".java.class: empty, and "
            + (found.isEmpty()
                ? "no implementation of "
                    + api.getName()
                    + " is registered for ServiceLoader"
                    + " (META-INF/services/"
                    + api.getName()
                    + ") "
                    + where
                : "ServiceLoader finds "
                    + found.size()
                    + " implementations ("
                    + names
                    + "): name one"));
  }

  /** Baton's own class loader, or one over the jars of {@code <role>.java.path} under it. */
  private static ClassLoader loader(JavaPlugin settings, String role) {
    ClassLoader own = JavaPlugins.class.getClassLoader();
    if (settings.path().isEmpty()) {
      return own;
    }
    List<URL> jars = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(settings.path()))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
        jars.add(p.toUri().toURL());
      }
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(
          role + ".java.path: cannot list '" + settings.path() + "': " + e.getMessage(), e);
    }
    if (jars.isEmpty()) {
      throw new ConfigException(role + ".java.path: '" + settings.path() + "' holds no .jar file");
    }
    return new URLClassLoader("baton-plugins", jars.toArray(URL[]::new), own);
  }
}
