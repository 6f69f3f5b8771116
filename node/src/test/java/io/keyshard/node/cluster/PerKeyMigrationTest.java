package io.keyshard.node.cluster;

import static io.keyshard.node.testing.ClusterReplies.errorOf;
import static io.keyshard.node.testing.ClusterReplies.epochOf;
import static io.keyshard.node.testing.ClusterReplies.awaitServed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.ClusterJournal;
import io.keyshard.node.testing.ClusterPorts;
import io.keyshard.node.testing.RawClient;
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
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.params.MigrateParams;

/**
 * Redis's per-key slot migration on two cluster nodes in this JVM (one PostgreSQL journal):
 * every CLUSTER SETSLOT transition and its errors, CLUSTER NODES' open-slot marks, ASK, TRYAGAIN
 * and MOVED as the source and the importer decide them, ASKING's one-command turn, MIGRATE's
 * logical handover, GETKEYSINSLOT's paging, STABLE and NODE; and `redis-cli --cluster reshard`
 * moving slots that hold keys (docs/decisions/2026-12-06-slot-migration-protocol.md).
 */
@Timeout(300)
class PerKeyMigrationTest {
  private static ClusterJournal journal;
  private static String database;

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

  @BeforeEach
  void freshDatabase() throws Exception {
    database = journal.freshDatabase("migration");
  }

  private static Map<String, Object> settings(int port, List<String> seeds) {
    return journal.settings(database, port, seeds, 2);
  }

  /** Two nodes sharing the slots, started together; [0] owns the slot of "{m}". */
  private static TestNode[] startPair() throws Exception {
    int portA = ClusterPorts.next();
    int portB = ClusterPorts.next();
    Path dirA = Files.createTempDirectory("keyshard-ma");
    Path dirB = Files.createTempDirectory("keyshard-mb");
    CompletableFuture<TestNode> a = CompletableFuture.supplyAsync(() -> start(dirA, settings(portA, List.of())));
    CompletableFuture<TestNode> b =
        CompletableFuture.supplyAsync(() -> start(dirB, settings(portB, List.of("127.0.0.1:" + portA))));
    TestNode[] nodes = {a.get(), b.get()};
    for (TestNode n : nodes) {
      awaitCovered(n.port());
    }
    try (Jedis j = new Jedis("127.0.0.1", nodes[0].port(), 15_000)) {
      if (errorOf(() -> j.get("{m}")).startsWith("MOVED")) {
        return new TestNode[] {nodes[1], nodes[0]};
      }
    }
    return nodes;
  }

  private static TestNode start(Path dir, Map<String, Object> settings) {
    return ClusterJournal.start(dir, settings);
  }

  private static void awaitCovered(int port) throws Exception {
    ClusterJournal.awaitCovered(port, 2);
  }

  private static final String K = "{m}";
  private static final int SLOT = Slots.slot(K.getBytes(StandardCharsets.UTF_8));

