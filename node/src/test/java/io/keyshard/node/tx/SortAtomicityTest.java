package io.keyshard.node.tx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.SortingParams;

/**
 * SORT across slots (docs/decisions/2026-12-08-sort.md): the keys its BY and GET patterns read,
 * in slots other than the sorted key's, are read at one instant with it, and the list STORE
 * writes (in yet another slot) is never seen half done, while a writer changes every pattern key
 * in one cross-slot MULTI/EXEC. And the stored list, journaled as the list itself, is there after
 * the node restarts on its data directory.
 */
@Timeout(120)
class SortAtomicityTest {
  private static final int ELEMENTS = 12;
  private static final int ROUNDS = 400;

  /** The GET keys g_0 .. g_11 and the weights w_0 .. w_11 lie in more than one slot. */
  private static void assertSpread() {
    Set<Integer> slots = new HashSet<>();
    for (int i = 0; i < ELEMENTS; i++) {
      slots.add(Slots.slot(("g_" + i).getBytes(StandardCharsets.UTF_8)));
    }
    slots.add(Slots.slot("src".getBytes(StandardCharsets.UTF_8)));
    assertTrue(slots.size() > 5, "pattern keys in too few slots: " + slots);
    assertNotEquals(
        Slots.slot("src".getBytes(StandardCharsets.UTF_8)), Slots.slot("dst".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void readsAndStoresAtOneInstantUnderAConcurrentWriter() throws Exception {
    assertSpread();
    Path dir = Files.createTempDirectory("keyshard-sort");
    ConcurrentLinkedQueue<String> torn = new ConcurrentLinkedQueue<>();
    AtomicInteger checked = new AtomicInteger();
    try (TestNode node = TestNode.start(dir, Map.of());
        Jedis setup = jedis(node)) {
      for (int i = 0; i < ELEMENTS; i++) {
        setup.rpush("src", Integer.toString(i));
        setup.set("g_" + i, "0");
        setup.set("w_" + i, Integer.toString(ELEMENTS - i));
      }
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer =
          new Thread(
              () -> {
                try (Jedis j = jedis(node)) {
                  for (int v = 1; !stop.get(); v++) {
                    // Every GET key and every weight changes in one transaction over their slots.
                    Transaction t = j.multi();
                    for (int i = 0; i < ELEMENTS; i++) {
                      t.set("g_" + i, Integer.toString(v));
                      t.set("w_" + i, Integer.toString(v % 2 == 0 ? i : ELEMENTS - i));
                    }
                    t.exec();
                  }
                }
              });
      Thread reader =
          new Thread(
              () -> {
                try (Jedis j = jedis(node)) {
                  while (!stop.get()) {
                    List<String> stored = j.lrange("dst", 0, -1);
                    if (!stored.isEmpty() && !consistent(stored)) {
                      torn.add("LRANGE dst: " + stored);
                    }
                  }
                }
              });
      writer.start();
      reader.start();
      try (Jedis j = jedis(node)) {
        for (int round = 0; round < ROUNDS; round++) {
          SortingParams p = new SortingParams().by("w_*").get("g_*", "#");
          List<String> direct = j.sort("src", p);
          if (!consistent(direct)) {
            torn.add("SORT: " + direct);
          }
          long n = j.sort("src", new SortingParams().by("w_*").get("g_*", "#"), "dst");
          assertEquals(2L * ELEMENTS, n);
          checked.incrementAndGet();
        }
      } finally {
        stop.set(true);
        writer.join();
        reader.join();
      }
      assertTrue(torn.isEmpty(), torn.size() + " torn reads, first: " + torn.peek());
      assertEquals(ROUNDS, checked.get());
      setup.set("g_0", "final");
      setup.sort("src", new SortingParams().by("nosort").get("g_*"), "dst");
      setup.sort("nothing", new SortingParams(), "{x}gone");
      setup.set("{x}gone", "x");
      setup.sort("nothing", new SortingParams(), "{x}gone"); // empty: deletes it
    }
    try (TestNode node = TestNode.start(dir, Map.of());
        Jedis j = jedis(node)) {
      List<String> stored = j.lrange("dst", 0, -1);
      assertEquals(ELEMENTS, stored.size(), stored.toString());
      assertEquals("final", stored.get(0));
      assertEquals("list", j.type("dst"));
      assertFalse(j.exists("{x}gone"));
    }
  }

  /** A client that waits as long as a loaded machine needs (a fresh node's first writes included). */
  private static Jedis jedis(TestNode node) {
    return new Jedis("127.0.0.1", node.port(), 30_000);
  }

  /**
   * A SORT BY w_* GET g_* GET # reply read at one instant: every g_ value is the same, and the
   * order is one of the writer's two weight orders (ascending or descending element).
   */
  private static boolean consistent(List<String> reply) {
    if (reply.size() != 2 * ELEMENTS) {
      return false;
    }
    List<Integer> order = new ArrayList<>();
    String value = reply.get(0);
    for (int i = 0; i < reply.size(); i += 2) {
      if (!reply.get(i).equals(value)) {
        return false;
      }
      order.add(Integer.parseInt(reply.get(i + 1)));
    }
    int bump = Integer.parseInt(value);
    // Weights i (v even) sort ascending; ELEMENTS - i (v odd, and the initial 0 weights) descending.
    boolean ascending = bump != 0 && bump % 2 == 0;
    for (int k = 0; k < order.size(); k++) {
      int want = ascending ? k : ELEMENTS - 1 - k;
      if (order.get(k) != want) {
        return false;
      }
    }
    return true;
  }
}
