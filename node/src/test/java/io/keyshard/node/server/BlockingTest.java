package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.DifferentialTestBase;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Blocking commands with several real connections, each scenario run against a real
 * redis-server and against Keyshard with the same expected outcome: who is woken, in which
 * order, with what, and what is left in the keys afterwards. A client counts as blocked once
 * INFO's blocked_clients says so, on both servers.
 */
@Timeout(120)
class BlockingTest extends DifferentialTestBase {

  /** One scenario against one server; returns what it observed, in order. */
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
        line =
            j.info("clients").lines().filter(l -> l.startsWith("blocked_clients:")).findFirst().orElse("");
        if (line.equals("blocked_clients:" + n)) {
          return;
        }
        Thread.sleep(5);
      }
      throw new AssertionError("expected " + n + " blocked clients on " + port + ", saw " + line);
    }
  }

  private static RawClient blockedOn(int port, int alreadyBlocked, String... command)
      throws Exception {
    RawClient c = new RawClient(port);
    c.send(bytes(command));
    awaitBlocked(port, alreadyBlocked + 1);
    return c;
  }

  private static byte[][] bytes(String... args) {
    byte[][] out = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      out[i] = args[i].getBytes(StandardCharsets.UTF_8);
    }
    return out;
  }

  /** Two keys in different slots (so Keyshard's cross-slot paths run). */
  private static String otherSlotThan(String key) {
    for (int i = 0; ; i++) {
      String k = "k" + i;
      if (Slots.slot(k.getBytes(StandardCharsets.UTF_8)) != Slots.slot(key.getBytes(StandardCharsets.UTF_8))) {
        return k;
      }
    }
  }

  @Test
  void firstBlockedIsFirstServed() throws Exception {
    both(
        List.of("[\"q\", \"a\"]", "[\"q\", \"b\"]", ":0", "[\"other\", \"z\"]"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient c1 = blockedOn(port, 0, "BLPOP", "q", "0");
              RawClient c2 = blockedOn(port, 1, "BLPOP", "q", "0");
              RawClient c3 = blockedOn(port, 2, "BLPOP", "q", "other", "0");
              RawClient p = new RawClient(port)) {
            p.call("RPUSH", "q", "a", "b");
            seen.add(c1.readReply());
            seen.add(c2.readReply());
            awaitBlocked(port, 1); // c3 still waits: the two elements went to c1 and c2
            seen.add(p.call("EXISTS", "q"));
            p.call("RPUSH", "other", "z");
            seen.add(c3.readReply());
          }
          return seen;
        });
  }

  @Test
  void timeoutsAnswerNull() throws Exception {
    both(
        List.of("(nil-array)", "(nil-array)", "(nil-array)", "(nil-array)", "_", "-ERR timeout is negative"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient c = new RawClient(port)) {
            long start = System.nanoTime();
            seen.add(c.call("BLPOP", "q", "0.3"));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= 250, "answered after " + elapsedMs + " ms, before its timeout");
            seen.add(c.call("BLMOVE", "a", "b", "LEFT", "LEFT", "0.05"));
            seen.add(c.call("BZPOPMIN", "z", "0.05"));
            seen.add(c.call("BLMPOP", "0.05", "2", "l1", "l2", "LEFT"));
            c.call("HELLO", "3");
            seen.add(c.call("BRPOP", "q", "0.05"));
            seen.add(c.call("BLPOP", "q", "-1"));
            assertEquals(":0", c.call("EXISTS", "q", "a", "b", "z"));
          }
          return seen;
        });
  }

  @Test
  void aClosedConnectionStopsWaiting() throws Exception {
    both(
        List.of("[\"q\", \"x\"]", "[\"y\"]"),
        port -> {
          List<String> seen = new ArrayList<>();
          RawClient gone = blockedOn(port, 0, "BLPOP", "q", "0");
          gone.close();
          awaitBlocked(port, 0);
          try (RawClient c = blockedOn(port, 0, "BLPOP", "q", "0");
              RawClient p = new RawClient(port)) {
            p.call("RPUSH", "q", "x", "y");
            seen.add(c.readReply());
            seen.add(p.call("LRANGE", "q", "0", "-1"));
          }
          return seen;
        });
  }

  @Test
  void aPushInsideMultiExecWakesTheClient() throws Exception {
    String other = otherSlotThan("q");
    both(
        List.of("[\"q\", \"x\"]", "[+OK, :1, :2]", "[\"y\"]"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient c = blockedOn(port, 0, "BLPOP", "q", "0");
              RawClient p = new RawClient(port)) {
            p.call("MULTI");
            p.call("SET", other, "1"); // a second slot: Keyshard runs EXEC as a transaction
            p.call("RPUSH", "q", "x");
            p.call("RPUSH", "q", "y");
            String exec = p.call("EXEC");
            seen.add(c.readReply());
            seen.add(exec);
            seen.add(p.call("LRANGE", "q", "0", "-1"));
          }
          return seen;
        });
  }

  @Test
  void lmoveFromAnotherSlotWakesTheClient() throws Exception {
    String src = otherSlotThan("dst");
    both(
        List.of("\"v\"", "[\"dst\", \"v\"]", ":0"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient c = blockedOn(port, 0, "BLPOP", "dst", "0");
              RawClient p = new RawClient(port)) {
            p.call("RPUSH", src, "v");
            seen.add(p.call("LMOVE", src, "dst", "LEFT", "RIGHT"));
            seen.add(c.readReply());
            seen.add(p.call("EXISTS", "dst", src));
          }
          return seen;
        });
  }

  @Test
  void keysInSeveralSlotsAreServedOnce() throws Exception {
    String k2 = otherSlotThan("k1x");
    both(
        List.of("[\"" + k2 + "\", \"b\"]", ":1"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient c = blockedOn(port, 0, "BLPOP", "k1x", k2, "0");
              RawClient p = new RawClient(port)) {
            p.call("RPUSH", k2, "b");
            seen.add(c.readReply());
            awaitBlocked(port, 0);
            p.call("RPUSH", "k1x", "a"); // nobody waits for it any more
            seen.add(p.call("LLEN", "k1x"));
          }
          return seen;
        });
  }

  @Test
  void blmoveBetweenSlotsAndChainsWithinASlot() throws Exception {
    String src = otherSlotThan("dst");
    both(
        List.of("\"v\"", "[\"v\"]", "\"x\"", "[\"{t}b\", \"x\"]", ":0"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient p = new RawClient(port)) {
            try (RawClient c = blockedOn(port, 0, "BLMOVE", src, "dst", "RIGHT", "LEFT", "0")) {
              p.call("RPUSH", src, "v");
              seen.add(c.readReply());
              seen.add(p.call("LRANGE", "dst", "0", "-1"));
            }
            // A BLMOVE served by a push feeds a BLPOP waiting on its destination.
            try (RawClient mover = blockedOn(port, 0, "BLMOVE", "{t}a", "{t}b", "LEFT", "LEFT", "0");
                RawClient popper = blockedOn(port, 1, "BLPOP", "{t}b", "0")) {
              p.call("RPUSH", "{t}a", "x");
              seen.add(mover.readReply());
              seen.add(popper.readReply());
              seen.add(p.call("EXISTS", "{t}a", "{t}b"));
            }
          }
          return seen;
        });
  }

  @Test
  void sortedSetsAndMpopForms() throws Exception {
    both(
        List.of(
            "[\"z\", \"a\", \"1\"]",
            "[\"z2\", [[\"c\", \"3\"], [\"b\", \"2\"]]]",
            "[\"l2\", [\"b\", \"a\"]]",
            ":1"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient c1 = blockedOn(port, 0, "BZPOPMIN", "z", "0");
              RawClient c2 = blockedOn(port, 1, "BZMPOP", "0", "1", "z2", "MAX", "COUNT", "2");
              RawClient c3 = blockedOn(port, 2, "BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "3");
              RawClient p = new RawClient(port)) {
            p.call("ZADD", "z", "1", "a", "2", "b");
            seen.add(c1.readReply());
            p.call("ZADD", "z2", "1", "a", "2", "b", "3", "c");
            seen.add(c2.readReply());
            p.call("RPUSH", "l2", "a", "b");
            seen.add(c3.readReply());
            seen.add(p.call("ZCARD", "z2"));
          }
          return seen;
        });
  }

  @Test
  void aBlockedClientRunsNothingElseAndIgnoresOtherTypes() throws Exception {
    both(
        List.of("[\"q\", \"v\"]", "+PONG", ":0"),
        port -> {
          List<String> seen = new ArrayList<>();
          try (RawClient c = new RawClient(port);
              RawClient p = new RawClient(port)) {
            c.send(bytes("BLPOP", "q", "0"));
            c.send(bytes("PING"));
            awaitBlocked(port, 1);
            p.call("SET", "q", "a string"); // not a list: the client keeps waiting
            p.call("DEL", "q");
            awaitBlocked(port, 1);
            p.call("RPUSH", "q", "v");
            seen.add(c.readReply());
            seen.add(c.readReply());
            seen.add(p.call("EXISTS", "q"));
          }
          return seen;
        });
  }

  /** A job queue through Jedis: workers blocked in BLPOP get jobs in the order they blocked. */
  @Test
  void jedisWorkersAreServedInTheOrderTheyBlocked() throws Exception {
    for (int port : new int[] {redis.port(), node.port()}) {
      int workers = 4;
      ExecutorService pool = Executors.newFixedThreadPool(workers);
      try (Jedis producer = new Jedis("127.0.0.1", port)) {
        producer.flushAll();
        List<Future<List<String>>> got = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
          got.add(
              pool.submit(
                  () -> {
                    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
                      return j.blpop(0, "jobs");
                    }
                  }));
          awaitBlocked(port, w + 1);
        }
        producer.rpush("jobs", "job0", "job1");
        producer.rpush("jobs", "job2");
        producer.rpush("jobs", "job3", "job4");
        for (int w = 0; w < workers; w++) {
          assertEquals(List.of("jobs", "job" + w), got.get(w).get(20, TimeUnit.SECONDS));
        }
        assertEquals(List.of("job4"), producer.lrange("jobs", 0, -1));
        try (Jedis j = new Jedis("127.0.0.1", port)) {
          assertEquals(null, j.blpop(0.1, "empty"));
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aServedPopIsDurable() throws Exception {
    try (RawClient c = blockedOn(node.port(), 0, "BRPOP", "jobs", "0");
        RawClient p = new RawClient(node.port())) {
      p.call("LPUSH", "jobs", "j1", "j2");
      assertEquals("[\"jobs\", \"j1\"]", c.readReply());
    }
    Path dir = node.dir();
    node.close();
    node = TestNode.start(dir, Map.of());
    try (Jedis j = new Jedis("127.0.0.1", node.port())) {
      assertEquals(List.of("j2"), j.lrange("jobs", 0, -1));
      assertNotEquals(0, j.dbSize());
    }
  }
}
