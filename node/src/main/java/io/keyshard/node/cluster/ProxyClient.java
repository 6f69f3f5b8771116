package io.keyshard.node.cluster;

import io.keyshard.node.route.Verdict;
import io.keyshard.protocol.Reply;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Proxy mode (keyshard.cluster.proxy = on): this node runs a command for a slot another node
 * owns by sending it to that node's RESP port, as a client would after MOVED, and passes the
 * reply back byte for byte. The connection speaks the client's protocol version and database,
 * so the reply needs no translation; values of any size (up to proto-max-bulk-len) cross as a
 * TCP stream, never through the cluster bus and its frame limit.
 */
public final class ProxyClient implements AutoCloseable {
  /** Connections kept per owner and protocol version; more are opened under load. */
  private static final int IDLE_PER_TARGET = 8;

  private final Map<String, ConcurrentLinkedQueue<Conn>> idle = new ConcurrentHashMap<>();
  /**
   * This node's requirepass (null: none), sent as AUTH on each new connection: the nodes of a
   * cluster share it, as {@code redis-cli --cluster -a} assumes; a node with another password
   * answers the forwarded request NOAUTH, as it would answer a client.
   */
  private final Supplier<String> password;

  private final ExecutorService io =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "keyshard-proxy");
            t.setDaemon(true);
            return t;
          });

  public ProxyClient() {
    this(() -> null);
  }

  public ProxyClient(Supplier<String> password) {
    this.password = password;
  }

  /** Sends argv to host:port in database {@code db} with RESP {@code proto}; the reply raw. */
  public CompletableFuture<Reply> forward(String host, int port, int db, int proto, byte[][] argv) {
    return CompletableFuture.supplyAsync(
        () -> {
          String key = host + ":" + port + "/" + proto;
          Conn c = take(key);
          try {
            if (c == null) {
              c = Conn.open(host, port, proto);
              c.authenticate(password.get());
            }
            if (c.db != db) {
              c.call(new byte[][] {bytes("SELECT"), bytes(Integer.toString(db))});
              c.db = db;
            }
            byte[] reply = c.call(argv);
            give(key, c);
            return (Reply) new Reply.Raw(reply);
          } catch (IOException e) {
            if (c != null) {
              c.close();
            }
            return new Verdict.OwnerUnreachable(host + ":" + port, e.getMessage()).reply();
          }
        },
        io);
  }

  private Conn take(String key) {
    ConcurrentLinkedQueue<Conn> q = idle.get(key);
    return q == null ? null : q.poll();
  }

  private void give(String key, Conn c) {
    ConcurrentLinkedQueue<Conn> q = idle.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
    if (q.size() < IDLE_PER_TARGET) {
      q.add(c);
    } else {
      c.close();
    }
  }

  @Override
  public void close() {
    idle.values().forEach(q -> q.forEach(Conn::close));
    io.shutdownNow();
  }

  /**
   * One request on a connection of its own (cluster formation talks to a node that may not be
   * in the cluster yet): the reply's text, a bulk string's body or a line's; an error reply
   * throws.
   */
  static String callOnce(String host, int port, String... args) throws IOException {
    Conn c = Conn.open(host, port, 2);
    try {
      byte[][] argv = new byte[args.length][];
      for (int i = 0; i < args.length; i++) {
        argv[i] = bytes(args[i]);
      }
      String reply = new String(c.call(argv), StandardCharsets.UTF_8);
      int eol = reply.indexOf("\r\n");
      String line = reply.substring(1, eol);
      return switch (reply.charAt(0)) {
        case '-' -> throw new IOException(line);
        case '$' -> line.startsWith("-") ? "" : reply.substring(eol + 2, reply.length() - 2);
        default -> line;
      };
    } finally {
      c.close();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static final class Conn {
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    int db;

    private Conn(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
      this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    static Conn open(String host, int port, int proto) throws IOException {
      Socket s = new Socket();
      s.connect(new InetSocketAddress(host, port), 5000);
      s.setTcpNoDelay(true);
      s.setSoTimeout(60_000);
      Conn c = new Conn(s);
      if (proto == 3) {
        c.call(new byte[][] {bytes("HELLO"), bytes("3")});
      }
      return c;
    }

    void authenticate(String password) throws IOException {
      if (password != null) {
        call(new byte[][] {bytes("AUTH"), bytes(password)});
      }
    }

    byte[] call(byte[][] argv) throws IOException {
      out.write(('*' + Integer.toString(argv.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (byte[] a : argv) {
        out.write(('$' + Integer.toString(a.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(a);
        out.write('\r');
        out.write('\n');
      }
      out.flush();
      ByteArrayOutputStream reply = new ByteArrayOutputStream();
      readFrame(reply);
      return reply.toByteArray();
    }

    /** Copies one complete RESP2/RESP3 value from the socket, whatever its type. */
    private void readFrame(ByteArrayOutputStream to) throws IOException {
      int type = in.read();
      if (type < 0) {
        throw new IOException("connection closed");
      }
      to.write(type);
      String line = readLine(to);
      switch (type) {
        case '$', '=', '!' -> {
          long n = Long.parseLong(line);
          if (n >= 0) {
            copy(n + 2, to);
          }
        }
        case '*', '~', '>' -> {
          long n = Long.parseLong(line);
          for (long i = 0; i < n; i++) {
            readFrame(to);
          }
        }
        case '%', '|' -> {
          long n = Long.parseLong(line);
          for (long i = 0; i < 2 * n; i++) {
            readFrame(to);
          }
          if (type == '|') {
            readFrame(to); // an attribute precedes the value it describes
          }
        }
        default -> {
          // + - : , # _ ( : the line was all of it
        }
      }
    }

    private String readLine(ByteArrayOutputStream to) throws IOException {
      StringBuilder sb = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0) {
        to.write(c);
        if (c == '\n') {
          break;
        }
        if (c != '\r') {
          sb.append((char) c);
        }
      }
      if (c < 0) {
        throw new IOException("connection closed");
      }
      return sb.toString();
    }

    private void copy(long n, ByteArrayOutputStream to) throws IOException {
      byte[] buf = new byte[(int) Math.min(n, 64 * 1024)];
      while (n > 0) {
        int r = in.read(buf, 0, (int) Math.min(buf.length, n));
        if (r < 0) {
          throw new IOException("connection closed");
        }
        to.write(buf, 0, r);
        n -= r;
      }
    }

    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // gone anyway
      }
    }
  }
}
