package io.keyshard.persistence.rdb;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server 7.0 (the reference) on a free loopback port, with its dump.rdb in a
 * directory of the test's: started on an existing dump.rdb it loads it, SAVE writes it there.
 * One connection, RESP2, replies as Java values. Tests fail, never skip, without redis-server.
 */
final class RedisServer implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  private RedisServer(Process process, Path dir, Socket socket) throws IOException {
    this.process = process;
    this.dir = dir;
    this.socket = socket;
    this.out = new BufferedOutputStream(socket.getOutputStream());
    this.in = new BufferedInputStream(socket.getInputStream());
  }

  static RedisServer start(Path dir, String... extraArgs) throws Exception {
    IllegalStateException failure = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      int port;
      try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = probe.getLocalPort();
      }
      Path log = dir.resolve("redis-" + port + ".log");
      List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port),
          "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
          "--dir", dir.toString(), "--dbfilename", "dump.rdb", "--logfile", log.toString()));
      cmd.addAll(List.of(extraArgs));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && p.isAlive()) {
        try {
          Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
          s.setSoTimeout(60_000);
          RedisServer r = new RedisServer(p, dir, s);
          // PING answers LOADING while a dump.rdb loads: wait for the data.
          if ("+PONG".equals(r.call("PING"))) {
            return r;
          }
          s.close();
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(20);
      }
      String logText = Files.exists(log) ? Files.readString(log) : "";
      p.destroyForcibly().waitFor();
      failure = new IllegalStateException("redis-server did not start: " + logText);
      if (logText.contains("Short read") || logText.contains("RDB")) {
        break; // it refused the file: no point in another port
      }
    }
    throw failure;
  }

  Path dir() {
    return dir;
  }

  Object call(Object... args) throws IOException {
    send(args);
    out.flush();
    return readReply();
  }

  /** Many commands in one write; the replies, in order. */
  List<Object> pipeline(List<Object[]> commands) throws IOException {
    for (Object[] c : commands) {
      send(c);
    }
    out.flush();
    List<Object> replies = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) {
      replies.add(readReply());
    }
    return replies;
  }

  private void send(Object[] args) throws IOException {
    out.write(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (Object a : args) {
      byte[] b = a instanceof byte[] bytes ? bytes : a.toString().getBytes(StandardCharsets.UTF_8);
      out.write(("$" + b.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(b);
      out.write('\r');
      out.write('\n');
    }
  }

  /** String for + and - (with the sign), Long for :, byte[] (or null) for $, List for *. */
  private Object readReply() throws IOException {
    String line = readLine();
    String rest = line.substring(1);
    switch (line.charAt(0)) {
      case '+', '-':
        return line;
      case ':':
        return Long.parseLong(rest);
      case '$': {
        int n = Integer.parseInt(rest);
        if (n < 0) {
          return null;
        }
        byte[] b = in.readNBytes(n);
        in.readNBytes(2);
        return b;
      }
      case '*': {
        int n = Integer.parseInt(rest);
        if (n < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          items.add(readReply());
        }
        return items;
      }
      default:
        throw new IOException("unexpected reply line " + line);
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int prev = -1;
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (prev == '\r' && c == '\n') {
        return b.toString(StandardCharsets.ISO_8859_1);
      }
      if (prev >= 0) {
        b.write(prev);
      }
      prev = c;
    }
  }

  @Override
  public void close() throws Exception {
    socket.close();
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  /** redis-check-rdb on a file: its exit code and output. */
  static String checkRdb(Path file) throws Exception {
    Process p = new ProcessBuilder("redis-check-rdb", file.toString()).redirectErrorStream(true)
        .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("redis-check-rdb hangs");
    }
    return "exit " + p.exitValue() + "\n" + output;
  }
}
