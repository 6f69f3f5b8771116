package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.params.MigrateParams;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Crashes in the middle of a per-key slot migration, after some keys were handed over and
 * before SETSLOT NODE: kill -9 of the driving redis-cli, of the source node, of the target node.
 * Afterwards `redis-cli --cluster fix` (or Keyshard itself) closes the migration, and every
 * acknowledged key, those written through ASK while the slot was open included, is readable
 * with its value and listed by exactly one node
 * (docs/decisions/2026-12-06-slot-migration-protocol.md).
 */
@Timeout(900)
class MigrationCrashTest {

  @Test
  void killsInTheMiddleOfAKeyMigrationLoseNothing() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "migration-crash-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {Ports.cluster(), Ports.cluster(), Ports.cluster()};
      List<Path> configs = ClusterProbe.configs(work, pg.getJdbcUrl("postgres", "postgres"), ports, 3, i -> "");
      NodeProcess[] nodes = ClusterProbe.launch(work, configs, ports);
      try {
        for (NodeProcess n : nodes) {
          n.awaitReady();
        }
        for (int port : ports) {
          MigrationProbe.awaitOk(port, 3);
        }
        MigrationProbe.awaitCheck(ports[0]);
        Map<String, String> acked = new LinkedHashMap<>();
        List<Integer> slots = new ArrayList<>();

        redisCliKilled(ports, acked, slots);
        sourceKilled(work, configs, nodes, ports, acked, slots);
        targetKilled(work, configs, nodes, ports, acked, slots);

        try (JedisCluster jc = new ClusterLedger(ports[0]).connect()) {
          for (Map.Entry<String, String> e : acked.entrySet()) {
            assertEquals(e.getValue(), jc.get(e.getKey()), e.getKey());
          }
        }
        MigrationProbe.assertOnExactlyOneNode(ports, slots, new ArrayList<>(acked.keySet()));
        System.out.println("crash tests: " + acked.size() + " acknowledged keys in " + slots.size() + " slots, all there once");
      } finally {
        for (NodeProcess n : nodes) {
          n.close();
        }
      }
    }
  }

  /** redis-cli --cluster reshard of one slot, killed after some MIGRATEs; then --cluster fix. */
  private static void redisCliKilled(int[] ports, Map<String, String> acked, List<Integer> slots)
      throws Exception {
    int source = ports[0];
    int target = ports[1];
    int slot = MigrationProbe.lowestSlots(source, 1).get(0);
    slots.add(slot);
    List<String> keys = fill(source, slot, "cli", 800, acked);
    Process cli =
        new ProcessBuilder(
                "redis-cli", "--cluster", "reshard", "127.0.0.1:" + source,
                "--cluster-from", MigrationProbe.id(source), "--cluster-to", MigrationProbe.id(target),
                "--cluster-slots", "1", "--cluster-yes", "--cluster-pipeline", "1")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    long handed = 0;
    try (Jedis j = new Jedis("127.0.0.1", source, 10_000)) {
      long until = System.currentTimeMillis() + 60_000;
      while (System.currentTimeMillis() < until && cli.isAlive()) {
        handed = keys.size() - j.clusterCountKeysInSlot(slot); // a fresh cluster: only these
        if (handed >= 50) {
          break;
        }
        Thread.sleep(5);
      }
    }
    cli.destroyForcibly();
    cli.waitFor(10, TimeUnit.SECONDS);
    assertTrue(handed >= 50 && handed < keys.size(), "redis-cli killed in the middle of the slot: " + handed + " handed over");
    try (Jedis s = new Jedis("127.0.0.1", source, 10_000)) {
      assertTrue(myLine(s).contains("[" + slot + "->-"), "the slot stays open: " + myLine(s));
    }
    // Written while the slot is open: through ASK, on the target's side.
    writeThroughCluster(source, slot, "cli-open", 20, acked);
    String fix = MigrationProbe.run("timeout", "180", "redis-cli", "--cluster", "fix", "127.0.0.1:" + source, "--cluster-yes");
    System.out.println(MigrationProbe.tail(fix));
    assertTrue(fix.contains("Fixing open slot " + slot) || fix.contains("open slot"), MigrationProbe.tail(fix));
    String check = MigrationProbe.awaitCheck(target);
    assertTrue(!check.contains("migrating") && !check.contains("importing"), check);
    assertEquals(target, ClusterProbe.ownerBySlot(source).get(slot), "fix finished the move");
    MigrationProbe.assertValues(source, acked);
  }

  /** Some keys handed over by MIGRATE, the source killed -9: its takeover ends the migration. */
  private static void sourceKilled(
      Path work, List<Path> configs, NodeProcess[] nodes, int[] ports, Map<String, String> acked, List<Integer> slots)
      throws Exception {
    int s = 0;
    int t = 1;
    int slot = openAndHandOver(ports[s], ports[t], "src", acked, slots);
    nodes[s].kill();
    awaitOwnerNot(ports[t], slot, ports[s]);
    MigrationProbe.assertValues(ports[t], acked);
    nodes[s] = ClusterProbe.relaunch(work, configs, ports, s, "src");
    afterRestart(ports, acked);
  }

  /** The same, the target killed -9: the table ends the migration, the source serves all. */
  private static void targetKilled(
      Path work, List<Path> configs, NodeProcess[] nodes, int[] ports, Map<String, String> acked, List<Integer> slots)
      throws Exception {
    int s = 2;
    int t = 1;
    int slot = openAndHandOver(ports[s], ports[t], "dst", acked, slots);
    nodes[t].kill();
    try (Jedis j = new Jedis("127.0.0.1", ports[s], 10_000)) {
      long until = System.currentTimeMillis() + 60_000;
      while (myLine(j).contains("[" + slot + "->-") && System.currentTimeMillis() < until) {
        Thread.sleep(100);
      }
      assertTrue(!myLine(j).contains("[" + slot + "->-"), "the migration ended: " + myLine(j));
      // The handed-over keys are the source's again: served there, no ASK.
      for (Map.Entry<String, String> e : acked.entrySet()) {
        if (JedisClusterCRC16.getSlot(e.getKey()) == slot) {
          assertEquals(e.getValue(), j.get(e.getKey()), e.getKey());
        }
      }
    }
    MigrationProbe.assertValues(ports[s], acked);
    nodes[t] = ClusterProbe.relaunch(work, configs, ports, t, "dst");
    afterRestart(ports, acked);
  }

  /**
   * 300 keys in the source's lowest slot, IMPORTING and MIGRATING as redis-cli sends them,
   * MIGRATE of 150 of them, and 20 keys written through the cluster client (ASK) meanwhile.
   */
  private static int openAndHandOver(
      int source, int target, String prefix, Map<String, String> acked, List<Integer> slots) throws Exception {
    int slot = MigrationProbe.lowestSlots(source, 1).get(0);
    slots.add(slot);
    List<String> keys = fill(source, slot, prefix, 300, acked);
    try (Jedis src = new Jedis("127.0.0.1", source, 10_000);
        Jedis dst = new Jedis("127.0.0.1", target, 10_000)) {
      // The slot may hold an earlier scenario's keys (a takeover gave it to this node).
      long before = src.clusterCountKeysInSlot(slot);
      assertEquals("OK", dst.clusterSetSlotImporting(slot, src.clusterMyId()));
      assertEquals("OK", src.clusterSetSlotMigrating(slot, dst.clusterMyId()));
      for (int i = 0; i < 150; i += 10) {
        assertEquals(
            "OK",
            src.migrate("127.0.0.1", target, 0, 5000, new MigrateParams(), keys.subList(i, i + 10).toArray(new String[0])));
      }
      assertEquals(before - 150, src.clusterCountKeysInSlot(slot));
    }
    writeThroughCluster(source, slot, prefix + "-open", 20, acked);
    return slot;
  }

  private static List<String> fill(int port, int slot, String prefix, int n, Map<String, String> acked) {
    List<String> keys = new ArrayList<>();
    try (JedisCluster jc = new ClusterLedger(port).connect()) {
      for (int i = 0; i < n; i++) {
        String k = MigrationProbe.tagFor(slot) + prefix + i;
        jc.set(k, "v-" + k);
        acked.put(k, "v-" + k);
        keys.add(k);
      }
    }
    return keys;
  }

  private static void writeThroughCluster(int port, int slot, String prefix, int n, Map<String, String> acked) {
    try (JedisCluster jc = new ClusterLedger(port).connect()) {
      for (int i = 0; i < n; i++) {
        String k = MigrationProbe.tagFor(slot) + prefix + i;
        assertEquals("OK", jc.set(k, "w-" + k));
        acked.put(k, "w-" + k);
      }
    }
  }

  private static void awaitOwnerNot(int port, int slot, int gone) throws Exception {
    long until = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < until) {
      Integer owner = ClusterProbe.ownerBySlot(port).get(slot);
      if (owner != null && owner != gone) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("slot " + slot + " was not taken over from " + gone);
  }

  /** Back to three nodes: fix finds nothing left open, every node agrees, every key is there. */
  private static void afterRestart(int[] ports, Map<String, String> acked) throws Exception {
    for (int port : ports) {
      MigrationProbe.awaitOk(port, 3);
    }
    MigrationProbe.awaitCheck(ports[0]);
    String fix = MigrationProbe.run("timeout", "180", "redis-cli", "--cluster", "fix", "127.0.0.1:" + ports[0], "--cluster-yes");
    assertTrue(!fix.contains("[ERR]"), MigrationProbe.tail(fix));
    String check = MigrationProbe.awaitCheck(ports[1]);
    assertTrue(!check.contains("migrating") && !check.contains("importing"), check);
    MigrationProbe.assertValues(ports[2], acked);
  }

  private static String myLine(Jedis j) {
    return j.clusterNodes().lines().filter(l -> l.contains("myself")).findFirst().orElseThrow();
  }
}
