package io.keyshard.node.cluster;

import static io.keyshard.node.testing.ClusterReplies.errorOf;
import static io.keyshard.node.testing.ClusterReplies.ownerOf;
import static io.keyshard.node.testing.ClusterJournal.awaitCovered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.ClusterJournal;
import io.keyshard.node.testing.ClusterPorts;
import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
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

/**
 * CLUSTER MIGRATESLOTS, GETSLOTMIGRATIONS and CANCELSLOTMIGRATIONS on real nodes in this JVM
 * over one embedded PostgreSQL journal: Valkey's replies and errors, and a third of the slots
 * moved while JedisCluster clients keep a ledger of counters and values (no acknowledged write
 * lost or doubled, no client error), with each slot's pause printed.
 */
@Timeout(300)
class SlotMigrationTest {
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
    database = journal.freshDatabase("migrate");
  }

  private static Map<String, Object> settings(int port, List<String> seeds, int minNodes) {
    return journal.settings(database, port, seeds, minNodes);
  }

  private static TestNode[] startNodes(int n) throws Exception {
    int[] ports = new int[n];
    for (int i = 0; i < n; i++) {
      ports[i] = ClusterPorts.next();
    }
    List<CompletableFuture<TestNode>> starting = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<String> seeds = i == 0 ? List.of() : List.of("127.0.0.1:" + ports[0]);
      Map<String, Object> s = settings(ports[i], seeds, n);
      starting.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return TestNode.start(Files.createTempDirectory("keyshard-mig"), s);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              }));
    }
    TestNode[] nodes = new TestNode[n];
    for (int i = 0; i < n; i++) {
      nodes[i] = starting.get(i).get();
    }
    for (TestNode node : nodes) {
      awaitCovered(node.port(), n);
    }
    return nodes;
  }

  private static void closeAll(TestNode[] nodes) throws Exception {
    for (TestNode n : nodes) {
      if (n != null) {
        n.close();
      }
    }
  }

  private static Object cluster(Jedis j, String... args) {
    return j.sendCommand(Protocol.Command.CLUSTER, args);
  }

  private static String text(Object reply) {
    return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
  }

  /** CLUSTER GETSLOTMIGRATIONS as a list of field maps (RESP2: flat arrays). */
  @SuppressWarnings("unchecked")
  static List<Map<String, String>> migrations(Jedis j) {
    List<Map<String, String>> out = new ArrayList<>();
    for (Object job : (List<Object>) cluster(j, "GETSLOTMIGRATIONS")) {
      List<Object> kv = (List<Object>) job;
      Map<String, String> m = new LinkedHashMap<>();
      for (int i = 0; i + 1 < kv.size(); i += 2) {
        m.put(text(kv.get(i)), text(kv.get(i + 1)));
      }
      out.add(m);
    }
    return out;
  }

  /** Waits until every job has finished; answers them. */
  static List<Map<String, String>> awaitFinished(Jedis j, long timeoutMs) throws Exception {
    long until = System.currentTimeMillis() + timeoutMs;
    while (true) {
      List<Map<String, String>> jobs = migrations(j);
      if (jobs.stream().allMatch(m -> Set.of("success", "failed", "cancelled").contains(m.get("state")))) {
        return jobs;
      }
      if (System.currentTimeMillis() > until) {
        throw new AssertionError("migrations not finished: " + jobs);
      }
      Thread.sleep(100);
    }
  }

  /** Runs bin/keyshard-migrate.py (what bin/keyshard-cluster rebalance|move runs); its output. */
  private static String script(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("python3", Path.of("..", "bin", "keyshard-migrate.py").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    System.out.println("keyshard-migrate.py " + String.join(" ", args) + ":\n" + out);
    return out;
  }

  private static int slotsOf(Jedis j, String id) {
    int n = 0;
    for (String line : j.clusterNodes().split("\n")) {
      String[] f = line.trim().split(" ");
      if (!f[0].equals(id)) {
        continue;
      }
      for (int i = 8; i < f.length; i++) {
        String[] r = f[i].split("-");
        n += (r.length > 1 ? Integer.parseInt(r[1]) : Integer.parseInt(r[0])) - Integer.parseInt(r[0]) + 1;
      }
    }
    return n;
  }

  @Test
  void commandsAnswerAsValkey() throws Exception {
    TestNode[] nodes = startNodes(2);
    try (Jedis a = new Jedis("127.0.0.1", nodes[0].port(), 15_000);
        Jedis b = new Jedis("127.0.0.1", nodes[1].port(), 15_000)) {
      String idA = a.clusterMyId();
      String idB = b.clusterMyId();
      // The owner of slot 0 and the other node, whichever they are.
      String owner = ownerOf(a, 0);
      String other = owner.equals(idA) ? idB : idA;
      Jedis ownerConn = owner.equals(idA) ? a : b;
      int end = 0;
      while (end + 1 < 16384 && ownerOf(a, end + 1).equals(owner)) {
        end++;
      }
      int last = end;
      assertTrue(last >= 1000, "the owner of slot 0 holds a range: " + last);

      assertEquals("ERR wrong number of arguments for 'cluster|migrateslots' command",
          errorOf(() -> cluster(a, "MIGRATESLOTS")));
      assertEquals("ERR syntax error", errorOf(() -> cluster(a, "MIGRATESLOTS", "FOO")));
      assertEquals("ERR No slot ranges specified", errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "NODE", other)));
      assertEquals("ERR No end slot for final slot range", errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "5")));
      assertEquals("ERR Start slot number 10 is greater than end slot number 5.",
          errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "10", "5", "NODE", other)));
      assertEquals("ERR Slot range 5-20 overlaps with previous range 0-10.",
          errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "0", "10", "5", "20", "NODE", other)));
      assertEquals("ERR Invalid or out of range slot",
          errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "0", "16384", "NODE", other)));
      assertEquals("ERR syntax error", errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "0", "1")));
      assertEquals("ERR syntax error", errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "0", "1", "TO", other)));
      assertEquals("ERR Invalid node name: abc", errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "0", "1", "NODE", "abc")));
      String nobody = "0".repeat(40);
      assertEquals("ERR Unknown node name: " + nobody,
          errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "0", "1", "NODE", nobody)));
      assertEquals("ERR Requested slots span multiple shards",
          errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "0", "16383", "NODE", other)));
      assertEquals("ERR Target node can not be this node.",
          errorOf(() -> cluster(b, "MIGRATESLOTS", "SLOTSRANGE", "0", "1", "NODE", owner)));
      assertEquals("ERR Slot ranges in migrations overlap",
          errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "0", "5", "NODE", other, "SLOTSRANGE", "3", "8", "NODE", other)));
      assertEquals("ERR No migrations ongoing", errorOf(() -> cluster(a, "CANCELSLOTMIGRATIONS")));
      assertEquals("ERR wrong number of arguments for 'cluster|cancelslotmigrations' command",
          errorOf(() -> cluster(a, "CANCELSLOTMIGRATIONS", "ARG")));
      assertEquals(List.of(), migrations(a));
      ownerConn.clusterDelSlots(last);
      long until = System.currentTimeMillis() + 30_000;
      while (!ownerOf(a, last).isEmpty() && System.currentTimeMillis() < until) {
        Thread.sleep(50);
      }
      int unserved = last;
      assertEquals("ERR Slot " + unserved + " has no node served.",
          errorOf(() -> cluster(a, "MIGRATESLOTS", "SLOTSRANGE", String.valueOf(unserved), String.valueOf(unserved), "NODE", other)));
      ownerConn.clusterAddSlots(last);

      // Keys in the slots that move, written through the owner.
      Map<String, String> written = new HashMap<>();
      for (int i = 0; written.size() < 300; i++) {
        String key = "k" + i;
        if (Slots.slot(key.getBytes(StandardCharsets.UTF_8)) < 300) {
          ownerConn.set(key, "v" + i);
          written.put(key, "v" + i);
        }
      }
      // Sent to the node that owns none of them: the table is the cluster's.
      Jedis otherConn = ownerConn == a ? b : a;
      assertEquals("OK", text(cluster(otherConn, "MIGRATESLOTS", "SLOTSRANGE", "0", "99", "200", "299", "NODE", other,
          "SLOTSRANGE", "100", "199", "NODE", other)));
      List<Map<String, String>> jobs = awaitFinished(a, 60_000);
      assertEquals(2, jobs.size(), jobs.toString());
      Map<String, String> first = jobs.get(1); // newest first
      assertEquals(40, first.get("name").length(), first.toString());
      assertEquals("EXPORT", first.get("operation"));
      assertEquals("0-99 200-299", first.get("slot_ranges"));
      assertEquals(owner, first.get("source_node"));
      assertEquals(other, first.get("target_node"));
      assertEquals("success", first.get("state"), first.toString());
      assertEquals("200", first.get("slots_moved"));
      assertEquals("100-199", jobs.get(0).get("slot_ranges"));
      assertTrue(Long.parseLong(first.get("create_time")) > 1_700_000_000L, first.toString());
      assertTrue(Long.parseLong(first.get("pause_max_ms")) >= Long.parseLong(first.get("pause_median_ms")), first.toString());
      System.out.println("GETSLOTMIGRATIONS after two jobs: " + jobs);
      for (int s = 0; s < 300; s++) {
        assertEquals(other, ownerOf(a, s), "slot " + s);
        assertEquals(other, ownerOf(b, s), "slot " + s);
      }
      try (JedisCluster jc = new JedisCluster(Set.of(new HostAndPort("127.0.0.1", nodes[0].port())), 15_000, 15_000, 5, null, null, new ConnectionPoolConfig())) {
        written.forEach((k, v) -> assertEquals(v, jc.get(k), k));
      }

      // A job in progress: its slots are taken, and a cancel leaves every slot with one owner.
      assertEquals("OK", text(cluster(a, "MIGRATESLOTS", "SLOTSRANGE", "300", String.valueOf(last), "NODE", other)));
      assertEquals("ERR I am already migrating slot " + last + ".",
          errorOf(() -> cluster(b, "MIGRATESLOTS", "SLOTSRANGE", String.valueOf(last), String.valueOf(last), "NODE", other)));
      String cancelled = errorOf(() -> cluster(b, "CANCELSLOTMIGRATIONS"));
      assertEquals("(no error)", cancelled);
      List<Map<String, String>> after = awaitFinished(a, 60_000);
      Map<String, String> third = after.get(0);
      assertEquals("cancelled", third.get("state"), third.toString());
      int moved = Integer.parseInt(third.get("slots_moved"));
      assertTrue(moved < last - 300 + 1, third.toString());
      String s300 = ownerOf(a, 300);
      assertTrue(s300.equals(owner) || s300.equals(other), s300);
      assertTrue(a.clusterInfo().contains("cluster_slots_assigned:16384"), a.clusterInfo());
      int onTarget = 0;
      for (int s = 300; s <= last; s++) {
        String o = ownerOf(b, s);
        assertTrue(o.equals(owner) || o.equals(other), "slot " + s + ": " + o);
        if (o.equals(other)) {
          onTarget++;
        }
      }
      assertEquals(moved, onTarget, "the job counts the slots that switched");

      // bin/keyshard-cluster rebalance (its helper, as the script runs it): back to even shares,
      // with plain progress lines when not on a terminal.
      String out = script("rebalance", String.valueOf(nodes[0].port()));
      assertTrue(out.contains("slots moved") && out.contains("success"), out);
      long settle = System.currentTimeMillis() + 10_000;
      while (slotsOf(a, idA) != 8192 && System.currentTimeMillis() < settle) {
        Thread.sleep(50);
      }
      assertEquals(8192, slotsOf(a, idA), out);
      assertEquals(8192, slotsOf(a, idB), out);
      // ... and move: two slots to the other node.
      String owner0 = ownerOf(a, 0);
      String to = owner0.equals(idA) ? idB : idA;
      out = script("move", String.valueOf(nodes[1].port()), "0-1", to);
      assertTrue(out.contains("2 slots in"), out);
      settle = System.currentTimeMillis() + 10_000;
      while (!ownerOf(b, 1).equals(to) && System.currentTimeMillis() < settle) {
        Thread.sleep(50);
      }
      assertEquals(to, ownerOf(b, 0));
      assertEquals(to, ownerOf(b, 1));
    } finally {
      closeAll(nodes);
    }
  }

  /**
   * The target stops in the middle of a job (a clean stop: the table keeps its slots for its
   * return, as for any stopped node): the job ends (failed, or done if it won the race), every
   * slot still has exactly one owner in the table, and every key of the live nodes' slots is
   * read back. (Its restart is left out: a node stopped and started again in this JVM while the
   * others run answers MOVED to itself for its slots, with or without a migration; see the
   * report of branch i-atomic.)
   */
  @Test
  void aTargetStoppedMidJobLeavesEverySlotWithOneOwner() throws Exception {
    TestNode[] nodes = startNodes(3);
    try {
      HostAndPort seed = new HostAndPort("127.0.0.1", nodes[0].port());
      try (JedisCluster jc = new JedisCluster(Set.of(seed), 15_000, 15_000, 10, null, null, new ConnectionPoolConfig())) {
        for (int i = 0; i < 3000; i++) {
          jc.set("k:" + i, "v" + i);
        }
      }
      String target;
      try (Jedis a = new Jedis("127.0.0.1", nodes[0].port(), 15_000)) {
        try (Jedis b = new Jedis("127.0.0.1", nodes[1].port(), 15_000)) {
          target = b.clusterMyId();
        }
        String range = a.clusterNodes().lines().filter(l -> l.contains("myself")).findFirst().orElseThrow().trim().split(" ")[8];
        String[] r = range.split("-");
        assertEquals("OK", text(cluster(a, "MIGRATESLOTS", "SLOTSRANGE", r[0], r[1], "NODE", target)));
        long until = System.currentTimeMillis() + 60_000;
        while (migrations(a).get(0).get("slots_moved").equals("0") && System.currentTimeMillis() < until) {
          Thread.sleep(20);
        }
        nodes[1].close();
        nodes[1] = null;
        List<Map<String, String>> jobs = awaitFinished(a, 120_000);
        System.out.println("the job after its target stopped: " + jobs.get(0));
        assertTrue(Set.of("failed", "success").contains(jobs.get(0).get("state")), jobs.toString());
        for (TestNode n : new TestNode[] {nodes[0], nodes[2]}) {
          try (Jedis j = new Jedis("127.0.0.1", n.port(), 15_000)) {
            String all = j.clusterNodes();
            assertEquals(16384, slotsOfAll(all), all);
          }
        }
        Map<Integer, String> owners = new HashMap<>();
        for (int s = 0; s < 16384; s++) {
          owners.put(s, "");
        }
        for (String line : a.clusterNodes().split("\n")) {
          String[] f = line.trim().split(" ");
          for (int i = 8; i < f.length; i++) {
            String[] x = f[i].split("-");
            for (int s = Integer.parseInt(x[0]); s <= Integer.parseInt(x.length > 1 ? x[1] : x[0]); s++) {
              owners.put(s, f[0]);
            }
          }
        }
        int read = 0;
        try (JedisCluster jc = new JedisCluster(Set.of(new HostAndPort("127.0.0.1", nodes[2].port())), 15_000, 15_000, 10, null, null, new ConnectionPoolConfig())) {
          for (int i = 0; i < 3000; i++) {
            String key = "k:" + i;
            if (!owners.get(Slots.slot(key.getBytes(StandardCharsets.UTF_8))).equals(target)) {
              assertEquals("v" + i, jc.get(key), key);
              read++;
            }
          }
        }
        System.out.println(read + " keys of the live nodes read back; the others wait for " + target);
        assertTrue(read >= 800, "the live nodes hold keys: " + read);
      }
    } finally {
      closeAll(nodes);
    }
  }

  /** Slots listed on every line of CLUSTER NODES together: 16384 when each has exactly one owner. */
  private static int slotsOfAll(String clusterNodes) {
    int n = 0;
    for (String line : clusterNodes.split("\n")) {
      String[] f = line.trim().split(" ");
      for (int i = 8; i < f.length; i++) {
        if (f[i].startsWith("[")) {
          continue;
        }
        String[] r = f[i].split("-");
        n += (r.length > 1 ? Integer.parseInt(r[1]) : Integer.parseInt(r[0])) - Integer.parseInt(r[0]) + 1;
      }
    }
    return n;
  }

  /**
   * The test: JedisCluster clients keep a ledger (INCR counters, each owned by one
   * thread so every reply is predictable, and SET values) while MIGRATESLOTS moves all of one
   * node's slots (a third, holding keys) to the other two. No acknowledged write lost, none
   * doubled, no client error; the per-slot pauses are printed.
   */
  @Test
  void ledgerHoldsWhileAThirdOfTheSlotsMove() throws Exception {
    TestNode[] nodes = startNodes(3);
    int threads = 4;
    int countersPerThread = 2000;
    AtomicBoolean stop = new AtomicBoolean();
    List<String> errors = Collections.synchronizedList(new ArrayList<>());
    List<long[]> acked = new ArrayList<>();
    AtomicLong writes = new AtomicLong();
    AtomicLongArray latencyMaxUs = new AtomicLongArray(threads);
    List<Thread> writers = new ArrayList<>();
    try {
      HostAndPort seed = new HostAndPort("127.0.0.1", nodes[0].port());
      try (JedisCluster jc = new JedisCluster(Set.of(seed), 15_000, 15_000, 10, null, null, new ConnectionPoolConfig())) {
        for (int t = 0; t < threads; t++) {
          for (int i = 0; i < countersPerThread; i++) {
            jc.set("c:" + t + ":" + i, "0");
          }
        }
      }
      for (int t = 0; t < threads; t++) {
        long[] counts = new long[countersPerThread];
        acked.add(counts);
        int me = t;
        Thread w =
            new Thread(
                () -> {
                  try (JedisCluster jc = new JedisCluster(Set.of(seed), 15_000, 15_000, 10, null, null, new ConnectionPoolConfig())) {
                    for (int n = 0; !stop.get(); n++) {
                      int i = n % countersPerThread;
                      String key = "c:" + me + ":" + i;
                      long t0 = System.nanoTime();
                      try {
                        long v = jc.incr(key);
                        if (v != counts[i] + 1) {
                          errors.add(key + ": INCR answered " + v + " after " + counts[i] + " acknowledged");
                        }
                        counts[i] = v;
                        if (n % 7 == 0) {
                          jc.set("v:" + me + ":" + i, "x" + v);
                        }
                        writes.incrementAndGet();
                      } catch (RuntimeException e) {
                        errors.add(key + ": " + e);
                        return;
                      }
                      long us = (System.nanoTime() - t0) / 1000;
                      if (us > latencyMaxUs.get(me)) {
                        latencyMaxUs.set(me, us);
                      }
                    }
                  }
                });
        w.start();
        writers.add(w);
      }
      Thread.sleep(1000);
      try (Jedis a = new Jedis("127.0.0.1", nodes[0].port(), 15_000)) {
        String source = a.clusterMyId();
        List<Integer> ranges = new ArrayList<>();
        for (String line : a.clusterNodes().split("\n")) {
          if (line.contains("myself")) {
            String[] f = line.trim().split(" ");
            for (int i = 8; i < f.length; i++) {
              String[] r = f[i].split("-");
              ranges.add(Integer.parseInt(r[0]));
              ranges.add(Integer.parseInt(r.length > 1 ? r[1] : r[0]));
            }
          }
        }
        String toB;
        String toC;
        try (Jedis b = new Jedis("127.0.0.1", nodes[1].port(), 15_000);
            Jedis c = new Jedis("127.0.0.1", nodes[2].port(), 15_000)) {
          toB = b.clusterMyId();
          toC = c.clusterMyId();
        }
        // The source's slots, the first half to B and the rest to C.
        int lo = ranges.get(0);
        int hi = ranges.get(ranges.size() - 1);
        assertEquals(2, ranges.size(), "one range per node: " + ranges);
        int mid = (lo + hi) / 2;
        long t0 = System.nanoTime();
        assertEquals("OK", text(cluster(a, "MIGRATESLOTS", "SLOTSRANGE", String.valueOf(lo), String.valueOf(mid), "NODE", toB,
            "SLOTSRANGE", String.valueOf(mid + 1), String.valueOf(hi), "NODE", toC)));
        List<Map<String, String>> jobs = awaitFinished(a, 180_000);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        // The pauses arrive just after the switch: wait for them.
        long until = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < until && jobs.stream().anyMatch(j -> j.get("pause_max_ms").equals("0"))) {
          Thread.sleep(200);
          jobs = migrations(a);
        }
        for (Map<String, String> j : jobs) {
          assertEquals("success", j.get("state"), j.toString());
        }
        System.out.println("MIGRATESLOTS of " + (hi - lo + 1) + " slots took " + tookMs + " ms; writes so far " + writes.get());
        for (Map<String, String> j : jobs) {
          System.out.println("  job " + j.get("slot_ranges") + " -> " + j.get("target_node") + ": pause median "
              + j.get("pause_median_ms") + " ms, max " + j.get("pause_max_ms") + " ms");
        }
        for (int s = lo; s <= hi; s++) {
          assertTrue(!ownerOf(a, s).equals(source), "slot " + s + " moved");
        }
        assertTrue(a.dbSize() == 0, "the source holds no keys now");
      }
      Thread.sleep(500);
      stop.set(true);
      for (Thread w : writers) {
        w.join(30_000);
      }
      long maxUs = 0;
      for (int t = 0; t < threads; t++) {
        maxUs = Math.max(maxUs, latencyMaxUs.get(t));
      }
      System.out.println("ledger: " + writes.get() + " acknowledged INCRs, longest request " + maxUs / 1000 + " ms, errors: " + errors);
      assertEquals(List.of(), errors, "no client error, no reply out of order");
      try (JedisCluster jc = new JedisCluster(Set.of(new HostAndPort("127.0.0.1", nodes[1].port())), 15_000, 15_000, 10, null, null, new ConnectionPoolConfig())) {
        int lost = 0;
        int doubled = 0;
        for (int t = 0; t < threads; t++) {
          long[] counts = acked.get(t);
          for (int i = 0; i < countersPerThread; i++) {
            long stored = Long.parseLong(jc.get("c:" + t + ":" + i));
            if (stored < counts[i]) {
              lost++;
            } else if (stored > counts[i]) {
              doubled++;
            }
          }
        }
        assertEquals(0, lost, "acknowledged increments lost");
        assertEquals(0, doubled, "increments applied twice or unacknowledged ones applied");
      }
    } finally {
      stop.set(true);
      for (Thread w : writers) {
        w.join(30_000);
      }
      closeAll(nodes);
    }
  }
}
