package io.keyshard.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Jedis;

/** A real redis-server 7.0 on a free port: the reference, and the other side of the RDB files. */
final class RedisServer implements AutoCloseable {
  private final Process process;
  final int port;

  private RedisServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static RedisServer start(Path dir, String... extra) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> cmd =
        new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
            "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis-" + port + ".log").toFile()).start();
    RedisServer server = new RedisServer(p, port);
    long until = System.currentTimeMillis() + 20_000;
    while (true) {
      try (Jedis j = new Jedis("127.0.0.1", port)) {
        if (j.ping().equals("PONG")) {
          return server;
        }
      } catch (RuntimeException e) {
        if (System.currentTimeMillis() > until || !p.isAlive()) {
          server.close();
          throw new IOException("redis-server did not start on port " + port, e);
        }
        Thread.sleep(50);
      }
    }
  }

  Jedis client() {
    return new Jedis("127.0.0.1", port, 30_000);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }
}
