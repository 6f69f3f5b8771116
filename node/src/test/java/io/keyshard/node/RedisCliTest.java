package io.keyshard.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** redis-cli, the real one, against a node: commands, RESP3, --scan, --pipe, INFO. */
class RedisCliTest {
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  /** Runs redis-cli with {@code args} against the node, {@code input} on stdin; returns stdout. */
  private static String cli(String input, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(node.port())));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (input != null) {
      p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "redis-cli did not finish");
    return out.trim();
  }

  @Test
  void commandsFromArgumentsAndStdin() throws Exception {
    assertEquals("OK", cli(null, "set", "greeting", "hello"));
    assertEquals("hello", cli(null, "get", "greeting"));
    assertEquals("hello", cli(null, "-3", "get", "greeting"));
    assertEquals("OK\n2", cli("SET counter 1\nINCR counter\n"));
    assertEquals("(integer) -2", cli(null, "--no-raw", "ttl", "missing"));
    assertTrue(cli(null, "info", "server").contains("redis_version:7.0.15"));
  }

  @Test
  void scanAndPipe() throws Exception {
    StringBuilder pipe = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      String key = "piped:" + i;
      pipe.append("*3\r\n$3\r\nSET\r\n$").append(key.length()).append("\r\n").append(key)
          .append("\r\n$1\r\nv\r\n");
    }
    String out = cli(pipe.toString(), "--pipe");
    assertTrue(out.contains("errors: 0, replies: 1000"), out);
    Set<String> scanned = new TreeSet<>(List.of(cli(null, "--scan", "--pattern", "piped:*").split("\n")));
    assertEquals(1000, scanned.size());
    assertTrue(scanned.contains("piped:999"));
  }
}
