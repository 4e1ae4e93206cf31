package dev.baton.support;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy in front of Redis that a test controls, to cut one node off while it keeps running.
 * {@link #freeze()} stops moving bytes both ways on every connection (a partition: sockets stay
 * open, packets stop); {@link #heal()} lets them flow again. {@link #cut()} closes every connection
 * and refuses new ones (the node sees Redis vanish).
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final NetServer server;
  private final NetClient client;
  private final int targetPort;
  private final List<Pair> pairs = new ArrayList<>();
  private volatile boolean frozen;
  private volatile boolean cut;

  private record Pair(NetSocket front, NetSocket[] back) {}

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
    run(() -> {
      frozen = true;
      for (Pair p : pairs) {
        p.front().pause();
        if (p.back()[0] != null) {
          p.back()[0].pause();
        }
      }
    });
  }

  public void heal() {
    run(() -> {
      frozen = false;
      cut = false;
      for (Pair p : pairs) {
        p.front().resume();
        if (p.back()[0] != null) {
          p.back()[0].resume();
        } else {
          connectBack(p);
        }
      }
    });
  }

  public void cut() {
    run(() -> {
      cut = true;
      for (Pair p : new ArrayList<>(pairs)) {
        p.front().close();
        if (p.back()[0] != null) {
          p.back()[0].close();
        }
      }
      pairs.clear();
    });
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
    run(() -> acceptLocked(front));
  }

  private void acceptLocked(NetSocket front) {
    if (cut) {
      front.close();
      return;
    }
    front.pause();
    Pair p = new Pair(front, new NetSocket[1]);
    pairs.add(p);
    front.closeHandler(v -> run(() -> {
      pairs.remove(p);
      if (p.back()[0] != null) {
        p.back()[0].close();
      }
    }));
    if (!frozen) {
      connectBack(p);
    }
  }

  private void connectBack(Pair p) {
    client.connect(targetPort, "127.0.0.1").onSuccess(back -> run(() -> {
      p.back()[0] = back;
      back.handler(buf -> p.front().write(buf));
      p.front().handler(buf -> back.write(buf));
      back.closeHandler(v -> p.front().close());
      if (!frozen) {
        p.front().resume();
      } else {
        back.pause();
      }
    })).onFailure(e -> p.front().close());
  }

  private void run(Runnable action) {
    synchronized (pairs) {
      action.run();
    }
  }
}
