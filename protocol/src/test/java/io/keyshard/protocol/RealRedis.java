package io.keyshard.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway redis-server on loopback, the reference the differential tests compare against. A
 * missing redis-server fails the test: these tests exist to catch divergence from Redis.
 */
final class RealRedis implements AutoCloseable {
  private final Process process;
  private final Path dir;
  final int port;

  private RealRedis(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  static RealRedis start(String... extraArgs) throws Exception {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      int port;
      try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = probe.getLocalPort();
      }
      Path dir = Files.createTempDirectory("keyshard-redis-");
      List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port),
          "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
          "--dir", dir.toString(), "--logfile", dir.resolve("redis.log").toString()));
      cmd.addAll(List.of(extraArgs));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(dir.resolve("stdout.log").toFile()).start();
      RealRedis r = new RealRedis(p, dir, port);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline && p.isAlive()) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
          s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
          byte[] b = s.getInputStream().readNBytes(7);
          if (new String(b, StandardCharsets.US_ASCII).startsWith("+PONG")
              || new String(b, StandardCharsets.US_ASCII).startsWith("-NOAUTH")) {
            return r;
          }
        } catch (IOException e) {
          last = e;
          Thread.sleep(20);
        }
      }
      r.close(); // most likely lost the port to someone else: try another
    }
    throw new IllegalStateException("redis-server did not start", last);
  }

  /**
   * Sends {@code input} on a fresh connection and returns everything Redis answers until it closes
   * the connection, or until {@code quietMillis} pass without a byte; {@code closed[0]} says
   * which.
   */
  byte[] exchange(byte[] input, int quietMillis, boolean[] closed) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(quietMillis);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      try {
        out.write(input);
        out.flush();
      } catch (IOException e) {
        // Redis may close after an error while we are still writing; what it sent still counts.
      }
      byte[] b = new byte[8192];
      closed[0] = false;
      try {
        while (true) {
          int n = in.read(b);
          if (n < 0) {
            closed[0] = true;
            break;
          }
          got.write(b, 0, n);
        }
      } catch (SocketTimeoutException e) {
        // quiet: Redis waits for more input
      } catch (IOException e) {
        closed[0] = true; // reset after close-on-error with unread input
      }
      return got.toByteArray();
    }
  }

  /** A minimal RESP2 client for one command; replies come back as Java values. */
  Object call(Object... args) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      return call(s, args);
    }
  }

  static Object call(Socket s, Object... args) throws IOException {
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    req.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (Object a : args) {
      byte[] b = a instanceof byte[] bytes ? bytes : a.toString().getBytes(StandardCharsets.UTF_8);
      req.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      req.writeBytes(b);
      req.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    s.getOutputStream().write(req.toByteArray());
    return readReply(s.getInputStream());
  }

  /** Reads one reply: String for +/-, Long for :, byte[] (or null) for $, List for * and RESP3. */
  static Object readReply(InputStream in) throws IOException {
    String line = readLine(in);
    char type = line.charAt(0);
    String rest = line.substring(1);
    switch (type) {
      case '+', '-', ',', '(':
        return line;
      case ':':
        return Long.parseLong(rest);
      case '_':
        return null;
      case '#':
        return rest.equals("t");
      case '$', '=': {
        int n = Integer.parseInt(rest);
        if (n < 0) return null;
        byte[] b = in.readNBytes(n);
        in.readNBytes(2);
        return b;
      }
      case '*', '%', '~', '>': {
        int n = Integer.parseInt(rest);
        if (n < 0) return null;
        if (type == '%') n *= 2;
        List<Object> items = new ArrayList<>();
        for (int i = 0; i < n; i++) items.add(readReply(in));
        return items;
      }
      default:
        throw new IOException("unexpected reply line " + line);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int prev = -1;
    while (true) {
      int c = in.read();
      if (c < 0) throw new IOException("connection closed");
      if (prev == '\r' && c == '\n') break;
      if (prev >= 0) b.write(prev);
      prev = c;
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try (var files = Files.walk(dir)) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temp dir is harmless
    }
  }
}
