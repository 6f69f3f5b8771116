package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.DifferentialTestBase;
import io.keyshard.node.testing.RawClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * XREAD and XREADGROUP with BLOCK, several real connections, each scenario run against a real
 * redis-server and against Keyshard with the same expected outcome: who is woken by which XADD,
 * with what, timeouts, and the group state afterwards. A client counts as blocked once INFO's
 * blocked_clients says so, on both servers.
 */
@Timeout(120)
class StreamsBlockingTest extends DifferentialTestBase {

  private interface Scenario {
    List<String> run(int port) throws Exception;
  }

  private static void both(List<String> expected, Scenario s) throws Exception {
    assertEquals(expected, s.run(redis.port()), "redis-server");
    try (Jedis j = new Jedis("127.0.0.1", node.port())) {
      j.flushAll();
    }
    assertEquals(expected, s.run(node.port()), "keyshard");
  }

  private static void awaitBlocked(int port, int n) throws Exception {
    try (Jedis j = new Jedis("127.0.0.1", port)) {
      long until = System.currentTimeMillis() + 10_000;
      String line = "";
      while (System.currentTimeMillis() < until) {
        line = j.info("clients").lines().filter(l -> l.startsWith("blocked_clients:")).findFirst().orElse("");
        if (line.equals("blocked_clients:" + n)) {
          return;
        }
        Thread.sleep(5);
      }
      throw new AssertionError("expected " + n + " blocked clients on " + port + ", saw " + line);
    }
  }

  private static RawClient blockedOn(int port, int alreadyBlocked, String... command) throws Exception {
    RawClient c = new RawClient(port);
    byte[][] argv = new byte[command.length][];
    for (int i = 0; i < command.length; i++) {
      argv[i] = command[i].getBytes(StandardCharsets.UTF_8);
    }
    c.send(argv);
    awaitBlocked(port, alreadyBlocked + 1);
    return c;
  }

  @Test
  void xaddWakesTheReadersWhoseIdsItPasses() throws Exception {
    both(
        List.of(
            "[[\"s\", [[\"2-1\", [\"b\", \"2\"]]]]]",
            "[[\"s\", [[\"6-1\", [\"c\", \"3\"]]]]]",
            "[[\"{s}t\", [[\"7-1\", [\"d\", \"4\"]]]]]",
            "[[\"nokey\", [[\"1-1\", [\"e\", \"5\"]]]]]"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient p = new RawClient(port)) {
            p.call("XADD", "s", "1-1", "a", "1");
            try (RawClient dollar = blockedOn(port, 0, "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
                RawClient past5 = blockedOn(port, 1, "XREAD", "BLOCK", "0", "STREAMS", "s", "5-0");
                RawClient other = blockedOn(port, 2, "XREAD", "BLOCK", "0", "STREAMS", "s", "{s}t", "9-9", "$");
                RawClient missing = blockedOn(port, 3, "XREAD", "BLOCK", "0", "STREAMS", "nokey", "$")) {
              p.call("XADD", "s", "2-1", "b", "2"); // past $ only
              seen.add(dollar.readReply());
              awaitBlocked(port, 3);
              p.call("XADD", "s", "6-1", "c", "3"); // past 5-0, not past 9-9
              seen.add(past5.readReply());
              awaitBlocked(port, 2);
              p.call("XADD", "{s}t", "7-1", "d", "4"); // the other stream, in another slot
              seen.add(other.readReply());
              p.call("SET", "nokey", "x"); // another type: XREAD keeps waiting
              p.call("DEL", "nokey");
              awaitBlocked(port, 1);
              p.call("XADD", "nokey", "1-1", "e", "5");
              seen.add(missing.readReply());
              awaitBlocked(port, 0);
            }
          }
          return seen;
        });
  }

  @Test
  void readersWaitForEntriesPastTheirIdAndTimeOut() throws Exception {
    both(
        List.of("(nil-array)", "_", "-ERR timeout is negative", "(nil-array)", "[[\"s\", [[\"667-0\", [\"f\", \"v\"]]]]]"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient c = new RawClient(port); RawClient p = new RawClient(port)) {
            long start = System.nanoTime();
            seen.add(c.call("XREAD", "BLOCK", "300", "STREAMS", "s", "$"));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= 250, "answered after " + ms + " ms, before its timeout");
            c.call("HELLO", "3");
            seen.add(c.call("XREAD", "BLOCK", "50", "STREAMS", "s", "0"));
            c.call("HELLO", "2");
            seen.add(c.call("XREAD", "BLOCK", "-1", "STREAMS", "s", "0"));
            // Entries deleted after the id: still nothing to read, the reader waits.
            p.call("XADD", "s", "665", "f", "v");
            p.call("XADD", "s", "666", "f", "v");
            p.call("XDEL", "s", "666-0");
            seen.add(c.call("XREAD", "BLOCK", "50", "STREAMS", "s", "665"));
            try (RawClient w = blockedOn(port, 0, "XREAD", "BLOCK", "0", "STREAMS", "s", "665")) {
              p.call("XADD", "s", "667", "f", "v");
              seen.add(w.readReply());
            }
          }
          return seen;
        });
  }

  @Test
  void groupReadersShareNewEntriesInBlockingOrder() throws Exception {
    both(
        List.of(
            "[[\"s\", [[\"1-1\", [\"f\", \"1\"]]]]]",
            "[[\"s\", [[\"2-1\", [\"f\", \"2\"]]]]]",
            "[[\"1-1\", \"alice\", :1], [\"2-1\", \"bob\", :1]]",
            "-NOGROUP the consumer group this client was blocked on no longer exists",
            "-UNBLOCKED the stream key no longer exists",
            "(nil-array)"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient p = new RawClient(port)) {
            p.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
            try (RawClient alice = blockedOn(port, 0, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
                RawClient bob = blockedOn(port, 1, "XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">")) {
              p.call("XADD", "s", "1-1", "f", "1");
              seen.add(alice.readReply());
              awaitBlocked(port, 1);
              p.call("XADD", "s", "2-1", "f", "2");
              seen.add(bob.readReply());
              awaitBlocked(port, 0);
            }
            try (RawClient bob = blockedOn(port, 0, "XREADGROUP", "GROUP", "g", "bob", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")) {
              p.call("XADD", "s", "3-1", "f", "3");
              bob.readReply();
            }
            // PEL: 1-1 alice, 2-1 bob (NOACK left 3-1 out); shown as [id, consumer, count].
            String pending = p.call("XPENDING", "s", "g", "-", "+", "10");
            seen.add(pending.replaceAll("\\[\"(\\d+-\\d+)\", \"(\\w+)\", :\\d+, (:\\d+)\\]", "[\"$1\", \"$2\", $3]"));
            try (RawClient carol = blockedOn(port, 0, "XREADGROUP", "GROUP", "g", "carol", "BLOCK", "0", "STREAMS", "s", ">")) {
              p.call("XGROUP", "DESTROY", "s", "g");
              seen.add(carol.readReply());
            }
            p.call("XGROUP", "CREATE", "s", "g3", "$");
            try (RawClient erin = blockedOn(port, 0, "XREADGROUP", "GROUP", "g3", "erin", "BLOCK", "0", "STREAMS", "s", ">")) {
              p.call("DEL", "s");
              seen.add(erin.readReply());
            }
            try (RawClient c = new RawClient(port)) {
              c.call("XGROUP", "CREATE", "s", "g2", "$", "MKSTREAM");
              seen.add(c.call("XREADGROUP", "GROUP", "g2", "dan", "BLOCK", "50", "STREAMS", "s", ">"));
            }
          }
          return seen;
        });
  }
}
