package dev.baton.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy in front of Redis that a test controls, to cut one node off while it keeps running.
 * {@link #freeze()} stops moving bytes both ways on every connection (a partition: sockets stay
 * open, packets stop; what was in flight is held and delivered on {@link #heal()}). {@link #cut()}
 * closes every connection and refuses new ones (the node sees Redis vanish); once it returns, not
 * one more byte passes.
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final NetServer server;
  private final NetClient client;
  private final int targetPort;
  private final List<Pair> pairs = new ArrayList<>();
  private boolean frozen;
  private boolean cut;

  /** A client connection, its Redis connection once made, and bytes held while frozen. */
  private static final class Pair {
    final NetSocket front;
    NetSocket back;
    final List<Buffer> heldToBack = new ArrayList<>();
    final List<Buffer> heldToFront = new ArrayList<>();

    Pair(NetSocket front) {
      this.front = front;
    }
  }

  public TcpProxy(int targetPort) {
    this.targetPort = targetPort;
    this.client = vertx.createNetClient();
    this.server = vertx.createNetServer().connectHandler(this::accept);
    try {
      server.listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public int port() {
    return server.actualPort();
  }

  public String url() {
    return "redis://127.0.0.1:" + port();
  }

  public void freeze() {
    synchronized (pairs) {
      frozen = true;
      for (Pair p : pairs) {
        p.front.pause();
        if (p.back != null) {
          p.back.pause();
        }
      }
    }
  }

  public void heal() {
    synchronized (pairs) {
      frozen = false;
      cut = false;
      for (Pair p : pairs) {
        if (p.back == null) {
          connectBack(p);
          continue;
        }
        p.heldToBack.forEach(p.back::write);
        p.heldToFront.forEach(p.front::write);
        p.heldToBack.clear();
        p.heldToFront.clear();
        p.front.resume();
        p.back.resume();
      }
    }
  }

  public void cut() {
    List<Future<Void>> closing = new ArrayList<>();
    synchronized (pairs) {
      cut = true;
      for (Pair p : pairs) {
        closing.add(p.front.close());
        if (p.back != null) {
          closing.add(p.back.close());
        }
      }
      pairs.clear();
    }
    try {
      Future.join(closing).await(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closed or already gone
    }
  }

  @Override
  public void close() {
    try {
      vertx.close().await(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort
    }
  }

  private void accept(NetSocket front) {
    synchronized (pairs) {
      if (cut) {
        front.close();
        return;
      }
      front.pause();
      Pair p = new Pair(front);
      pairs.add(p);
      front.closeHandler(
          v -> {
            synchronized (pairs) {
              pairs.remove(p);
              if (p.back != null) {
                p.back.close();
              }
            }
          });
      if (!frozen) {
        connectBack(p);
      }
    }
  }

  private void connectBack(Pair p) {
    client
        .connect(targetPort, "127.0.0.1")
        .onSuccess(
            back -> {
              synchronized (pairs) {
                if (cut || !pairs.contains(p)) {
                  back.close();
                  return;
                }
                p.back = back;
                back.handler(buf -> forward(buf, p.front, p.heldToFront));
                p.front.handler(buf -> forward(buf, back, p.heldToBack));
                back.closeHandler(v -> p.front.close());
                if (frozen) {
                  back.pause();
                } else {
                  p.front.resume();
                }
              }
            })
        .onFailure(e -> p.front.close());
  }

  /** Bytes already read when a freeze or cut began: held for the heal, or dropped after a cut. */
  private void forward(Buffer buf, NetSocket to, List<Buffer> held) {
    synchronized (pairs) {
      if (cut) {
        return;
      }
      if (frozen) {
        held.add(buf);
        return;
      }
      to.write(buf);
    }
  }
}
