package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an operator does to grow a cluster with redis-cli alone, while JedisCluster clients keep
 * a ledger: a fourth node JVM joins with `redis-cli --cluster add-node`, then `redis-cli
 * --cluster rebalance --cluster-use-empty-masters` moves slots holding keys onto it (per-key
 * migration: MIGRATE, ASK, SETSLOT NODE). No acknowledged write lost or doubled, every key
 * readable and on exactly one node afterwards, TRYAGAIN retried by the ledger and counted, no
 * other error (docs/decisions/2026-12-06-slot-migration-protocol.md).
 *
 * <p>The nodes run cluster-init manual and the cluster is made by `redis-cli --cluster create`,
 * as an operator who rebalances with redis-cli would: under cluster-init auto the slot table
 * itself gives a new node its share (atomic moves) as soon as it joins, and redis-cli would find
 * nothing to rebalance.
 */
@Timeout(600)
class RebalanceProcessTest {
  /**
   * About how many slots the rebalance moves onto the new node. A full share (4,096 slots) takes
   * redis-cli's per-key moves far longer than CI has, so the new node's weight is set for this
   * many (`--cluster-weight`): the same rebalance, onto the same empty node, only a smaller share.
   */
  static final int SLOTS = Integer.getInteger("keyshard.it.rebalance.slots", 160);

  /** Slots of each old node that the ledger's keys crowd into: among the first each one gives away. */
  static final int HOT_PER_NODE = Math.max(1, Math.min(40, SLOTS / 3 - 10));