  @Test
  void setSlotAskAskingMigrateStableAndNode() throws Exception {
    TestNode[] nodes = startPair();
    int portA = nodes[0].port();
    int portB = nodes[1].port();
    String addrA = "127.0.0.1:" + portA;
    String addrB = "127.0.0.1:" + portB;
    try (Jedis a = new Jedis("127.0.0.1", portA, 15_000);
        Jedis b = new Jedis("127.0.0.1", portB, 15_000)) {
      String idA = a.clusterMyId();
      String idB = b.clusterMyId();
      String unknown = "0".repeat(40);
      for (String k : List.of("a", "b", "c")) {
        a.set(K + k, "v" + k);
      }
      a.select(3);
      a.set(K + "d3", "in db 3");
      a.select(0);

      // Redis 7.0's refusals.
      assertEquals("ERR I'm not the owner of hash slot " + SLOT, errorOf(() -> b.clusterSetSlotMigrating(SLOT, idA)));
      assertEquals("ERR I'm already the owner of hash slot " + SLOT, errorOf(() -> a.clusterSetSlotImporting(SLOT, idB)));
      assertEquals("ERR I don't know about node " + unknown, errorOf(() -> a.clusterSetSlotMigrating(SLOT, unknown)));
      assertEquals("ERR I don't know about node " + unknown, errorOf(() -> b.clusterSetSlotImporting(SLOT, unknown)));
      assertEquals("ERR Unknown node " + unknown, errorOf(() -> a.clusterSetSlotNode(SLOT, unknown)));
      assertEquals("ERR Invalid or out of range slot", errorOf(() -> a.clusterSetSlotMigrating(16384, idB)));
      assertEquals(
          "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
          errorOf(() -> a.sendCommand(Protocol.Command.CLUSTER, "SETSLOT", Integer.toString(SLOT), "MIGRATING")));
      assertEquals("OK", a.clusterSetSlotStable(SLOT), "nothing open: STABLE holds already");

      // IMPORTING on the target, then MIGRATING on the source, as redis-cli sends them; each
      // shows on its own node's myself line only, and a repeat answers OK.
      assertEquals("OK", b.clusterSetSlotImporting(SLOT, idA));
      assertEquals("OK", b.clusterSetSlotImporting(SLOT, idA));
      assertTrue(myLine(b).endsWith(" [" + SLOT + "-<-" + idA + "]"), myLine(b));
      assertTrue(!a.clusterNodes().contains("[" + SLOT), a.clusterNodes());
      long epoch = epochOf(b.clusterInfo());
      assertEquals("OK", a.clusterSetSlotMigrating(SLOT, idB));
      assertEquals("OK", a.clusterSetSlotMigrating(SLOT, idB));
      assertEquals(epoch + 1, epochOf(a.clusterInfo()), "one change, one epoch: the repeat wrote nothing");
      assertTrue(myLine(a).endsWith(" [" + SLOT + "->-" + idB + "]"), myLine(a));
      assertTrue(!lineOf(b, idA).contains("["), "not on another node's line: " + lineOf(b, idA));

      // The source: keys still here are served, reads and writes; others get ASK; a mix TRYAGAIN.
      assertEquals("va", a.get(K + "a"));
      assertEquals("OK", a.set(K + "a", "va2"));
      assertEquals("ASK " + SLOT + " " + addrB, errorOf(() -> a.get(K + "absent")));
      assertEquals("ASK " + SLOT + " " + addrB, errorOf(() -> a.set(K + "absent", "x")));
      assertEquals("TRYAGAIN Multiple keys request during rehashing of slot", errorOf(() -> a.mget(K + "a", K + "absent")));
      a.select(3);
      assertEquals("in db 3", a.get(K + "d3"), "existence in the client's database");
      assertEquals("ASK " + SLOT + " " + addrB, errorOf(() -> a.get(K + "a")));
      a.select(0);

      // MIGRATE hands {m}a over: OK without copying; NOKEY when nothing is left to hand over.
      assertEquals("OK", a.migrate("127.0.0.1", portB, 0, 5000, new MigrateParams(), K + "a", K + "absent"));
      assertEquals("NOKEY", a.migrate("127.0.0.1", portB, 0, 5000, new MigrateParams(), K + "a"));
      assertTrue(
          errorOf(() -> a.migrate("127.0.0.1", portB, 0, 5000, new MigrateParams().copy(), K + "b")).startsWith("ERR MIGRATE COPY"));
      assertEquals("ASK " + SLOT + " " + addrB, errorOf(() -> a.get(K + "a")));
      assertEquals("TRYAGAIN Multiple keys request during rehashing of slot", errorOf(() -> a.mget(K + "a", K + "b")));

      // The importer: MOVED without ASKING; with it, one command is served (by the source).
      assertEquals("MOVED " + SLOT + " " + addrA, errorOf(() -> b.get(K + "a")));
      assertEquals("OK", b.asking());
      assertEquals("va2", b.get(K + "a"));
      assertEquals("MOVED " + SLOT + " " + addrA, errorOf(() -> b.get(K + "a")), "ASKING lasts one command");
      b.asking();
      assertEquals("OK", b.set(K + "new", "n1"));
      assertEquals("ASK " + SLOT + " " + addrB, errorOf(() -> a.get(K + "new")), "a key written there is there");
      b.asking();
      assertEquals(1L, b.incr(K + "n"));
      b.asking();
      assertEquals(List.of("va2", "n1"), b.mget(K + "a", K + "new"));
      b.asking();
      assertEquals("TRYAGAIN Multiple keys request during rehashing of slot", errorOf(() -> b.mget(K + "a", K + "b")));
      b.asking();
      assertEquals("TRYAGAIN Multiple keys request during rehashing of slot", errorOf(() -> b.mget(K + "a", K + "nothing")));
      // Pipelined, as cluster clients send it.
      try (RawClient raw = new RawClient(portB)) {
        raw.send(bytes("ASKING"));
        raw.send(bytes("GET"), bytes(K + "a"));
        raw.send(bytes("GET"), bytes(K + "a"));
        assertEquals("+OK", raw.readReply());
        assertEquals("\"va2\"", raw.readReply());
        assertEquals("-MOVED " + SLOT + " " + addrA, raw.readReply());
      }
      // The internal forward is no command for a client.
      assertTrue(errorOf(() -> b.sendCommand(() -> bytes("KEYSHARD.ASKED"), "x")).startsWith("ERR unknown command"));

      // GETKEYSINSLOT and COUNTKEYSINSLOT: what the source still answers for; nothing elsewhere.
      assertEquals(Set.of(K + "b", K + "c"), new HashSet<>(a.clusterGetKeysInSlot(SLOT, 100)));
      assertEquals(1, a.clusterGetKeysInSlot(SLOT, 1).size());
      assertEquals(2L, a.clusterCountKeysInSlot(SLOT));
      assertEquals(List.of(), b.clusterGetKeysInSlot(SLOT, 100));
      assertEquals(0L, b.clusterCountKeysInSlot(SLOT));

      // A cluster client follows ASK by itself.
      try (JedisCluster jc = cluster(portA)) {
        assertEquals("va2", jc.get(K + "a"));
        assertEquals("vb", jc.get(K + "b"));
        assertEquals("OK", jc.set(K + "fromClient", "c1"));
        assertEquals("c1", jc.get(K + "fromClient"));
      }

      // STABLE on both: every key is the source's again.
      assertEquals("OK", a.clusterSetSlotStable(SLOT));
      assertEquals("OK", b.clusterSetSlotStable(SLOT));
      assertTrue(!a.clusterNodes().contains("[") && !b.clusterNodes().contains("["), b.clusterNodes());
      assertEquals("va2", a.get(K + "a"));
      assertEquals("n1", a.get(K + "new"));
      b.asking();
      assertEquals("MOVED " + SLOT + " " + addrA, errorOf(() -> b.get(K + "a")));
      assertEquals(6L, a.clusterCountKeysInSlot(SLOT));

      // Again, to the end: hand everything over, then SETSLOT NODE to the target, the source,
      // and again (redis-cli's order); repeats answer OK at once, the open marks are gone.
      assertEquals("OK", b.clusterSetSlotImporting(SLOT, idA));
      assertEquals("OK", a.clusterSetSlotMigrating(SLOT, idB));
      assertEquals("ERR I'm already the owner of hash slot " + SLOT, errorOf(() -> a.clusterSetSlotImporting(SLOT, idB)));
      assertEquals("va2", a.get(K + "a"), "the earlier migration's marks are void");
      List<String> left;
      while (!(left = a.clusterGetKeysInSlot(SLOT, 2)).isEmpty()) {
        assertEquals("OK", a.migrate("127.0.0.1", portB, 0, 5000, new MigrateParams(), left.toArray(new String[0])));
      }
      assertEquals(0L, a.clusterCountKeysInSlot(SLOT));
      assertEquals("OK", b.clusterSetSlotNode(SLOT, idB));
      assertEquals("OK", a.clusterSetSlotNode(SLOT, idB));
      assertEquals("OK", b.clusterSetSlotNode(SLOT, idB));
      assertTrue(!a.clusterNodes().contains("[") && !b.clusterNodes().contains("["), b.clusterNodes());
      assertEquals("va2", awaitServed(b, K + "a"));
      for (String k : List.of("b", "c", "new", "n", "fromClient")) {
        assertTrue(b.get(K + k) != null, k);
      }
      b.select(3);
      assertEquals("in db 3", b.get(K + "d3"), "other databases move with the slot");
      b.select(0);
      assertEquals("MOVED " + SLOT + " " + addrB, errorOf(() -> a.get(K + "a")));
      assertEquals(6L, b.clusterCountKeysInSlot(SLOT));
    } finally {
      nodes[0].close();
      nodes[1].close();
    }
  }

