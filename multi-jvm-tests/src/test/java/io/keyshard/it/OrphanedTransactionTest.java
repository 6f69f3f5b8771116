package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A node that dies after a multi-slot transaction's commit point and never comes back: its
 * committed transaction is completed by the survivors (docs/decisions/2026-12-06-fencing-every-
 * write.md). Three node JVMs on one PostgreSQL; the third runs a MULTI/EXEC over four of its
 * slots and stops its JVM (as kill -9 would) right after the commit record, or after one slot
 * applied its share. The survivors take its slots and, within a bound, serve every key of the
 * transaction with its new value: all of it, never part. A client that writes one of those keys
 * as soon as a survivor serves it keeps its write: the survivor applied the committed share
 * before serving the slot, so the share never lands on top of the client's later write
 * (docs/decisions/2026-12-07-shares-before-serving.md).
 */
@Timeout(600)
class OrphanedTransactionTest {

  @ParameterizedTest
  @ValueSource(strings = {"after-commit-record", "between-applies"})
  void aGoneNodesCommittedTransactionIsCompletedByTheSurvivors(String point) throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "orphan-" + point + "-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {Ports.cluster(), Ports.cluster(), Ports.cluster()};
      List<Path> configs = ClusterProbe.configs(work, pg.getJdbcUrl("postgres", "postgres"), ports, 3, i -> "");
      NodeProcess[] nodes = new NodeProcess[3];
      for (int i = 0; i < 3; i++) {
        List<String> options = i == 2 ? List.of("-Dkeyshard.test.crash-point=" + point) : List.of();
        nodes[i] = NodeProcess.launch(work.resolve("data" + i), configs.get(i), ports[i], work.resolve("node" + i + ".log"), options);
      }
      try {
        for (NodeProcess n : nodes) {
          n.awaitReady();
        }
        for (int port : ports) {
          awaitSettled(port, Set.of(ports[0], ports[1], ports[2]));
        }
        int gone = ports[2];
        Map<Integer, Integer> owner = ClusterProbe.ownerBySlot(ports[0]);
        List<String> keys = new ArrayList<>();
        Set<Integer> slots = new HashSet<>();
        for (int i = 0; keys.size() < 4; i++) {
          String k = "orphan:" + i;
          int slot = JedisClusterCRC16.getSlot(k);
          if (owner.get(slot) == gone && slots.add(slot)) {
            keys.add(k);
          }
        }
        try (Jedis c = new Jedis("127.0.0.1", gone, 20_000)) {
          for (String k : keys) {
            assertEquals("OK", c.set(k, "old"));
          }
          Transaction multi = c.multi();
          for (String k : keys) {
            multi.set(k, "new");
          }
          try {
            multi.exec();
            throw new AssertionError("the node answered EXEC instead of stopping at " + point);
          } catch (JedisConnectionException stopped) {
            // The JVM halted at the crash point: no reply.
          }
        }
        assertTrue(nodes[2].waitForExit(Duration.ofSeconds(30)), "the node stopped at " + point);
        long stoppedAt = System.currentTimeMillis();

        int[] live = {ports[0], ports[1]};
        // As soon as a survivor serves it: the first write to the key after the crash.
        String overwritten = keys.get(0);
        long ackedAt = setAcknowledged(live, overwritten, "client", stoppedAt + 60_000);
        assertEquals("client", get(live[0], overwritten), "read back at once");
        for (int port : live) {
          awaitSettled(port, Set.of(live[0], live[1]));
        }
        long settledAt = System.currentTimeMillis();
        // Never restarted: the survivors complete what it committed.
        Map<String, String> values = new HashMap<>();
        long until = stoppedAt + 60_000;
        while (true) {
          values.clear();
          for (String k : keys) {
            values.put(k, get(live[0], k));
          }
          boolean rest = keys.stream().skip(1).allMatch(k -> "new".equals(values.get(k)));
          if (rest || System.currentTimeMillis() > until) {
            break;
          }
          Thread.sleep(200);
        }
        System.out.printf(
            "%s: a client's write acknowledged %.1f s after the node stopped, slots taken over %.1f s after,"
                + " transaction complete %.1f s after%n",
            point, (ackedAt - stoppedAt) / 1000.0, (settledAt - stoppedAt) / 1000.0,
            (System.currentTimeMillis() - stoppedAt) / 1000.0);
        for (String k : keys.subList(1, keys.size())) {
          assertEquals("new", values.get(k), k + " (all keys: " + values + ")");
        }
        // The keys show the new values once the shares are applied; the log is completed (and
        // says so) just after.
        long logUntil = System.currentTimeMillis() + 30_000;
        while (!completedByASurvivor(nodes) && System.currentTimeMillis() < logUntil) {
          Thread.sleep(200);
        }
        assertTrue(completedByASurvivor(nodes), "a survivor completed the gone node's log");
        // Completed after the client's write: the share was applied before it, never over it.
        assertEquals("client", get(live[0], overwritten), overwritten + " keeps the write made after the crash");
      } finally {
        for (NodeProcess n : nodes) {
          if (n != null) {
            n.close();
          }
        }
      }
    }
  }

  private static boolean completedByASurvivor(NodeProcess[] nodes) {
    return nodes[0].logText().contains("pending transactions of gone node")
        || nodes[1].logText().contains("pending transactions of gone node");
  }

  /**
   * Writes {@code key} through the survivors from the moment one of them serves its slot
   * (until then: MOVED to the stopped node, CLUSTERDOWN, refused connections); the time of the
   * acknowledgment.
   */
  private static long setAcknowledged(int[] live, String key, String value, long until) throws InterruptedException {
    String last = "";
    while (System.currentTimeMillis() < until) {
      int port = live[0];
      for (int hop = 0; hop < 3; hop++) {
        try (Jedis j = new Jedis("127.0.0.1", port, 10_000)) {
          if ("OK".equals(j.set(key, value))) {
            return System.currentTimeMillis();
          }
        } catch (JedisMovedDataException moved) {
          port = moved.getTargetNode().getPort();
          last = moved.getMessage();
          continue;
        } catch (RuntimeException notYet) {
          last = notYet.toString();
        }
        break;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no survivor served " + key + ": " + last);
  }

  /** The key's value from its owner, following MOVED while the nodes' tables converge. */
  private static String get(int port, String key) throws InterruptedException {
    for (int hop = 0; ; hop++) {
      try (Jedis j = new Jedis("127.0.0.1", port, 10_000)) {
        return j.get(key);
      } catch (JedisMovedDataException moved) {
        if (hop > 100) {
          throw moved;
        }
        port = moved.getTargetNode().getPort();
        Thread.sleep(100);
      }
    }
  }

  /** Until the node names exactly {@code live} as owners of all 16384 slots, cluster_state:ok. */
  private static void awaitSettled(int port, Set<Integer> live) throws Exception {
    long until = System.currentTimeMillis() + 120_000;
    String last = "";
    while (System.currentTimeMillis() < until) {
      try {
        Map<Integer, Integer> owner = ClusterProbe.ownerBySlot(port);
        try (Jedis j = new Jedis("127.0.0.1", port, 5000)) {
          last = j.clusterInfo();
        }
        if (last.contains("cluster_state:ok") && owner.size() == 16384
            && live.containsAll(owner.values()) && new HashSet<>(owner.values()).equals(live)) {
          return;
        }
      } catch (RuntimeException notYet) {
        last = notYet.toString();
      }
      Thread.sleep(250);
    }
    throw new AssertionError("not settled on " + port + " with " + live + ":\n" + last);
  }
}
