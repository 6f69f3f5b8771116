package io.keyshard.tools.backup;

import io.keyshard.tools.Address;
import io.keyshard.tools.ToolException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;

/**
 * {@code verify ARCHIVE --restore-test}: the test Redis's own guidance asks for (restore the
 * backup somewhere and look), done: a throw-away standalone Keyshard node in a temporary
 * directory, the archive restored into it through the RESP port as any restore, then compared
 * with the archive slot by slot ({@link Against}); the node and its directory go afterwards.
 * The node's class path comes from bin/keyshard-backup ({@code keyshard.node.classpath}).
 */
final class RestoreTest {
  private RestoreTest() {}

  static int run(Path archive, Manifest m, PrintStream out) throws ToolException, IOException {
    String classpath = System.getProperty("keyshard.node.classpath");
    if (classpath == null || classpath.isBlank()) {
      throw new ToolException(
          ToolException.REFUSED, "--restore-test needs a Keyshard node to start: run it through bin/keyshard-backup");
    }
    Path dir = Files.createTempDirectory("keyshard-restore-test");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    Process node =
        new ProcessBuilder(
                List.of(java, System.getProperty("keyshard.restore-test.heap", "-Xmx2g"), "-cp", classpath,
                    "io.keyshard.node.Main", "--port", Integer.toString(port), "--dir", dir.resolve("data").toString()))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("node.log").toFile())
            .start();
    try {
      Address address = Address.parse("127.0.0.1:" + port);
      awaitPong(node, address, dir);
      out.println("restore test: a throw-away node on port " + port + " in " + dir);
      ByteArrayOutputStream restoreLog = new ByteArrayOutputStream();
      Restore.Outcome restored =
          Restore.run(archive, address, Restore.Existing.REFUSE, false, new PrintStream(restoreLog, true));
      out.println("restore test: restored " + restored.restored() + " keys"
          + (restored.expired() > 0 ? " (" + restored.expired() + " expired since the backup, left out)" : ""));
      return Against.run(archive, m, address, out);
    } finally {
      node.destroy();
      try {
        if (!node.waitFor(30, TimeUnit.SECONDS)) {
          node.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Create.deleteTree(dir);
    }
  }

  private static void awaitPong(Process node, Address a, Path dir) throws ToolException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (true) {
      try (Jedis j = a.connect()) {
        if ("PONG".equals(j.ping())) {
          return;
        }
      } catch (RuntimeException e) {
        // not up yet
      }
      if (!node.isAlive() || System.nanoTime() > until) {
        String log;
        try {
          log = Files.readString(dir.resolve("node.log"));
        } catch (IOException e) {
          log = e.toString();
        }
        throw new ToolException(
            ToolException.REFUSED,
            "the throw-away node did not start: " + log.substring(Math.max(0, log.length() - 2000)));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ToolException(ToolException.REFUSED, "interrupted");
      }
    }
  }
}
