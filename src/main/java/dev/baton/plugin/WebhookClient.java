package dev.baton.plugin;

import dev.baton.config.PluginSettings.HttpPlugin;
import io.netty.handler.codec.DecoderException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;

/**
 * What the two http plug-ins share: one Vert.x HTTP/1.1 client for one URL, with a pool of at most
 * {@code connections} keep-alive connections and no pipelining (so a reset ends exactly one call),
 * every call carrying the Standard Webhooks headers (signed when a secret is set). A call ends for
 * real when its {@code timeoutMs} is up or it is {@link #cancel}led: the request is reset, which on
 * HTTP/1.1 closes its connection. Its future completes once, on the Vert.x context that made it;
 * whatever the server sends after that is ignored. Transport failures come back as {@link
 * AttemptFailure}s of their class; an answer of any status is the caller's to judge.
 */
final class WebhookClient {
  /** Longest answer body read; a longer one fails the call as a bad answer. */
  static final int MAX_ANSWER_BYTES = 1024 * 1024;

  /** How much of an answer's body a failure's reason quotes. */
  static final int REASON_BODY_CHARS = 200;

  /**
   * Idle keep-alive connections are closed after this, below the 5 s of common servers (Node's
   * default), so the client closes first and never sends on a connection the server is closing.
   */
  private static final int KEEP_ALIVE_SECONDS = 4;

  /** An answer of any status, with its whole (bounded) body. */
  record Answer(int status, String statusMessage, String contentType, Buffer body) {
    boolean isSuccess() {
      return status >= 200 && status < 300;
    }

    boolean isEmpty() {
      return body.toString(StandardCharsets.UTF_8).isBlank();
    }

    /** The body's first {@link #REASON_BODY_CHARS} characters on one line, for reasons. */
    String bodyStart() {
      String text = body.toString(StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
      return text.length() > REASON_BODY_CHARS ? text.substring(0, REASON_BODY_CHARS) + "…" : text;
    }

    /** What a status the plug-in does not accept fails the attempt with. */
    AttemptFailure statusFailure() {
      return new AttemptFailure(
          FailureClass.HTTP_STATUS,
          "HTTP "
              + status
              + (statusMessage == null || statusMessage.isEmpty() ? "" : " " + statusMessage)
              + (isEmpty() ? " (empty body)" : ": " + bodyStart()));
    }

    AttemptFailure badAnswer(String why) {
      return new AttemptFailure(
          FailureClass.BAD_ANSWER, why + (isEmpty() ? " (empty body)" : ": " + bodyStart()));
    }
  }

  private final String url;
  private final Webhooks signer;
  private final int connections;
  private final long timeoutMs;
  private final RequestOptions target;
  private final Map<Object, Call> calls = new ConcurrentHashMap<>();
  private volatile Vertx vertx;
  private volatile HttpClientAgent client;

  WebhookClient(HttpPlugin http, int connections, long timeoutMs) {
    if (connections < 1 || timeoutMs < 1) {
      throw new IllegalArgumentException("connections and timeoutMs must be positive");
    }
    this.url = http.url();
    this.signer = http.secret() == null ? null : new Webhooks(http.secret());
    this.connections = connections;
    this.timeoutMs = timeoutMs;
    this.target =
        new RequestOptions()
            .setAbsoluteURI(url)
            .setFollowRedirects(false)
            .setConnectTimeout(timeoutMs)
            .putHeader(HttpHeaders.USER_AGENT, "baton");
  }

  String url() {
    return url;
  }

  boolean signed() {
    return signer != null;
  }

  void start(Vertx vertx) {
    this.vertx = vertx;
    this.client =
        vertx
            .httpClientBuilder()
            .with(
                new HttpClientOptions()
                    .setProtocolVersion(HttpVersion.HTTP_1_1)
                    .setKeepAlive(true)
                    .setKeepAliveTimeout(KEEP_ALIVE_SECONDS)
                    .setPipelining(false)
                    .setName("baton-webhook"))
            .with(new PoolOptions().setHttp1MaxSize(connections))
            .build();
  }

  /**
   * One call: {@code method} to the URL with {@code body} (null: none), {@code webhookId} as its
   * {@code webhook-id}. {@code key} names the call for {@link #cancel}; keys of calls in flight are
   * distinct.
   */
  Future<Answer> call(Object key, String webhookId, HttpMethod method, Buffer body) {
    HttpClientAgent agent = client;
    if (agent == null) {
      return Future.failedFuture(new IllegalStateException("the HTTP client is not started"));
    }
    RequestOptions options = new RequestOptions(target).setMethod(method);
    long timestamp = Webhooks.nowSeconds();
    options.putHeader(Webhooks.ID, webhookId);
    options.putHeader(Webhooks.TIMESTAMP, Long.toString(timestamp));
    if (signer != null) {
      byte[] bytes = body == null ? new byte[0] : body.getBytes();
      options.putHeader(Webhooks.SIGNATURE, signer.sign(webhookId, timestamp, bytes));
    }
    if (body != null) {
      options.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    }
    Context context = vertx.getOrCreateContext();
    Call call = new Call(key, context);
    calls.put(key, call);
    if (Vertx.currentContext() == context) {
      call.begin(agent, options, body);
    } else {
      context.runOnContext(v -> call.begin(agent, options, body));
    }
    return call.promise.future();
  }