  /** redis-cli --cluster reshard moves slots with keys: every key is readable afterwards. */
  /**
   * With requirepass (the same on every node, as redis-cli --cluster -a assumes), a request asked
   * at the importer is forwarded to the source on a connection that authenticates first.
   */
  @Test
  void askingIsServedWhenTheClusterHasAPassword() throws Exception {
    int portA = ClusterPorts.next();
    int portB = ClusterPorts.next();
    Map<String, Object> sa = settings(portA, List.of());
    Map<String, Object> sb = settings(portB, List.of("127.0.0.1:" + portA));
    sa.put("keyshard.requirepass", "s3cret");
    sb.put("keyshard.requirepass", "s3cret");
    Path dirA = Files.createTempDirectory("keyshard-pa");
    Path dirB = Files.createTempDirectory("keyshard-pb");
    CompletableFuture<TestNode> fa = CompletableFuture.supplyAsync(() -> start(dirA, sa));
    CompletableFuture<TestNode> fb = CompletableFuture.supplyAsync(() -> start(dirB, sb));
    TestNode[] nodes = {fa.get(), fb.get()};
    try (Jedis a0 = new Jedis("127.0.0.1", portA, 15_000);
        Jedis b0 = new Jedis("127.0.0.1", portB, 15_000)) {
      a0.auth("s3cret");
      b0.auth("s3cret");
      long until = System.currentTimeMillis() + 60_000;
      while (!(a0.clusterInfo().contains("cluster_state:ok") && b0.clusterInfo().contains("cluster_known_nodes:2")
          && a0.clusterInfo().contains("cluster_known_nodes:2") && b0.clusterInfo().contains("cluster_state:ok"))
          && System.currentTimeMillis() < until) {
        Thread.sleep(100);
      }
      boolean aOwns = !errorOf(() -> a0.get(K)).startsWith("MOVED");
      Jedis source = aOwns ? a0 : b0;
      Jedis target = aOwns ? b0 : a0;
      int targetPort = aOwns ? portB : portA;
      source.set(K + "p", "secret value");
      assertEquals("OK", target.clusterSetSlotImporting(SLOT, source.clusterMyId()));
      assertEquals("OK", source.clusterSetSlotMigrating(SLOT, target.clusterMyId()));
      assertEquals("OK", source.migrate("127.0.0.1", targetPort, 0, 5000, new MigrateParams(), K + "p"));
      assertEquals("OK", target.asking());
      assertEquals("secret value", target.get(K + "p"), "forwarded to the source with AUTH");
      target.asking();
      assertEquals("OK", target.set(K + "q", "written through the importer"));
      assertEquals("OK", target.clusterSetSlotNode(SLOT, target.clusterMyId()));
      long settle = System.currentTimeMillis() + 30_000;
      String v = null;
      while (System.currentTimeMillis() < settle) {
        String e = errorOf(() -> target.get(K + "q"));
        if (!e.startsWith("MOVED") && !e.startsWith("TRYAGAIN")) {
          v = target.get(K + "q");
          break;
        }
        Thread.sleep(100);
      }
      assertEquals("written through the importer", v);
    } finally {
      for (TestNode n : nodes) {
        n.close();
      }
    }
  }

