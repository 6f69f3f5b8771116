package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

/** What the slot migration tests ask the nodes and redis-cli. */
final class MigrationProbe {
  private MigrationProbe() {}

  static String id(int port) {
    try (Jedis j = new Jedis("127.0.0.1", port, 10_000)) {
      return j.clusterMyId();
    }
  }

  static void awaitOk(int port, int known) throws Exception {
    try (Jedis j = new Jedis("127.0.0.1", port, 10_000)) {
      long until = System.currentTimeMillis() + 120_000;
      String info = "";
      while (System.currentTimeMillis() < until) {
        try {
          info = j.clusterInfo();
          if (info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + known)) {
            return;
          }
        } catch (RuntimeException notYet) {
          info = notYet.toString();
        }
        Thread.sleep(200);
      }
      throw new AssertionError("cluster not ok on " + port + ":\n" + info);
    }
  }

  /** Runs redis-cli --cluster check until every node agrees and covers every slot; its output. */
  static String awaitCheck(int port) throws Exception {
    long until = System.currentTimeMillis() + 90_000;
    String check = "";
    while (System.currentTimeMillis() < until) {
      check = run("redis-cli", "--cluster", "check", "127.0.0.1:" + port);
      if (check.contains("[OK] All nodes agree about slots configuration.")
          && check.contains("[OK] All 16384 slots covered.")
          && !check.contains("[WARNING]")) {
        return check;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("redis-cli --cluster check never passed:\n" + check);
  }

  /** The {@code n} lowest slots of the node on {@code port} (what reshard moves from it first). */
  static List<Integer> lowestSlots(int port, int n) {
    List<Integer> out = new ArrayList<>();
    try (Jedis j = new Jedis("127.0.0.1", port, 10_000)) {
      String me = j.clusterNodes().lines().filter(l -> l.contains("myself")).findFirst().orElseThrow();
      String[] f = me.split(" ");
      for (int i = 8; i < f.length && out.size() < n; i++) {
        if (f[i].startsWith("[")) {
          continue;
        }
        String[] r = f[i].split("-");
        int lo = Integer.parseInt(r[0]);
        int hi = r.length == 1 ? lo : Integer.parseInt(r[1]);
        for (int s = lo; s <= hi && out.size() < n; s++) {
          out.add(s);
        }
      }
    }
    return out;
  }

  private static final Map<Integer, String> TAGS = new HashMap<>();

  /** A hash tag, "{...}", whose keys are all in {@code slot}. */
  static synchronized String tagFor(int slot) {
    if (TAGS.isEmpty()) {
      for (int i = 0; TAGS.size() < 16384; i++) {
        TAGS.putIfAbsent(JedisClusterCRC16.getSlot("t" + i), "{t" + i + "}");
      }
    }
    return TAGS.get(slot);
  }

  /**
   * Each key is listed by exactly one node, the owner of its slot, and each node's count of a
   * slot's keys agrees with the listings (CLUSTER GETKEYSINSLOT / COUNTKEYSINSLOT on every node).
   */
  static void assertOnExactlyOneNode(int[] ports, List<Integer> slots, List<String> keys)
      throws InterruptedException {
    // A node lists a slot's keys while its own view of the table names it the owner: after kills
    // and restarts a view can lag the table for a moment. A key really kept by two nodes stays so.
    // A slot named twice (a scenario may pick a slot an earlier one moved) is listed once: counted
    // twice, its keys looked kept by two nodes (a CI failure of MigrationCrashTest, every value
    // right and every node agreeing).
    List<Integer> distinct = new ArrayList<>(new LinkedHashSet<>(slots));
    long until = System.currentTimeMillis() + 30_000;
    while (true) {
      try {
        checkOnExactlyOneNode(ports, distinct, keys);
        return;
      } catch (AssertionError e) {
        if (System.currentTimeMillis() > until) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  private static void checkOnExactlyOneNode(int[] ports, List<Integer> slots, List<String> keys) {
    Map<String, Integer> seen = new HashMap<>();
    for (int port : ports) {
      // Pipelined: a third of the slots on three nodes is tens of thousands of round trips.
      try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
        Pipeline p = j.pipelined();
        List<Response<Object>> listed = new ArrayList<>();
        List<Response<Object>> counted = new ArrayList<>();
        for (int slot : slots) {
          listed.add(p.sendCommand(Protocol.Command.CLUSTER, "GETKEYSINSLOT", Integer.toString(slot), "100000"));
          counted.add(p.sendCommand(Protocol.Command.CLUSTER, "COUNTKEYSINSLOT", Integer.toString(slot)));
        }
        p.sync();
        for (int i = 0; i < slots.size(); i++) {
          List<?> names = (List<?>) listed.get(i).get();
          assertEquals((long) names.size(), (Long) counted.get(i).get(), "slot " + slots.get(i) + " on " + port);
          for (Object k : names) {
            seen.merge(new String((byte[]) k, StandardCharsets.UTF_8), 1, Integer::sum);
          }
        }
      }
    }
    for (String k : keys) {
      assertEquals(1, seen.getOrDefault(k, 0), "nodes listing " + k);
    }
    assertTrue(seen.values().stream().allMatch(n -> n == 1), "a key listed by two nodes: " + seen);
  }

  /** Every key holds its acknowledged value, read through a cluster client. */
  static void assertValues(int port, Map<String, String> acked) {
    try (JedisCluster jc = new ClusterLedger(port).connect()) {
      for (Map.Entry<String, String> e : acked.entrySet()) {
        assertEquals(e.getValue(), jc.get(e.getKey()), e.getKey());
      }
    }
  }

  /**
   * One key in each of {@code slots}, written through a cluster client (a few at once: a
   * durable SET is a round trip to PostgreSQL); each added to {@code acked} with its value.
   */
  static List<String> preload(int port, List<Integer> slots, String prefix, Map<String, String> acked)
      throws InterruptedException {
    int threads = 4;
    List<String> keys = new ArrayList<>();
    for (int slot : slots) {
      keys.add(tagFor(slot) + prefix);
    }
    List<Thread> writers = new ArrayList<>();
    List<Throwable> failed = Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < threads; t++) {
      int me = t;
      Thread w =
          new Thread(
              () -> {
                try (JedisCluster jc = new ClusterLedger(port).connect()) {
                  for (int i = me; i < keys.size(); i += threads) {
                    assertEquals("OK", jc.set(keys.get(i), "v-" + keys.get(i)));
                  }
                } catch (Throwable e) {
                  failed.add(e);
                }
              });
      w.start();
      writers.add(w);
    }
    for (Thread w : writers) {
      w.join();
    }
    if (!failed.isEmpty()) {
      throw new AssertionError("preloading failed", failed.get(0));
    }
    for (String k : keys) {
      acked.put(k, "v-" + k);
    }
    return keys;
  }

  // ---- CLUSTER MIGRATESLOTS (docs/decisions/2026-12-06-atomic-slot-migration.md) ----

  /** {@code SLOTSRANGE a b [c d ...]} of the slots, consecutive ones merged. */
  static List<String> slotsRange(List<Integer> slots) {
    List<Integer> sorted = new ArrayList<>(slots);
    Collections.sort(sorted);
    List<String> out = new ArrayList<>(List.of("SLOTSRANGE"));
    for (int i = 0; i < sorted.size(); ) {
      int j = i;
      while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) {
        j++;
      }
      out.add(Integer.toString(sorted.get(i)));
      out.add(Integer.toString(sorted.get(j)));
      i = j + 1;
    }
    return out;
  }

  /** {@code CLUSTER MIGRATESLOTS} with these arguments (blocks of SLOTSRANGE ... NODE id); its reply. */
  static String migrateSlots(int port, List<String> blocks) {
    List<String> args = new ArrayList<>(List.of("MIGRATESLOTS"));
    args.addAll(blocks);
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      Object reply = j.sendCommand(Protocol.Command.CLUSTER, args.toArray(new String[0]));
      return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
    } catch (JedisDataException e) {
      return e.getMessage();
    }
  }

  /** CLUSTER GETSLOTMIGRATIONS as field maps, newest job first. */
  static List<Map<String, String>> migrations(int port) {
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      return migrations(j);
    }
  }

  static List<Map<String, String>> migrations(Jedis j) {
    List<Map<String, String>> out = new ArrayList<>();
    for (Object job : (List<?>) j.sendCommand(Protocol.Command.CLUSTER, "GETSLOTMIGRATIONS")) {
      List<?> kv = (List<?>) job;
      Map<String, String> m = new LinkedHashMap<>();
      for (int i = 0; i + 1 < kv.size(); i += 2) {
        m.put(text(kv.get(i)), text(kv.get(i + 1)));
      }
      out.add(m);
    }
    return out;
  }

  private static String text(Object o) {
    return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
  }

  static boolean finished(Map<String, String> job) {
    return Set.of("success", "failed", "cancelled").contains(job.get("state"));
  }

  /** Waits until the job named {@code name} has finished (as the table on {@code port} tells); the job. */
  static Map<String, String> awaitFinished(int port, String name, long timeoutMs) throws InterruptedException {
    long until = System.currentTimeMillis() + timeoutMs;
    List<Map<String, String>> jobs = List.of();
    while (System.currentTimeMillis() < until) {
      try {
        jobs = migrations(port);
        for (Map<String, String> job : jobs) {
          if (job.get("name").equals(name) && finished(job)) {
            return job;
          }
        }
      } catch (RuntimeException tableMovingOrNodeDown) {
        // ask again
      }
      Thread.sleep(100);
    }
    throw new AssertionError("job " + name + " not finished within " + timeoutMs + " ms: " + jobs);
  }

  /**
   * A finished job's pauses arrive just after its last switch (the source reports them): waits
   * for them (at most 30 s); the job.
   */
  static Map<String, String> awaitPauses(int port, String name) throws InterruptedException {
    Map<String, String> job = awaitFinished(port, name, 30_000);
    for (long until = System.currentTimeMillis() + 30_000;
        job.get("pause_max_ms").equals("0") && System.currentTimeMillis() < until; ) {
      Thread.sleep(200);
      job = awaitFinished(port, name, 30_000);
    }
    return job;
  }

  /**
   * Polls (every few ms) until the newest job is handing a batch off ({@code failover-paused}:
   * the source parks the batch's requests, the table switches) after at least {@code moved}
   * slots switched; the job as it was then. A kill right after lands inside an atomic hand-off.
   */
  static Map<String, String> awaitHandOff(int port, int moved, long timeoutMs) throws InterruptedException {
    long until = System.currentTimeMillis() + timeoutMs;
    List<Map<String, String>> jobs = List.of();
    try (Jedis j = new Jedis("127.0.0.1", port, 10_000)) {
      while (System.currentTimeMillis() < until) {
        jobs = migrations(j);
        if (!jobs.isEmpty()) {
          Map<String, String> newest = jobs.get(0);
          if (finished(newest)) {
            throw new AssertionError("the job finished before a hand-off was caught: " + newest);
          }
          if (newest.get("state").equals("failover-paused") && Integer.parseInt(newest.get("slots_moved")) >= moved) {
            return newest;
          }
        }
        Thread.sleep(2);
      }
    }
    throw new AssertionError("no hand-off after " + moved + " slots moved within " + timeoutMs + " ms: " + jobs);
  }

  /**
   * The slots of the last move the slot table logged on {@code node} ("Moving slots [a, b, ...]
   * from"): the batch in flight when that node died.
   */
  static List<Integer> lastMove(NodeProcess node) {
    String line = node.logText().lines().filter(l -> l.contains("Moving slots [")).reduce((a, b) -> b).orElseThrow();
    String[] bounds = line.substring(line.indexOf('[') + 1, line.indexOf(']')).split(",\\s*");
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i + 1 < bounds.length; i += 2) {
      for (int s = Integer.parseInt(bounds[i]); s <= Integer.parseInt(bounds[i + 1]); s++) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * The index of the node that runs the slot table (the cluster singleton, on the oldest member):
   * the one whose log says it started the job named {@code job}.
   */
  static int tableHost(NodeProcess[] nodes, String job) throws InterruptedException {
    for (long until = System.currentTimeMillis() + 10_000; System.currentTimeMillis() < until; Thread.sleep(100)) {
      for (int i = 0; i < nodes.length; i++) {
        if (nodes[i].isAlive() && nodes[i].logText().contains("Slot migration " + job + " started")) {
          return i;
        }
      }
    }
    throw new AssertionError("no node's log says it started job " + job);
  }

  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  /** The last lines of redis-cli's output (a reshard prints a dot per key). */
  static String tail(String out) {
    String[] lines = out.split("\n");
    StringBuilder sb = new StringBuilder();
    for (int i = Math.max(0, lines.length - 30); i < lines.length; i++) {
      String l = lines[i];
      sb.append(l.length() > 300 ? l.substring(0, 300) + "..." : l).append('\n');
    }
    return sb.toString();
  }
}
