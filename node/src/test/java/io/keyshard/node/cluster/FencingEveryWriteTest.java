package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.ClusterJournal;
import io.keyshard.node.testing.ClusterPorts;
import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * An incarnation of a slot on a node that no longer owns it journals nothing, whatever starts
 * it and whatever it would do by itself (docs/decisions/2026-12-06-fencing-every-write.md). Two
 * nodes on one PostgreSQL: a slot holding keys with a TTL and large values is moved away with
 * SETSLOT NODE and then left to nobody (DELSLOTS), so that no owner writes its journal any
 * more; a client that WATCHed a key there before the move then sends UNWATCH to the old owner,
 * which starts an incarnation of the slot there (recovered from the journal). While its keys
 * come due and the old owner is over maxmemory with allkeys-random, the slot's journal must
 * not grow: no expiry, no eviction from the old owner.
 */
@Timeout(240)
class FencingEveryWriteTest {
  private static ClusterJournal journal;

  @BeforeAll
  static void startPostgres() throws Exception {
    journal = ClusterJournal.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (journal != null) {
      journal.close();
    }
  }

  private static Map<String, Object> settings(String database, int port, List<String> seeds) {
    return journal.settings(database, port, seeds, 2);
  }

  private static TestNode start(Path dir, Map<String, Object> settings) {
    return ClusterJournal.start(dir, settings);
  }

  private static void awaitCovered(int port) throws Exception {
    ClusterJournal.awaitCovered(port, 2);
  }

  private static long journalHead(String database, int slot) throws Exception {
    try (Connection c = journal.postgres().getDatabase("postgres", database).getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT coalesce(max(sequence_number), 0) FROM event_journal WHERE persistence_id = 'slot-" + slot + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long info(Jedis j, String field) {
    for (String line : j.info("cluster").split("\r\n")) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).trim());
      }
    }
    throw new AssertionError("no " + field);
  }

  private static String errorOf(Runnable call) {
    try {
      call.run();
      return "(no error)";
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }

  private static void await(String what, BooleanSupplier done) throws Exception {
    long until = System.currentTimeMillis() + 30_000;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > until) {
        throw new AssertionError("timed out waiting: " + what);
      }
      Thread.sleep(100);
    }
  }

  @Test
  void theFormerOwnerJournalsNoExpiryAndNoEvictionAfterTheSlotMoved() throws Exception {
    String database = journal.freshDatabase("fence");
    int portA = ClusterPorts.next();
    int portB = ClusterPorts.next();
    CompletableFuture<TestNode> startA =
        CompletableFuture.supplyAsync(
            () -> start(tmp("keyshard-fence-a"), settings(database, portA, List.of())));
    CompletableFuture<TestNode> startB =
        CompletableFuture.supplyAsync(
            () -> start(tmp("keyshard-fence-b"), settings(database, portB, List.of("127.0.0.1:" + portA))));
    TestNode a = startA.get();
    TestNode b = startB.get();
    try {
      awaitCovered(portA);
      awaitCovered(portB);
      String tag = "{fence}";
      int slot = Slots.slot(tag.getBytes(StandardCharsets.UTF_8));
      try (Jedis ja = new Jedis("127.0.0.1", portA, 15_000);
          Jedis jb = new Jedis("127.0.0.1", portB, 15_000);
          Jedis watcher0 = new Jedis("127.0.0.1", portA, 15_000);
          Jedis watcher1 = new Jedis("127.0.0.1", portB, 15_000)) {
        boolean onA = !errorOf(() -> ja.get(tag + "probe")).startsWith("MOVED");
        Jedis owner = onA ? ja : jb;
        Jedis other = onA ? jb : ja;
        Jedis watcher = onA ? watcher0 : watcher1;
        String otherId = other.clusterMyId();

        // Keys due at a fixed time, after the moves below, and large values without a TTL.
        long dueAt = System.currentTimeMillis() + 15_000;
        for (int i = 0; i < 20; i++) {
          owner.set(tag + "ttl:" + i, "v");
          owner.pexpireAt(tag + "ttl:" + i, dueAt);
        }
        String big = "x".repeat(20_000);
        for (int i = 0; i < 50; i++) {
          owner.set(tag + "big:" + i, big);
        }
        // A client's WATCH names the slot in its connection's session on the owner.
        assertEquals("OK", watcher.watch(tag + "ttl:0"));

        assertEquals("OK", owner.clusterSetSlotNode(slot, otherId));
        await("the other node serves the slot", () -> "v".equals(quiet(() -> other.get(tag + "ttl:0"))));
        assertEquals("OK", other.clusterDelSlots(slot));
        await(
            "nobody serves the slot",
            () -> errorOf(() -> owner.get(tag + "ttl:0")).startsWith("CLUSTERDOWN")
                && errorOf(() -> other.get(tag + "ttl:0")).startsWith("CLUSTERDOWN"));

        long head = journalHead(database, slot);
        assertTrue(head > 0);
        assertTrue(System.currentTimeMillis() < dueAt - 3_000, "the moves took too long for this test's timing");
        long recoveredBefore = info(owner, "keyshard_slots_recovered");

        // The former owner starts an incarnation of the slot (UNWATCH tells the slot).
        assertEquals("OK", watcher.unwatch());
        await(
            "the former owner started the slot again",
            () -> info(owner, "keyshard_slots_recovered") > recoveredBefore);

        // Over maxmemory: its evictor samples the slots it runs, by their memory.
        owner.configSet("maxmemory-policy", "allkeys-random");
        owner.configSet("maxmemory", "1");
        String own = ownKey(owner);
        for (int i = 0; i < 5; i++) {
          quiet(() -> owner.set(own, "v"));
        }
        owner.configSet("maxmemory", "0");

        // Past the keys' expiry time: the former owner's expiry would run now.
        Thread.sleep(Math.max(0, dueAt - System.currentTimeMillis()) + 2_500);
        assertEquals(head, journalHead(database, slot), "slot " + slot + "'s journal grew after it moved away");

        // Given back, the slot holds every large value (nothing was evicted) and no due key.
        assertEquals("OK", owner.clusterAddSlots(slot));
        await("the slot is served again", () -> quiet(() -> owner.get(tag + "big:0")) != null);
        for (int i = 0; i < 50; i++) {
          assertEquals(big, owner.get(tag + "big:" + i));
        }
        for (int i = 0; i < 20; i++) {
          assertEquals(null, owner.get(tag + "ttl:" + i));
        }
      }
    } finally {
      a.close();
      b.close();
    }
  }

  private static Path tmp(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  /** A key of a slot {@code j}'s node serves. */
  private static String ownKey(Jedis j) {
    for (int i = 0; ; i++) {
      String k = "own:" + i;
      if (!errorOf(() -> j.exists(k)).startsWith("MOVED")) {
        return k;
      }
    }
  }

  private static String quiet(Supplier<String> call) {
    try {
      return call.get();
    } catch (JedisDataException e) {
      return null;
    }
  }
}
