package dev.baton.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.support.Browser;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The page's own behaviour against a scripted server: the real page files from the jar's webroot,
 * one fixed snapshot on /events, and a POST /errors/drain that wants {@code Bearer s3cret} (the
 * contract of the optional {@code http.token}, which this page must work with).
 */
@Timeout(120)
class DashboardPageIT {
  private static final String TOKEN = "s3cret";
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private Vertx vertx;
  private HttpServer server;
  private JsonObject snapshot;

  @BeforeEach
  void startServer() throws Exception {
    snapshot =
        new JsonObject()
            .put("node", new JsonObject().put("nodeId", "stub-1").put("role", "handler"))
            .put("redis", "up")
            .put("serverTimeMs", 1_800_000_000_000L)
            .put("epoch", 4)
            .put(
                "leader",
                new JsonObject().put("nodeId", "stub-2").put("epoch", 4).put("ttlMs", 900))
            .put(
                "nodes",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("nodeId", "stub-1")
                            .put("role", "handler")
                            .put("lastSeenMs", 200)
                            .put("intervalMs", 1000)
                            .put("processedPerSec", 1.5))
                    .add(
                        new JsonObject()
                            .put("nodeId", "stub-2")
                            .put("role", "generator")
                            .put("lastSeenMs", 300)
                            .put("intervalMs", 1000)
                            .put("publishedPerSec", 2.0)))
            .put("backlog", new JsonObject().put("length", 3).put("pending", 1))
            .put(
                "totals",
                new JsonObject().put("published", 10).put("processed", 7).put("errors", 1))
            .put("rates", new JsonObject().put("publishedPerSec", 2.0).put("processedPerSec", 1.5))
            .put(
                "grants",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("epoch", 4)
                            .put("node", "stub-2")
                            .put("ts", 1_799_999_990_000L))
                    .add(
                        new JsonObject()
                            .put("epoch", 3)
                            .put("node", "stub-1")
                            .put("ts", 1_799_999_980_000L)))
            .put(
                "errors",
                new JsonObject()
                    .put("count", 1)
                    .put(
                        "latest",
                        new JsonArray()
                            .add(
                                new JsonObject()
                                    .put("errorId", "1-0")
                                    .put("id", "0-1")
                                    .put("ts", 1_799_999_999_000L)
                                    .put("handler", "stub-1")
                                    .put(
                                        "text",
                                        "<img src=x onerror=\"document.title='owned'\">words"))))
            .put(
                "history",
                new JsonArray()
                    .add(new JsonArray().add(1_799_999_999_000L).add(2.0).add(1.0).add(1))
                    .add(new JsonArray().add(1_800_000_000_000L).add(2.0).add(1.5).add(3)));

    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router.get("/").handler(StaticHandler.create("webroot"));
    router.get("/assets/*").handler(StaticHandler.create("webroot/assets"));
    router
        .get("/events")
        .handler(
            ctx ->
                ctx.response()
                    .setChunked(true)
                    .putHeader("content-type", "text/event-stream")
                    .write("data: " + snapshot.encode() + "\n\n"));
    router
        .post("/errors/drain")
        .handler(
            ctx -> {
              String auth = ctx.request().getHeader("authorization");
              authorizations.add(auth == null ? "(none)" : auth);
              if (("Bearer " + TOKEN).equals(auth)) {
                ctx.response()
                    .putHeader("content-type", "application/json")
                    .end("{\"drained\":[{},{}],\"count\":2,\"heldByOtherRuns\":0}");
              } else {
                ctx.response()
                    .setStatusCode(401)
                    .putHeader("content-type", "application/json")
                    .putHeader("www-authenticate", "Bearer")
                    .end("{\"error\":\"missing or wrong bearer token\",\"status\":401}");
              }
            });
    server =
        vertx
            .createHttpServer()
            .requestHandler(router)
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopServer() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/";
  }

  @Test
  void drainAsksForTheTokenOnA401AndSendsItAsABearerToken() {
    try (Browser browser = Browser.open(1280, 800)) {
      assertThat(browser.viewport()).containsExactly(1280L, 800L);
      browser.driver().get(url());
      browser.until(
          "the snapshot is shown",
          Duration.ofSeconds(20),
          d -> d.findElement(By.id("generator")).getText().equals("stub-2"));
      WebElement tokenRow = browser.driver().findElement(By.id("token-row"));
      assertThat(tokenRow.isDisplayed())
          .as("no token asked for before the node wants one")
          .isFalse();

      browser.driver().findElement(By.id("drain")).click();
      String refused =
          browser.until(
              "the 401 is explained",
              Duration.ofSeconds(20),
              d -> text(d.findElement(By.id("drain-result")), "401"));
      assertThat(refused).contains("requires a token");
      assertThat(tokenRow.isDisplayed()).isTrue();
      browser.screenshot("page-drain-401");

      WebElement token = browser.driver().findElement(By.id("drain-token"));
      token.sendKeys("wrong");
      browser.driver().findElement(By.id("drain")).click();
      String wrong =
          browser.until(
              "a wrong token is refused",
              Duration.ofSeconds(20),
              d -> text(d.findElement(By.id("drain-result")), "refused this token"));
      assertThat(wrong).startsWith("401");

      token.clear();
      token.sendKeys(TOKEN);
      browser.driver().findElement(By.id("drain")).click();
      browser.until(
          "the drain succeeds",
          Duration.ofSeconds(20),
          d -> text(d.findElement(By.id("drain-result")), "Drained 2 errors."));
      assertThat(authorizations).containsExactly("(none)", "Bearer wrong", "Bearer " + TOKEN);
    }
  }

  @Test
  void whatComesFromRedisIsShownAsTextNeverAsMarkup() {
    try (Browser browser = Browser.open(1280, 800)) {
      browser.driver().get(url());
      WebElement latest = browser.driver().findElement(By.id("latest-errors"));
      browser.until("the error is listed", Duration.ofSeconds(20), d -> text(latest, "words"));
      assertThat(latest.getText()).contains("<img src=x onerror=\"document.title='owned'\">words");
      assertThat(latest.findElements(By.tagName("img"))).isEmpty();
      assertThat(browser.driver().getTitle()).isEqualTo("Baton cluster");
      // the rest of the snapshot, as text a reader without colour can follow
      assertThat(browser.driver().findElement(By.id("grants")).getText())
          .contains("epoch 4 — stub-2")
          .contains("took over from stub-1");
      assertThat(browser.driver().findElement(By.id("backlog-now")).getText())
          .contains("3 waiting, 1 being handled");
    }
  }

  /** The element's text when it contains {@code part}, else null (keep waiting). */
  static String text(WebElement e, String part) {
    String t = e.getText();
    return t.contains(part) ? t : null;
  }
}