  @Test
  void rebalanceOntoAnAddedNodeLosesNothing() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "rebalance-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      String url = pg.getJdbcUrl("postgres", "postgres");
      int[] ports = {Ports.cluster(), Ports.cluster(), Ports.cluster(), Ports.cluster()};
      int[] first = {ports[0], ports[1], ports[2]};
      List<NodeProcess> nodes = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          nodes.add(launch(work, url, ports, i));
        }
        for (NodeProcess n : nodes) {
          n.awaitReady();
        }
        String created = ClusterProbe.create(first);
        assertTrue(created.contains("[OK] All 16384 slots covered."), created);
        for (int port : first) {
          MigrationProbe.awaitOk(port, 3);
        }
        MigrationProbe.awaitCheck(ports[0]);

        // The ledger's keys and 3 preloaded keys in each old node's lowest slots (each gives
        // its lowest away first), and a key in every 8th slot, moved or not.
        List<Integer> hot = new ArrayList<>();
        for (int port : first) {
          hot.addAll(MigrationProbe.lowestSlots(port, HOT_PER_NODE));
        }
        List<String> preloaded = new ArrayList<>();
        for (int slot : hot) {
          for (int k = 0; k < 3; k++) {
            preloaded.add(MigrationProbe.tagFor(slot) + "pre" + k);
          }
        }
        TreeSet<Integer> keyed = new TreeSet<>(hot);
        for (int slot = 0; slot < 16384; slot += 8) {
          preloaded.add(ClusterProbe.keyPerSlot()[slot]);
          keyed.add(slot);
        }
        assertEquals(List.of(), ClusterProbe.preload(ClusterProbe.ownerBySlot(ports[0]), preloaded, k -> "p-" + k));

        String added;
        String rebalanced;
        long ms;
        ClusterProbe.awaitShardClaims(nodes);
        try (ClusterLedger ledger = new ClusterLedger(ports[2], hot)) {
          ledger.start(6);
          Thread.sleep(2000);

          NodeProcess fourth = launch(work, url, ports, 3);
          nodes.add(fourth);
          fourth.awaitReady();
          added =
              MigrationProbe.run(
                  "timeout", "120", "redis-cli", "--cluster", "add-node", "127.0.0.1:" + ports[3], "127.0.0.1:" + ports[0]);
          System.out.println(added);
          assertTrue(added.contains("[OK] New node added correctly."), added);
          for (int port : ports) {
            MigrationProbe.awaitOk(port, 4);
          }
          // rebalance refuses a cluster whose nodes disagree: the new node must be known to all.
          MigrationProbe.awaitCheck(ports[0]);
          String newId = MigrationProbe.id(ports[3]);

          long t0 = System.nanoTime();
          rebalanced =
              MigrationProbe.run(
                  "timeout", "480", "redis-cli", "--cluster", "rebalance", "127.0.0.1:" + ports[0],
                  "--cluster-use-empty-masters", "--cluster-weight", newId + "=" + weightFor(SLOTS),
                  "--cluster-yes");
          ms = (System.nanoTime() - t0) / 1_000_000;
          Thread.sleep(2000);
          ledger.close();
          System.out.println(MigrationProbe.tail(rebalanced));
          int gained = (int) ClusterProbe.ownerBySlot(ports[0]).values().stream().filter(p -> p == ports[3]).count();
          System.out.println(
              "rebalance of " + gained + " slots onto the added node under load took " + ms + " ms; ledger: "
                  + ledger.operations.get() + " operations, " + ledger.totalAcked() + " acknowledged INCRs, "
                  + ledger.tryAgain.get() + " TRYAGAIN retried, slowest command " + ledger.slowestMillis.get()
                  + " ms, errors " + ledger.errors + ", writes of unknown outcome (the node's request timeout) " + ledger.unknownOutcome.size() + " " + ledger.unknownOutcome);
          assertTrue(rebalanced.contains("Moving ") && rebalanced.contains(":" + ports[3]), MigrationProbe.tail(rebalanced));
          assertTrue(!rebalanced.contains("[ERR]") && !rebalanced.contains("ERR "), MigrationProbe.tail(rebalanced));
          List<String> problems = ledger.verify();
          System.out.println("ledger problems (lost, doubled, stale): " + problems);
          assertEquals(List.of(), ClusterProbe.oversized(nodes), "every slot table change reached every node");
          assertEquals(List.of(), ledger.errors, "no error but TRYAGAIN");
          // Not one request waited for the node's request timeout (docs/decisions/
          // 2026-12-07-slot-retirement.md: a stop that dropped requests, and moves during the
          // shard claims after the start).
          assertEquals(List.of(), ledger.unknownOutcome, "no write of unknown outcome");
          assertEquals(List.of(), problems, "0 acknowledged writes lost, 0 doubled");
          assertTrue(ledger.operations.get() > 100, "the clients kept working: " + ledger.operations.get());
        }
        Map<Integer, Integer> owners = ClusterProbe.ownerBySlot(ports[3]);
        for (int slot : hot) {
          assertEquals(ports[3], owners.get(slot), "slot " + slot + " moved to the added node");
        }
        long gained = owners.values().stream().filter(p -> p == ports[3]).count();
        assertEquals(movedSlots(rebalanced), gained, "the added node owns every slot redis-cli moved");
        // redis-cli's float arithmetic rounds each old node's share: a few more than asked.
        assertTrue(Math.abs(gained - SLOTS) <= Math.max(5, SLOTS / 20), "the added node owns " + gained + " slots, about " + SLOTS);
        String check = MigrationProbe.awaitCheck(ports[3]);
        assertTrue(!check.contains("migrating") && !check.contains("importing"), check);
        assertEquals(List.of(), ClusterProbe.wrongValues(owners, preloaded, k -> "p-" + k), "every preloaded key readable");
        MigrationProbe.assertOnExactlyOneNode(ports, new ArrayList<>(keyed), preloaded);
      } finally {
        for (NodeProcess n : nodes) {
          n.close();
        }
      }
    }
  }

  /**
   * The slots redis-cli's rebalance says it moved: its "Moving N slots from ..." lines (not
   * anchored to a line's start: a colour code may open it).
   */
  private static long movedSlots(String out) {
    long n = 0;
    Matcher m = Pattern.compile("Moving (\\d+) slots from ").matcher(out);
    while (m.find()) {
      n += Long.parseLong(m.group(1));
    }
    return n;
  }

  private static NodeProcess launch(Path work, String url, int[] ports, int i) throws Exception {
    return NodeProcess.launch(
        work.resolve("data" + i), ClusterProbe.manualConfig(work, url, i), ports[i], work.resolve("node" + i + ".log"));
  }

  /**
   * The new node's weight (the others keep 1) for which redis-cli expects it to hold {@code slots}:
   * it expects 16384 / (3 + w) * w.
   */
  static String weightFor(int slots) {
    return String.format(Locale.ROOT, "%.6f", 3.0 * slots / (16384 - slots));
  }
}
