package io.keyshard.node.migrate;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * A plain TCP connection from MIGRATE to its target, with Redis's timeouts: each of connecting,
 * writing a 64 KB chunk and waiting for the next byte of a reply line gets the whole timeout
 * (so a 100 MB value is not refused for taking longer than the timeout in total). Blocking:
 * used only on an I/O thread, never on an actor's.
 */
final class TargetConnection implements Closeable {
  /** Redis writes MIGRATE's commands in chunks of this size, each within the timeout. */
  static final int CHUNK = 64 * 1024;

  /** Redis reads a reply line into 1024 bytes; a longer line is cut there. */
  static final int MAX_LINE = 1024;

  private final SocketChannel channel;
  private final Selector selector;
  private final ByteBuffer in = ByteBuffer.allocate(16 * 1024).flip();

  /** The database last selected over this connection (-1: unknown), to skip a repeated SELECT. */
  long selectedDb = -1;

  long lastUsedAt;

  private TargetConnection(SocketChannel channel, Selector selector) {
    this.channel = channel;
    this.selector = selector;
  }

  /**
   * No address to connect to: an unknown host, or a port the resolver refuses (negative). Redis
   * answers only this with "connecting"; a refused or timed-out connection it finds out when
   * writing.
   */
  static final class NoAddress extends IOException {
    NoAddress(String message) {
      super(message, null);
    }
  }

  /**
   * Connects within {@code timeoutMs}. The port is taken as getaddrinfo takes a numeric service:
   * its low 16 bits (so 70000 is 4464, as for Redis).
   */
  static TargetConnection open(String host, int port, long timeoutMs) throws IOException {
    if (port < 0) {
      throw new NoAddress("port " + port);
    }
    InetSocketAddress address = new InetSocketAddress(host, port & 0xffff);
    if (address.isUnresolved()) {
      throw new NoAddress("unknown host " + host);
    }
    SocketChannel ch = SocketChannel.open();
    Selector sel = null;
    try {
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      sel = Selector.open();
      if (!ch.connect(address)) {
        ch.register(sel, SelectionKey.OP_CONNECT);
        if (sel.select(Math.max(1, timeoutMs)) == 0) {
          throw new SocketTimeoutException("connect to " + host + ":" + port);
        }
        ch.finishConnect();
        sel.selectedKeys().clear();
      }
      return new TargetConnection(ch, sel);
    } catch (IOException | RuntimeException e) {
      if (sel != null) {
        sel.close();
      }
      ch.close();
      throw e instanceof IOException io ? io : new IOException(e);
    }
  }

  /** Writes every buffer, each 64 KB chunk within {@code timeoutMs}. */
  void write(List<ByteBuffer> buffers, long timeoutMs) throws IOException {
    for (ByteBuffer whole : buffers) {
      while (whole.hasRemaining()) {
        ByteBuffer chunk = whole.slice();
        chunk.limit(Math.min(chunk.remaining(), CHUNK));
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (chunk.hasRemaining()) {
          if (channel.write(chunk) == 0) {
            await(SelectionKey.OP_WRITE, deadline);
          }
        }
        whole.position(whole.position() + chunk.limit());
      }
    }
  }

  /**
   * One reply line without its CR LF, each byte waited for at most {@code timeoutMs}, cut at
   * {@link #MAX_LINE} bytes as Redis cuts it.
   */
  String readLine(long timeoutMs) throws IOException {
    StringBuilder line = new StringBuilder();
    while (true) {
      if (!in.hasRemaining()) {
        fill(timeoutMs);
      }
      byte b = in.get();
      if (b == '\n') {
        int n = line.length();
        if (n > 0 && line.charAt(n - 1) == '\r') {
          line.setLength(n - 1);
        }
        return line.toString();
      }
      if (line.length() < MAX_LINE - 1) {
        line.append((char) (b & 0xff));
      }
    }
  }

  private void fill(long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    in.clear();
    try {
      while (true) {
        int n = channel.read(in);
        if (n < 0) {
          throw new IOException("connection closed by the target");
        }
        if (n > 0) {
          return;
        }
        await(SelectionKey.OP_READ, deadline);
      }
    } finally {
      in.flip();
    }
  }

  private void await(int op, long deadline) throws IOException {
    long left = (deadline - System.nanoTime()) / 1_000_000L;
    if (left <= 0) {
      throw new SocketTimeoutException("timeout");
    }
    SelectionKey key = channel.register(selector, op);
    try {
      if (selector.select(left) == 0 && System.nanoTime() >= deadline) {
        throw new SocketTimeoutException("timeout");
      }
    } finally {
      selector.selectedKeys().clear();
      key.interestOps(0);
    }
  }

  @Override
  public void close() {
    try {
      selector.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // already gone
    }
  }
}
