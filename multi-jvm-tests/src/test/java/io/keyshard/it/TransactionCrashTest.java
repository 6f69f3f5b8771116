package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.protocol.Slots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

/**
 * Atomic multi-slot writes across a crash, with the node in its own JVM. Crash points stop the
 * JVM exactly after the commit record or between two slots' applies, and the restarted node must
 * complete the transaction before it answers anyone; a kill -9 at a random moment under load must
 * leave every MSET group uniform and every counter group equal, with acknowledged work present.
 */
class TransactionCrashTest {
  /** Ten keys in ten different slots. */
  private static final List<String> GROUP = keysInDistinctSlots("g", 10);

  private Path work;
  private final List<NodeProcess> nodes = new ArrayList<>();

  @BeforeEach
  void setUp(TestInfo info) throws Exception {
    Path root = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"));
    work = root.resolve("tx-" + info.getDisplayName().replaceAll("[^A-Za-z0-9]+", "-") + "-" + System.nanoTime());
    Files.createDirectories(work);
  }

  @AfterEach
  void killNodes() throws Exception {
    for (NodeProcess n : nodes) {
      n.close();
    }
  }

  private NodeProcess start(String name, List<String> jvmOptions) throws Exception {
    NodeProcess n = NodeProcess.start(work.resolve("data"), null, work.resolve(name + ".log"), jvmOptions);
    nodes.add(n);
    return n;
  }

  static List<String> keysInDistinctSlots(String prefix, int n) {
    List<String> keys = new ArrayList<>();
    Set<Integer> slots = new HashSet<>();
    for (int i = 0; keys.size() < n; i++) {
      String k = prefix + ":" + i;
      if (slots.add(Slots.slot(k.getBytes()))) {
        keys.add(k);
      }
    }
    return keys;
  }

  @ParameterizedTest
  @ValueSource(strings = {"after-commit-record", "between-applies"})
  void rollsForwardFromACrashPoint(String point) throws Exception {
    NodeProcess crashing = start("crashing", List.of("-Dkeyshard.test.crash-point=" + point));
    try (Jedis jedis = new Jedis("127.0.0.1", crashing.port(), 20_000)) {
      for (String k : GROUP) {
        assertEquals("OK", jedis.set(k, "old")); // single-slot writes take no transaction
      }
      String[] kv = new String[GROUP.size() * 2];
      for (int i = 0; i < GROUP.size(); i++) {
        kv[2 * i] = GROUP.get(i);
        kv[2 * i + 1] = "new";
      }
      boolean answered;
      try {
        jedis.mset(kv);
        answered = true;
      } catch (RuntimeException connectionLost) {
        answered = false;
      }
      assertFalse(answered, "the crash point must stop the node before the MSET is answered");
    }
    assertTrue(crashing.waitForExit(Duration.ofSeconds(30)), "node did not halt at " + point);
    assertTrue(crashing.logText().contains("Crash point " + point + " reached"));

    NodeProcess restarted = start("restarted", List.of());
    assertTrue(
        restarted.logText().contains("Completed 1 transactions"),
        "restart did not report rolling the transaction forward:\n" + NodeProcess.tail(restarted.logText()));
    try (Jedis jedis = new Jedis("127.0.0.1", restarted.port(), 20_000)) {
      List<String> values = jedis.mget(GROUP.toArray(new String[0]));
      assertEquals(java.util.Collections.nCopies(GROUP.size(), "new"), values);
      // And the log is clean: a second restart has nothing left to complete.
    }
    restarted.stop(Duration.ofSeconds(30));
    NodeProcess again = start("again", List.of());
    assertFalse(again.logText().contains("Completed 1 transactions"));
    try (Jedis jedis = new Jedis("127.0.0.1", again.port(), 20_000)) {
      assertEquals(java.util.Collections.nCopies(GROUP.size(), "new"), jedis.mget(GROUP.toArray(new String[0])));
    }
  }

  @Test
  void killDuringMultiSlotLoadKeepsGroupsWhole() throws Exception {
    NodeProcess node = start("load", List.of());
    int writers = 3;
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong acked = new AtomicLong();
    long[] lastAckedMset = new long[writers];
    long[] lastTriedMset = new long[writers];
    long[] ackedExecs = new long[writers];
    long[] triedExecs = new long[writers];
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int id = w;
      List<String> group = keysInDistinctSlots("w" + id, 10);
      List<String> counters = keysInDistinctSlots("c" + id, 5);
      Thread t =
          new Thread(
              () -> {
                try (Jedis jedis = new Jedis("127.0.0.1", node.port(), 20_000)) {
                  for (long i = 1; !stop.get(); i++) {
                    String[] kv = new String[20];
                    for (int k = 0; k < 10; k++) {
                      kv[2 * k] = group.get(k);
                      kv[2 * k + 1] = Long.toString(i);
                    }
                    lastTriedMset[id] = i;
                    jedis.mset(kv);
                    lastAckedMset[id] = i;
                    acked.incrementAndGet();
                    triedExecs[id]++;
                    Transaction tx = jedis.multi();
                    counters.forEach(tx::incr);
                    tx.exec();
                    ackedExecs[id]++;
                    acked.incrementAndGet();
                  }
                } catch (RuntimeException connectionLost) {
                  // The node was killed: what was acknowledged is recorded.
                }
              });
      threads.add(t);
      t.start();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (acked.get() < 60 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Thread.sleep(ThreadLocalRandomHolder.next(500));
    node.kill();
    stop.set(true);
    for (Thread t : threads) {
      t.join(30_000);
    }
    assertTrue(acked.get() > 0, "no transaction was acknowledged before the kill");

    NodeProcess restarted = start("restarted", List.of());
    try (Jedis jedis = new Jedis("127.0.0.1", restarted.port(), 20_000)) {
      for (int w = 0; w < writers; w++) {
        List<String> values = jedis.mget(keysInDistinctSlots("w" + w, 10).toArray(new String[0]));
        assertEquals(1, new HashSet<>(values).size(), "MSET group " + w + " is mixed: " + values);
        long v = values.get(0) == null ? 0 : Long.parseLong(values.get(0));
        assertTrue(
            v >= lastAckedMset[w] && v <= lastTriedMset[w],
            "group " + w + " holds " + v + ", acknowledged " + lastAckedMset[w] + ", tried " + lastTriedMset[w]);
        List<String> counters = jedis.mget(keysInDistinctSlots("c" + w, 5).toArray(new String[0]));
        assertEquals(1, new HashSet<>(counters).size(), "counter group " + w + " is unequal: " + counters);
        long c = counters.get(0) == null ? 0 : Long.parseLong(counters.get(0));
        assertTrue(
            c >= ackedExecs[w] && c <= triedExecs[w],
            "counters " + w + " at " + c + ", acknowledged " + ackedExecs[w] + ", tried " + triedExecs[w]);
      }
    }
    System.out.printf(
        "[tx kill -9] %d multi-slot writes acknowledged before the kill; all groups whole after restart%n",
        acked.get());
  }

  private static final class ThreadLocalRandomHolder {
    static long next(long bound) {
      return java.util.concurrent.ThreadLocalRandom.current().nextLong(bound);
    }
  }
}
