package dev.baton.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Debian Chromium driven through the system chromedriver (Selenium 4). Both paths are set
 * explicitly, so Selenium Manager never runs and nothing is downloaded. Where the browser is
 * missing the test is skipped with the command that installs it, unless {@code
 * REQUIRE_BROWSER_TESTS=1} (set by {@code .ci/run}, which installs both packages): then it fails.
 * Other paths: {@code -Dbaton.chromium=... -Dbaton.chromedriver=...}.
 */
public final class Browser implements AutoCloseable {
  public static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final String CHROMIUM = System.getProperty("baton.chromium", "/usr/bin/chromium");
  private static final String CHROMEDRIVER =
      System.getProperty("baton.chromedriver", "/usr/bin/chromedriver");

  private final ChromeDriverService service;
  private final ChromeDriver driver;
  private final Path profile;

  private Browser(int width, int height) throws IOException {
    requireInstalled();
    profile = Files.createTempDirectory("baton-chromium-");
    Files.createDirectories(SCREENSHOTS);
    service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER))
            .usingAnyFreePort()
            .withLogFile(SCREENSHOTS.resolve("chromedriver.log").toFile())
            .build();
    ChromeOptions options =
        new ChromeOptions()
            .setBinary(CHROMIUM)
            .addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--lang=en-US",
                "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height);
    try {
      driver = new ChromeDriver(service, options);
      resizeViewport(width, height);
    } catch (RuntimeException e) {
      service.stop();
      deleteProfile();
      throw e;
    }
  }

  /**
   * Starts a browser whose viewport (the page's visible area) is {@code width} × {@code height}.
   */
  public static Browser open(int width, int height) {
    try {
      return new Browser(width, height);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void requireInstalled() {
    for (String binary : new String[] {CHROMIUM, CHROMEDRIVER}) {
      if (!Files.isExecutable(Path.of(binary))) {
        String why =
            "The browser tests need Chromium and ChromeDriver, and "
                + binary
                + " is missing. On Debian/Ubuntu: apt-get install -y chromium chromium-driver (bash .ci/run does this);"
                + " elsewhere pass -Dbaton.chromium=PATH -Dbaton.chromedriver=PATH.";
        if ("1".equals(System.getenv("REQUIRE_BROWSER_TESTS"))) {
          throw new AssertionError(why);
        }
        Assumptions.abort(why);
      }
    }
  }

  public WebDriver driver() {
    return driver;
  }

  /**
   * Resizes the window so that the page sees a viewport of exactly {@code width} × {@code height}.
   */
  public void resizeViewport(int width, int height) {
    driver.manage().window().setSize(new Dimension(width, height));
    @SuppressWarnings("unchecked")
    List<Number> inner =
        (List<Number>) driver.executeScript("return [window.innerWidth, window.innerHeight];");
    int extraWidth = width - inner.get(0).intValue();
    int extraHeight = height - inner.get(1).intValue();
    if (extraWidth != 0 || extraHeight != 0) {
      driver.manage().window().setSize(new Dimension(width + extraWidth, height + extraHeight));
    }
  }

  /** The viewport's width and height as the page sees them. */
  public List<Long> viewport() {
    @SuppressWarnings("unchecked")
    List<Long> inner =
        (List<Long>) driver.executeScript("return [window.innerWidth, window.innerHeight];");
    return inner;
  }

  /**
   * Waits (polling, at most {@code bound}) until {@code condition} yields a non-null, non-false
   * value.
   */
  public <T> T until(String what, Duration bound, Function<WebDriver, T> condition) {
    // the page redraws twice a second, so an element found a moment ago may be gone: look again
    return new WebDriverWait(driver, bound, Duration.ofMillis(100))
        .withMessage(what)
        .ignoring(StaleElementReferenceException.class)
        .until(condition);
  }

  /** Saves the viewport as {@code target/screenshots/<name>.png}. */
  public Path screenshot(String name) {
    Path to = SCREENSHOTS.resolve(name + ".png");
    try {
      Files.write(to, driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return to;
  }

  public Object script(String js, Object... args) {
    return driver.executeScript(js, args);
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
      deleteProfile();
    }
  }

  private void deleteProfile() {
    try (Stream<Path> files = Files.walk(profile)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory left behind is harmless
    }
  }
}
