package io.keyshard.it;

import static io.keyshard.it.TransactionCrashTest.keysInDistinctSlots;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Scripts across a kill -9, with the node in its own JVM: writers run scripts that set ten keys in
 * ten slots to the run's number, one with its keys declared, one building them from ARGV (the
 * undeclared path: taken while it runs, or run again), one with a function (FCALL). After the
 * kill and a restart every group is uniform (all of one script or none of it) and holds a number
 * between the last acknowledged and the last sent.
 */
@Timeout(300)
class ScriptCrashTest {
  private final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void killNodes() throws Exception {
    for (NodeProcess n : nodes) {
      n.close();
    }
  }

  private static final String DECLARED = "for i = 1, #KEYS do redis.call('set', KEYS[i], ARGV[1]) end return #KEYS";
  /** The same ten keys, named by the script: group prefix in ARGV[2]. */
  private static final String UNDECLARED =
      "local n = 0 for i = 0, 19 do local k = ARGV[2] .. ':' .. i "
          + "if redis.call('exists', k .. ':member') == 1 then redis.call('set', k, ARGV[1]) n = n + 1 end end return n";

  @Test
  void everyScriptIsAllOrNothingAcrossAKill() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "script-crash-" + System.nanoTime());
    Files.createDirectories(work);
    NodeProcess node = NodeProcess.start(work.resolve("data"), null, work.resolve("node.log"));
    nodes.add(node);
    String[] groups = {"declared", "undeclared", "function"};
    try (Jedis setup = new Jedis("127.0.0.1", node.port(), 20_000)) {
      // The undeclared script finds its keys by marker keys; they never change.
      for (String k : keysInDistinctSlots("undeclared", 10)) {
        setup.set(k + ":member", "1");
      }
      setup.functionLoad(
          "#!lua name=crash\nredis.register_function('setall', function(keys, args) "
              + "for i = 1, #keys do redis.call('set', keys[i], args[1]) end return #keys end)");
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong acked = new AtomicLong();
    long[] lastAcked = new long[groups.length];
    long[] lastSent = new long[groups.length];
    List<Thread> threads = new ArrayList<>();
    for (int g = 0; g < groups.length; g++) {
      int id = g;
      List<String> keys = keysInDistinctSlots(groups[g], 10);
      Thread t =
          new Thread(
              () -> {
                try (Jedis jedis = new Jedis("127.0.0.1", node.port(), 20_000)) {
                  for (long i = 1; !stop.get(); i++) {
                    String v = Long.toString(i);
                    lastSent[id] = i;
                    Object r =
                        switch (id) {
                          case 0 -> jedis.eval(DECLARED, keys, List.of(v));
                          case 1 -> jedis.eval(UNDECLARED, List.of(), List.of(v, groups[1]));
                          default -> jedis.fcall("setall", keys, List.of(v));
                        };
                    assertEquals(10L, r);
                    lastAcked[id] = i;
                    acked.incrementAndGet();
                  }
                } catch (RuntimeException connectionLost) {
                  // killed: what was acknowledged is recorded
                }
              });
      threads.add(t);
      t.start();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (acked.get() < 90 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(ThreadLocalRandom.current().nextLong(300));
    node.kill();
    stop.set(true);
    for (Thread t : threads) {
      t.join(30_000);
    }
    for (int g = 0; g < groups.length; g++) {
      assertTrue(lastAcked[g] > 0, "no " + groups[g] + " script was acknowledged before the kill");
    }

    NodeProcess restarted = NodeProcess.start(work.resolve("data"), null, work.resolve("restarted.log"));
    nodes.add(restarted);
    try (Jedis jedis = new Jedis("127.0.0.1", restarted.port(), 20_000)) {
      for (int g = 0; g < groups.length; g++) {
        List<String> values = jedis.mget(keysInDistinctSlots(groups[g], 10).toArray(new String[0]));
        assertEquals(1, new HashSet<>(values).size(), groups[g] + " scripts left a mixed group: " + values);
        long v = Long.parseLong(values.get(0));
        assertTrue(
            v >= lastAcked[g] && v <= lastSent[g],
            groups[g] + " holds " + v + ", acknowledged " + lastAcked[g] + ", sent " + lastSent[g]);
      }
      // The function library is still there after the kill.
      assertEquals(10L, jedis.fcall("setall", keysInDistinctSlots("after", 10), List.of("x")));
    }
    System.out.printf(
        "[script kill -9] %d scripts acknowledged before the kill (declared %d, undeclared %d, function %d); "
            + "every group whole after restart%n",
        acked.get(), lastAcked[0], lastAcked[1], lastAcked[2]);
  }
}