  @Test
  void redisCliReshardMovesSlotsWithKeys() throws Exception {
    TestNode[] nodes = startPair();
    int portA = nodes[0].port();
    int portB = nodes[1].port();
    try (Jedis a = new Jedis("127.0.0.1", portA, 15_000);
        Jedis b = new Jedis("127.0.0.1", portB, 15_000);
        JedisCluster jc = cluster(portA)) {
      String idA = a.clusterMyId();
      String idB = b.clusterMyId();
      int firstOfA = Integer.parseInt(myLine(a).split(" ")[8].split("-")[0]);
      // Keys in the first slots of A (which reshard moves first).
      List<String> keys = new ArrayList<>();
      for (int i = 0; keys.size() < 300; i++) {
        String k = "r" + i;
        int slot = Slots.slot(k.getBytes(StandardCharsets.UTF_8));
        if (slot >= firstOfA && slot < firstOfA + 40) {
          keys.add(k);
        }
        if (i > 10_000_000) {
          break;
        }
      }
      for (String k : keys) {
        jc.set(k, "v-" + k);
      }
      String out =
          run("timeout", "120", "redis-cli", "--cluster", "reshard", "127.0.0.1:" + portA,
              "--cluster-from", idA, "--cluster-to", idB, "--cluster-slots", "40", "--cluster-yes",
              "--cluster-pipeline", "7");
      assertTrue(out.contains("Moving slot "), out);
      assertTrue(!out.contains("ERR") && !out.contains("[ERR]"), out);
      for (String k : keys) {
        assertEquals("v-" + k, jc.get(k), k);
      }
      String check = run("redis-cli", "--cluster", "check", "127.0.0.1:" + portB);
      assertTrue(check.contains("[OK] All nodes agree about slots configuration."), check);
      assertTrue(!check.contains("importing") && !check.contains("migrating"), check);
      assertEquals(8192 + 40, slotCount(myLine(b)), myLine(b));
    } finally {
      nodes[0].close();
      nodes[1].close();
    }
  }

  @Test
  void askingWithoutClusterModeIsRefused() throws Exception {
    try (TestNode n = TestNode.start();
        Jedis j = new Jedis("127.0.0.1", n.port(), 15_000)) {
      assertEquals("ERR This instance has cluster support disabled", errorOf(j::asking));
    }
  }

  private static JedisCluster cluster(int port) {
    return new JedisCluster(
        Set.of(new HostAndPort("127.0.0.1", port)), 15_000, 15_000, 5, null, null, new ConnectionPoolConfig());
  }

  private static String myLine(Jedis j) {
    return j.clusterNodes().lines().filter(l -> l.contains("myself")).findFirst().orElseThrow();
  }

  /** How many slots a CLUSTER NODES line lists. */
  private static int slotCount(String line) {
    String[] f = line.split(" ");
    int n = 0;
    for (int i = 8; i < f.length; i++) {
      if (!f[i].startsWith("[")) {
        String[] r = f[i].split("-");
        n += r.length == 1 ? 1 : Integer.parseInt(r[1]) - Integer.parseInt(r[0]) + 1;
      }
    }
    return n;
  }

  private static String lineOf(Jedis j, String id) {
    return j.clusterNodes().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }
}
