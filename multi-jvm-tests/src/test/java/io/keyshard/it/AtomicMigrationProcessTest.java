package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * CLUSTER MIGRATESLOTS (the atomic fast path: whole slots change owner through the shared
 * journal, docs/decisions/2026-12-06-atomic-slot-migration.md) between three node JVMs over one
 * PostgreSQL, with real cluster clients, in one cluster to keep the run short:
 * <ol>
 *   <li>a third of the slots (all of one node's) move to the two others while JedisCluster
 *       clients keep a {@link ClusterLedger}: 0 lost, 0 doubled, 0 client errors, the pause per
 *       slot printed (median, max);
 *   <li>kill -9 of the source while a batch is handed off (after the first batch switched), under
 *       a {@link Ledger}, then the source started again;
 *   <li>the same with the target killed;
 *   <li>kill -9 of the node that runs the slot table (the cluster singleton, on the oldest
 *       member) while a batch is handed off: the job is gone with the table (documented), a new
 *       job, sent by a client that drops its connection without reading the reply, completes.
 * </ol>
 * After each: no acknowledged INCR lost and none applied twice (acknowledged <= value <=
 * attempted: a write cut by a kill has an unknown outcome), every node's CLUSTER NODES names
 * exactly one owner per slot, every slot takes writes, and every acknowledged key holds its value
 * and is listed by exactly one node.
 */
@Timeout(900)
class AtomicMigrationProcessTest {
  /** A crash scenario's job: 16 batches of 128 slots, so that the kill finds hand-offs to land in. */
  static final int JOB_SLOTS = 2048;

  static final int BATCH = 128;

  private Path work;
  private List<Path> configs;
  private int[] ports;
  private NodeProcess[] nodes;
  private Ledger ledger;
  private final Map<String, String> acked = new LinkedHashMap<>();

  @Test
  void migrateSlotsUnderLoadAndKillsInsideAHandOffLoseNothing() throws Exception {
    work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "atomic-migration-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      ports = new int[] {Ports.cluster(), Ports.cluster(), Ports.cluster()};
      // A park the table never ends (its node killed) ends after 15 s here instead of 60 s.
      configs = ClusterProbe.configs(work, pg.getJdbcUrl("postgres", "postgres"), ports, 3,
          i -> "keyshard.cluster.move-park-limit = 15s\n");
      nodes = ClusterProbe.launch(work, configs, ports);
      ledger = new Ledger(ports);
      try {
        for (NodeProcess n : nodes) {
          n.awaitReady();
        }
        for (int port : ports) {
          MigrationProbe.awaitOk(port, 3);
        }
        MigrationProbe.awaitCheck(ports[0]);

        int table = aThirdMovesUnderLoad();
        int[] o = others(table);
        int source = mostSlots(o);
        killedInsideAHandOff("source", source, other(o, source), source, table);
        source = mostSlots(o);
        killedInsideAHandOff("target", source, other(o, source), other(o, source), table);
        tableKilledInsideAHandOff(table);
        System.out.println("atomic migration crash tests: " + acked.size() + " acknowledged keys, all there once; "
            + ledger.totalAcked() + " acknowledged INCRs, " + ledger.retriable.get() + " retriable errors");
      } finally {
        ledger.close();
        for (NodeProcess n : nodes) {
          n.close();
        }
      }
    }
  }

  /**
   * All slots of node 2 (a third), the lower half to node 0 and the rest to node 1, in one
   * MIGRATESLOTS, while cluster clients keep a ledger on keys crowded into those slots. Answers
   * the index of the node that runs the slot table.
   */
  private int aThirdMovesUnderLoad() throws Exception {
    List<Integer> third = MigrationProbe.lowestSlots(ports[2], 16384);
    assertTrue(third.size() > 5000, "node 2 holds a third of the slots: " + third.size());
    List<String> keys = MigrationProbe.preload(ports[0], third, "third", acked);
    List<Integer> toA = third.subList(0, third.size() / 2);
    List<Integer> toB = third.subList(third.size() / 2, third.size());
    String idA = MigrationProbe.id(ports[0]);
    String idB = MigrationProbe.id(ports[1]);
    List<String> blocks = new ArrayList<>(MigrationProbe.slotsRange(toA));
    blocks.addAll(List.of("NODE", idA));
    blocks.addAll(MigrationProbe.slotsRange(toB));
    blocks.addAll(List.of("NODE", idB));
    List<Integer> hot = IntStream.range(0, third.size()).filter(i -> i % 20 == 0).mapToObj(third::get).toList();
    List<Map<String, String>> jobs = new ArrayList<>();
    long ms;
    try (ClusterLedger clients = new ClusterLedger(ports[0], hot)) {
      clients.start(4);
      Thread.sleep(2000);
      long t0 = System.nanoTime();
      assertEquals("OK", MigrationProbe.migrateSlots(ports[0], blocks));
      List<String> names = MigrationProbe.migrations(ports[0]).stream().limit(2).map(j -> j.get("name")).toList();
      for (String name : names) {
        MigrationProbe.awaitFinished(ports[0], name, 180_000);
      }
      ms = (System.nanoTime() - t0) / 1_000_000;
      for (String name : names) {
        jobs.add(MigrationProbe.awaitPauses(ports[0], name));
      }
      Thread.sleep(1000);
      clients.close();
      System.out.println("MIGRATESLOTS of " + third.size() + " slots (a third, holding " + keys.size()
          + " preloaded keys and the ledger's hot keys) took " + ms + " ms; ledger: " + clients.operations.get()
          + " operations, " + clients.totalAcked() + " acknowledged INCRs, " + clients.tryAgain.get()
          + " TRYAGAIN retried, errors " + clients.errors);
      for (Map<String, String> j : jobs) {
        System.out.println("  job " + j.get("slot_ranges") + " -> " + j.get("target_node") + ": " + j.get("state") + ", "
            + j.get("slots_moved") + " slots, pause median " + j.get("pause_median_ms") + " ms, max "
            + j.get("pause_max_ms") + " ms");
      }
      for (Map<String, String> j : jobs) {
        assertEquals("success", j.get("state"), j.toString());
        assertTrue(!j.get("pause_max_ms").equals("0"), "the source reported its pauses: " + j);
      }
      assertEquals(List.of(), clients.errors, "no client error");
      assertEquals(List.of(), clients.verify(), "0 acknowledged writes lost, 0 doubled");
      assertTrue(clients.operations.get() > 100, "the clients kept working: " + clients.operations.get());
    }
    int[] owner = ClusterProbe.awaitOneOwnerEverywhere(ports);
    for (int s : toA) {
      assertEquals(ports[0], owner[s], "slot " + s);
    }
    for (int s : toB) {
      assertEquals(ports[1], owner[s], "slot " + s);
    }
    MigrationProbe.assertValues(ports[1], acked);
    MigrationProbe.assertOnExactlyOneNode(ports, third, keys);
    int table = MigrationProbe.tableHost(nodes, jobs.get(0).get("name"));
    System.out.println("the slot table runs on node " + table + " (port " + ports[table] + ")");
    return table;
  }

  /**
   * A job of {@link #JOB_SLOTS} of the source's slots to the target under the ledger; node
   * {@code victim} killed -9 while a batch is handed off (after the first batch switched), its
   * slots taken over by the two others, then started again over its data.
   */
  private void killedInsideAHandOff(String what, int source, int target, int victim, int table) throws Exception {
    List<Integer> slots = MigrationProbe.lowestSlots(ports[source], JOB_SLOTS);
    assertTrue(slots.size() >= 4 * BATCH, what + ": the source has slots to move: " + slots.size());
    List<String> keys = MigrationProbe.preload(ports[table], slots, what, acked);
    ledger.start(4);
    Thread.sleep(1000);
    List<String> block = new ArrayList<>(MigrationProbe.slotsRange(slots));
    block.addAll(List.of("NODE", MigrationProbe.id(ports[target])));
    assertEquals("OK", MigrationProbe.migrateSlots(ports[table], block));
    Map<String, String> at = MigrationProbe.awaitHandOff(ports[table], BATCH, 60_000);
    nodes[victim].kill();
    long killed = System.nanoTime();
    System.out.println(what + ": kill -9 of node " + victim + " (source " + source + ", target " + target
        + ", table " + table + ") inside a hand-off: " + at.get("state") + ", " + at.get("slots_moved") + " of "
        + at.get("slots") + " slots moved");
    ClusterProbe.awaitCoveredBy(without(victim));
    System.out.printf("%s: every slot on the two others %.1f s after the kill%n", what, (System.nanoTime() - killed) / 1e9);
    nodes[victim] = ClusterProbe.relaunch(work, configs, ports, victim, what);
    for (int port : ports) {
      MigrationProbe.awaitOk(port, 3);
    }
    Map<String, String> job = MigrationProbe.awaitFinished(ports[table], at.get("name"), 150_000);
    System.out.printf("%s: the job ended %.1f s after the kill: %s, %s of %s slots moved, %s%n", what,
        (System.nanoTime() - killed) / 1e9, job.get("state"), job.get("slots_moved"), job.get("slots"), job.get("message"));
    assertTrue(Set.of("failed", "success").contains(job.get("state")), job.toString());
    settle(what, slots, keys);
  }

  /**
   * kill -9 of the node that runs the slot table while a batch of a job between the two others
   * is handed off. The job ends with the table (jobs are in memory, as Valkey's); a new table
   * incarnation on the next oldest node has none; then a new job, whose client disconnects at
   * once, completes.
   */
  private void tableKilledInsideAHandOff(int table) throws Exception {
    int[] o = others(table);
    int source = mostSlots(o);
    int target = other(o, source);
    List<Integer> slots = MigrationProbe.lowestSlots(ports[source], JOB_SLOTS);
    assertTrue(slots.size() >= 4 * BATCH, "the source has slots to move: " + slots.size());
    List<String> keys = new ArrayList<>(MigrationProbe.preload(ports[source], slots, "table", acked));
    ledger.start(4);
    Thread.sleep(1000);
    List<String> block = new ArrayList<>(MigrationProbe.slotsRange(slots));
    block.addAll(List.of("NODE", MigrationProbe.id(ports[target])));
    assertEquals("OK", MigrationProbe.migrateSlots(ports[source], block));
    Map<String, String> at = MigrationProbe.awaitHandOff(ports[source], BATCH, 60_000);
    int host = MigrationProbe.tableHost(nodes, at.get("name"));
    assertEquals(table, host, "the table stays on the oldest node");
    nodes[host].kill();
    long killed = System.nanoTime();
    System.out.println("table: kill -9 of node " + host + " (the table's; neither source " + source + " nor target "
        + target + ") inside a hand-off: " + at.get("slots_moved") + " of " + at.get("slots") + " slots moved");
    List<Map<String, String>> jobs = null;
    for (long until = System.currentTimeMillis() + 60_000; System.currentTimeMillis() < until; Thread.sleep(200)) {
      try {
        jobs = MigrationProbe.migrations(ports[source]);
        break;
      } catch (RuntimeException tableNotYetBack) {
        // the singleton moves to the next oldest member
      }
    }
    assertEquals(List.of(), jobs, "the new table incarnation has no jobs");
    ClusterProbe.awaitCoveredBy(without(host));
    System.out.printf("table: a new table, every slot on the two others %.1f s after the kill%n", (System.nanoTime() - killed) / 1e9);
    // The batch in flight switched (its one table event was written) or stayed with the source,
    // whose park then ends after keyshard.cluster.move-park-limit: a long pause, no error.
    List<Integer> inFlight = MigrationProbe.lastMove(nodes[host]);
    int owner = ClusterProbe.ownerBySlot(ports[source]).get(inFlight.get(0));
    String parked = MigrationProbe.tagFor(inFlight.get(0)) + "table";
    if (owner == ports[source]) {
      try (Jedis j = new Jedis("127.0.0.1", ports[source], 120_000)) {
        assertEquals("v-" + parked, j.get(parked), "a request parked on the source is answered");
      }
      System.out.printf("table: the batch in flight (%d slots) stayed with the source: its requests answered %.1f s after the kill%n",
          inFlight.size(), (System.nanoTime() - killed) / 1e9);
    } else {
      assertEquals(ports[target], owner, "the batch in flight switched to the target");
      System.out.println("table: the batch in flight (" + inFlight.size() + " slots) had switched to the target");
    }
    nodes[host] = ClusterProbe.relaunch(work, configs, ports, host, "table");
    for (int port : ports) {
      MigrationProbe.awaitOk(port, 3);
    }
    ClusterProbe.awaitQuiet(ports[source], 5000);

    // To the restarted node: the batch that was in flight if the source kept it, else the
    // source's lowest slots.
    int from = source;
    int to = host;
    List<Integer> next = owner == ports[source] ? inFlight : MigrationProbe.lowestSlots(ports[from], 4 * BATCH);
    keys.addAll(MigrationProbe.preload(ports[from], next, "after-table", acked));
    List<String> nextBlock = new ArrayList<>(MigrationProbe.slotsRange(next));
    nextBlock.addAll(List.of("NODE", MigrationProbe.id(ports[to])));
    long t0 = System.nanoTime();
    String name = startAndDisconnect(ports[from], nextBlock);
    Map<String, String> job = MigrationProbe.awaitFinished(ports[from], name, 180_000);
    System.out.printf("table: a new job of %d slots from node %d to node %d, its client gone at once: %s in %.1f s%n",
        next.size(), from, to, job.get("state"), (System.nanoTime() - t0) / 1e9);
    assertEquals("success", job.get("state"), job.toString());
    List<Integer> all = new ArrayList<>(slots);
    all.addAll(next.stream().filter(s -> !slots.contains(s)).toList());
    settle("table", all, keys);
    int[] owners = ClusterProbe.awaitOneOwnerEverywhere(ports);
    List<Integer> notMoved = next.stream().filter(s -> owners[s] != ports[to]).toList();
    assertEquals(List.of(), notMoved, "the new job's slots are node " + to + "'s");
  }

  /**
   * Once the owners stay put: the ledger stopped and checked, one owner per slot on every node,
   * every slot takes writes, every acknowledged key holds its value and is listed by one node.
   */
  private void settle(String what, List<Integer> slots, List<String> keys) throws Exception {
    ClusterProbe.awaitQuiet(ports[0], 5000);
    ledger.close();
    List<String> problems = ledger.verify(ports[0]);
    System.out.println(what + ": ledger " + ledger.totalAcked() + " acknowledged INCRs so far, " + ledger.retriable.get()
        + " retriable errors, longest stall " + ledger.longestStallMs.get() + " ms, errors of unknown outcome: "
        + ledger.nonRetriable);
    assertEquals(List.of(), problems, what + ": 0 acknowledged INCRs lost, none applied twice");
    ledger.nonRetriable.clear();
    ClusterProbe.awaitOneOwnerEverywhere(ports);
    ClusterProbe.awaitEverySlotTakesWrites(ports[0]);
    MigrationProbe.assertValues(ports[0], acked);
    MigrationProbe.assertOnExactlyOneNode(ports, slots, keys);
  }

  /**
   * Sends CLUSTER MIGRATESLOTS over a raw connection and, once the job shows, drops the
   * connection (RST, as a killed client's) without reading the reply; the job's name.
   */
  private static String startAndDisconnect(int port, List<String> blocks) throws Exception {
    Set<String> before = MigrationProbe.migrations(port).stream().map(j -> j.get("name")).collect(Collectors.toSet());
    List<String> argv = new ArrayList<>(List.of("CLUSTER", "MIGRATESLOTS"));
    argv.addAll(blocks);
    StringBuilder resp = new StringBuilder("*" + argv.size() + "\r\n");
    for (String a : argv) {
      resp.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
    }
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write(resp.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      for (long until = System.currentTimeMillis() + 10_000; System.currentTimeMillis() < until; Thread.sleep(20)) {
        for (Map<String, String> j : MigrationProbe.migrations(port)) {
          if (!before.contains(j.get("name"))) {
            s.setSoLinger(true, 0);
            return j.get("name");
          }
        }
      }
    }
    throw new AssertionError("no job started by the dropped client");
  }

  private int[] others(int i) {
    return IntStream.range(0, ports.length).filter(k -> k != i).toArray();
  }

  private static int other(int[] pair, int one) {
    return pair[0] == one ? pair[1] : pair[0];
  }

  private int[] without(int i) {
    return IntStream.range(0, ports.length).filter(k -> k != i).map(k -> ports[k]).toArray();
  }

  /** Of the nodes {@code among}, the one owning the most slots now. */
  private int mostSlots(int[] among) {
    Map<Integer, Integer> owner = ClusterProbe.ownerBySlot(ports[among[0]]);
    int best = among[0];
    long bestCount = -1;
    for (int i : among) {
      long n = owner.values().stream().filter(p -> p == ports[i]).count();
      if (n > bestCount) {
        best = i;
        bestCount = n;
      }
    }
    return best;
  }
}