  /** Ends the call {@code key} if it is still in flight: its request is reset. */
  void cancel(Object key) {
    Call call = calls.get(key);
    if (call != null) {
      call.context.runOnContext(
          v ->
              call.fail(
                  new AttemptFailure(
                      FailureClass.TIMEOUT, "cancelled: time is up (request reset)")));
    }
  }

  Future<Void> stop() {
    HttpClientAgent agent = client;
    client = null;
    return agent == null ? Future.succeededFuture() : agent.close();
  }

  /** The failure class of what the client failed a call with; other failures pass as they are. */
  static Throwable classify(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof AttemptFailure) {
        return t;
      }
      if (t instanceof UnknownHostException) {
        return new AttemptFailure(FailureClass.UNREACHABLE, "unknown host: " + t.getMessage());
      }
      if (t instanceof SSLException) {
        return new AttemptFailure(FailureClass.UNREACHABLE, "TLS: " + t.getMessage());
      }
      if (t instanceof ConnectException) {
        return new AttemptFailure(FailureClass.UNREACHABLE, "cannot connect: " + t.getMessage());
      }
    }
    if (e instanceof DecoderException || e instanceof IllegalArgumentException) {
      // what Netty's HTTP decoder fails with on bytes that are not an HTTP answer
      return new AttemptFailure(FailureClass.BAD_ANSWER, "not an HTTP answer: " + e.getMessage());
    }
    if (e instanceof HttpClosedException
        || e instanceof StreamResetException
        || e instanceof IOException) {
      return new AttemptFailure(FailureClass.UNREACHABLE, "connection lost: " + e.getMessage());
    }
    return e;
  }

  /** One call; every method runs on its context. */
  private final class Call {
    final Object key;
    final Context context;
    final Promise<Answer> promise = Promise.promise();
    HttpClientRequest request;
    long timer = -1;
    boolean done;

    Call(Object key, Context context) {
      this.key = key;
      this.context = context;
    }

    void begin(HttpClientAgent agent, RequestOptions options, Buffer body) {
      if (done) {
        return; // cancelled before it began
      }
      timer =
          vertx.setTimer(
              timeoutMs,
              t ->
                  fail(
                      new AttemptFailure(
                          FailureClass.TIMEOUT,
                          "no answer within " + timeoutMs + " ms (request reset)")));
      agent
          .request(options)
          .compose(
              req -> {
                if (done) {
                  req.reset(); // the time was up before a connection was free: never send it
                  return Future.failedFuture(new IllegalStateException("ended"));
                }
                request = req;
                return body == null ? req.send() : req.send(body);
              })
          .onSuccess(this::read)
          .onFailure(e -> fail(classify(e)));
    }

    void read(HttpClientResponse response) {
      if (done) {
        return;
      }
      // first, so the reset a failure below causes is handled here rather than logged as unhandled
      response.exceptionHandler(e -> fail(classify(e)));
      String length = response.getHeader(HttpHeaders.CONTENT_LENGTH);
      if (length != null && tooBig(length)) {
        fail(tooBigFailure());
        return;
      }
      Buffer received = Buffer.buffer();
      response.handler(
          chunk -> {
            if (done) {
              return;
            }
            if (received.length() + chunk.length() > MAX_ANSWER_BYTES) {
              fail(tooBigFailure());
              return;
            }
            received.appendBuffer(chunk);
          });
      response.endHandler(
          v ->
              succeed(
                  new Answer(
                      response.statusCode(),
                      response.statusMessage(),
                      response.getHeader(HttpHeaders.CONTENT_TYPE),
                      received)));
    }

    private boolean tooBig(String length) {
      try {
        return Long.parseLong(length.strip()) > MAX_ANSWER_BYTES;
      } catch (NumberFormatException e) {
        return false; // Netty refuses a malformed length itself
      }
    }

    private AttemptFailure tooBigFailure() {
      return new AttemptFailure(
          FailureClass.BAD_ANSWER, "answer body over " + MAX_ANSWER_BYTES + " bytes");
    }

    void succeed(Answer answer) {
      if (end()) {
        promise.complete(answer);
      }
    }

    void fail(Throwable failure) {
      if (end()) {
        if (request != null) {
          request.reset(); // HTTP/1.1: closes this request's connection, the server sees it go
        }
        promise.fail(failure);
      }
    }

    /** Whether this ends the call (true once only). */
    private boolean end() {
      if (done) {
        return false;
      }
      done = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      calls.remove(key, this);
      return true;
    }
  }
}
