package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.commands.WaitCommand;
import io.keyshard.node.testing.ClusterJournal;
import io.keyshard.node.testing.ClusterPorts;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * WAIT in cluster mode with a replica (docs/decisions/2026-12-08-wait.md): a primary that owns
 * every slot and a replica kept warm from the journal. WAIT 1 answers 1 once the replica's warm
 * copy has applied the client's writes, and they are then readable there (READONLY) without
 * waiting; inside MULTI it does not block; the replica refuses WAIT; with the replica stopped,
 * WAIT 1 with a timeout answers 0.
 */
@Timeout(240)
class WaitReplicaTest {
  private static ClusterJournal journal;

  @BeforeAll
  static void startJournal() throws Exception {
    journal = ClusterJournal.start();
  }

  @AfterAll
  static void stopJournal() throws Exception {
    if (journal != null) {
      journal.close();
    }
  }

  @Test
  void waitCountsTheReplicaOnceItHasAppliedTheWrites() throws Exception {
    String db = journal.freshDatabase("wait");
    int portA = ClusterPorts.next();
    int portC = ClusterPorts.next();
    TestNode a = ClusterJournal.start(Files.createTempDirectory("keyshard-wa"), journal.settings(db, portA, List.of(), 1));
    TestNode c = null;
    try {
      ClusterJournal.awaitCovered(portA, 1);
      try (RawClient p = new RawClient(portA)) {
        // No replica yet: nothing to count.
        assertEquals("+OK", p.call("SET", "k0", "v0"));
        assertEquals(":0", p.call("WAIT", "0", "0"));
        assertEquals(":0", p.call("WAIT", "1", "200"));
      }
      Map<String, Object> replica = journal.settings(db, portC, List.of("127.0.0.1:" + portA), 1);
      replica.put("keyshard.cluster.replica", true);
      c = ClusterJournal.start(Files.createTempDirectory("keyshard-wc"), replica);
      ClusterJournal.awaitCovered(portC, 2);
      try (Jedis jc = new Jedis("127.0.0.1", portC, 15_000)) {
        long until = System.currentTimeMillis() + 60_000;
        while (!jc.clusterNodes().contains("myself,slave") && System.currentTimeMillis() < until) {
          Thread.sleep(100);
        }
        assertTrue(jc.clusterNodes().contains("myself,slave"), jc.clusterNodes());
      }
      try (RawClient p = new RawClient(portA);
          RawClient r = new RawClient(portC)) {
        assertEquals("-ERR " + WaitCommand.ON_REPLICA, r.call("WAIT", "0", "0"));
        assertEquals("-ERR " + WaitCommand.ON_REPLICA, r.call("WAIT", "x", "-1"));
        assertEquals("+OK", r.call("READONLY"));

        assertEquals("+OK", p.call("SET", "k1", "v1"));
        assertEquals(":1", p.call("WAIT", "1", "15000"));
        // The count was true: the replica's copy has the write now, no waiting.
        assertEquals("\"v1\"", r.call("GET", "k1"));

        // Writes to many slots, then one WAIT: every one of them is on the replica when it answers.
        for (int i = 0; i < 200; i++) {
          assertEquals("+OK", p.call("SET", "many:" + i, "v" + i));
        }
        assertEquals(":1", p.call("WAIT", "1", "15000"));
        for (int i = 0; i < 200; i++) {
          assertEquals("\"v" + i + "\"", r.call("GET", "many:" + i), "many:" + i);
        }

        // Inside MULTI it never blocks: the count as it is (enough or not).
        assertEquals("+OK", p.call("MULTI"));
        assertEquals("+QUEUED", p.call("SET", "k2", "v2"));
        assertEquals("+QUEUED", p.call("WAIT", "2", "0"));
        assertEquals("[+OK, :1]", p.call("EXEC"));
        assertEquals(":1", p.call("WAIT", "1", "15000"));
        assertEquals("\"v2\"", r.call("GET", "k2"));
      }
      c.close();
      c = null;
      try (RawClient p = new RawClient(portA)) {
        assertEquals("+OK", p.call("SET", "k3", "v3"));
        // The replica is gone: nobody applies k3, and WAIT says so when its timeout passes.
        assertEquals(":0", p.call("WAIT", "1", "500"));
      }
    } finally {
      if (c != null) {
        c.close();
      }
      a.close();
    }
  }
}
