package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Automatic failover without replicas, on three node JVMs over one PostgreSQL, under a write
 * load that keeps a ledger (see {@link Ledger}): a primary killed with -9, then restarted on its
 * port; a primary frozen with SIGSTOP beyond the downing timeout, then resumed (it was downed,
 * starts a new incarnation in-process and rejoins); the oldest node (which runs the slot table
 * and the shard coordinator) killed; a drain (SHUTDOWN) under load. After each, once the cluster
 * settles: no acknowledged INCR is lost and none is applied twice (acknowledged <= value <=
 * attempted for every counter), every slot accepts writes, the live nodes agree on the owner of
 * every slot and the gone node owns none. The other tests: a replica's takeover and failback,
 * and a network partition.
 */
@Timeout(900)
class FailoverProcessTest {

  private static int clusterPort() throws Exception {
    return Ports.cluster();
  }

  @Test
  void primariesThatDieOrFreezeLoseNoAcknowledgedWrite() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "failover-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {clusterPort(), clusterPort(), clusterPort()};
      String url = pg.getJdbcUrl("postgres", "postgres");
      List<Path> configs = ClusterProbe.configs(work, url, ports, 3, i -> "");
      NodeProcess[] nodes = ClusterProbe.launch(work, configs, ports);
      Ledger ledger = new Ledger(ports);
      try {
        for (NodeProcess n : nodes) {
          n.awaitReady();
        }
        for (int port : ports) {
          awaitSettled(port, Set3.of(ports), 3);
        }

        // 1. kill -9 of a primary; the two others take its slots from the journal.
        ledger.start(4);
        Thread.sleep(2000);
        long t0 = System.currentTimeMillis();
        nodes[2].kill();
        int[] live = {ports[0], ports[1]};
        for (int port : live) {
          awaitSettled(port, Set3.of(live), 3);
        }
        System.out.printf("kill -9: all slots on the survivors %.1f s after the kill%n", (System.currentTimeMillis() - t0) / 1000.0);
        // A process that exited is downed by the survivors' exit watch, not the resolver's timer.
        assertTrue(
            nodes[0].logText().contains(exited(ports[2])) || nodes[1].logText().contains(exited(ports[2])),
            "a survivor saw the killed node's process exit and downed it");
        Thread.sleep(1000);
        ledger.close();
        checkLedger(ledger, live);
        everySlotTakesWrites(live);
        assertNoneOwnedBy(live[0], ports[2]);

        // 2. The killed node comes back on its port: it rejoins and gets a share again.
        ledger.start(4);
        nodes[2] = NodeProcess.launch(work.resolve("data2"), configs.get(2), ports[2], work.resolve("node2-again.log"));
        nodes[2].awaitReady();
        for (int port : ports) {
          awaitSettled(port, Set3.of(ports), 3);
        }
        ledger.close();
        checkLedger(ledger, ports);
        everySlotTakesWrites(ports);

        // 3. SIGSTOP beyond the downing timeout: the others take its slots; on SIGCONT it learns
        //    it was downed, starts a new incarnation in its JVM and rejoins.
        ledger.start(4);
        Thread.sleep(2000);
        signal("STOP", nodes[1].pid());
        int[] others = {ports[0], ports[2]};
        for (int port : others) {
          awaitSettled(port, Set3.of(others), 3);
        }
        signal("CONT", nodes[1].pid());
        for (int port : ports) {
          awaitSettled(port, Set3.of(ports), 3);
        }
        assertTrue(nodes[1].isAlive(), "the frozen node's JVM came back by itself");
        assertTrue(nodes[1].logText().contains("starting a new incarnation"), "it was downed and started again in-process");
        // A frozen process keeps its connections and its port: no exit watch may take it for dead.
        for (int i : new int[] {0, 2}) {
          assertFalse(nodes[i].logText().contains(exited(ports[1])), "the frozen node was not taken for exited");
        }
        ledger.close();
        checkLedger(ledger, ports);
        everySlotTakesWrites(ports);

        // 4. kill -9 of the oldest node, which runs the slot table and the shard coordinator.
        ledger.start(4);
        Thread.sleep(2000);
        nodes[0].kill();
        int[] rest = {ports[1], ports[2]};
        for (int port : rest) {
          awaitSettled(port, Set3.of(rest), 3);
        }
        ledger.close();
        checkLedger(ledger, rest);
        everySlotTakesWrites(rest);
        assertNoneOwnedBy(rest[0], ports[0]);

        // A write in flight when a node dies or freezes may end in an error whose outcome is
        // unknown (ERR): the ledger's bounds cover those. A drain is graceful: no such error.
        System.out.println("errors of unknown outcome after kills and a freeze: " + ledger.nonRetriable);
        ledger.nonRetriable.clear();

        // 5. A drain under load: SHUTDOWN hands node 2's slots to node 1, then node 2 stops.
        ledger.start(4);
        Thread.sleep(2000);
        try (Jedis j = new Jedis("127.0.0.1", ports[2], 180_000)) {
          j.sendCommand(redis.clients.jedis.Protocol.Command.SHUTDOWN);
        } catch (redis.clients.jedis.exceptions.JedisConnectionException closedAsRedisCloses) {
          // SHUTDOWN answers nothing: the connection closes once the slots moved.
        }
        assertTrue(nodes[2].waitForExit(java.time.Duration.ofSeconds(120)), "the drained node's process ended");
        int[] last = {ports[1]};
        awaitSettled(ports[1], Set3.of(last), 3);
        ledger.close();
        checkLedger(ledger, last);
        everySlotTakesWrites(last);
        System.out.printf(
            "ledger: %d acknowledged INCRs, %d retriable errors, longest client stall %d ms%n",
            ledger.totalAcked(), ledger.retriable.get(), ledger.longestStallMs.get());
        assertEquals(List.of(), ledger.nonRetriable, "the drain: only retriable errors");
      } finally {
        ledger.close();
        for (NodeProcess n : nodes) {
          if (n != null) {
            signal("CONT", n.pid());
            n.close();
          }
        }
      }
    }
  }

  /**
   * A primary with a warm replica: kill -9 of the primary, its replica takes over from warm state
   * (replaying only the journal's tail); the old primary, restarted, follows its successor by
   * itself; CLUSTER FAILOVER sent to it fails back, and again forth. No acknowledged write lost.
   */
  @Test
  void aReplicaTakesOverAndTheOldPrimaryFailsBack() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "replica-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {clusterPort(), clusterPort(), clusterPort(), clusterPort()};
      // The fourth node asks for a primary to follow (keyshard.cluster.replica).
      List<Path> configs =
          ClusterProbe.configs(
              work, pg.getJdbcUrl("postgres", "postgres"), ports, 3,
              i -> i == 3 ? "keyshard.cluster.replica = on\n" : "");
      NodeProcess[] nodes = ClusterProbe.launch(work, configs, ports);
      int[] primaries = {ports[0], ports[1], ports[2]};
      Ledger ledger = new Ledger(primaries.clone());
      try {
        for (NodeProcess n : nodes) {
          n.awaitReady();
        }
        for (int port : ports) {
          awaitSettled(port, Set3.of(primaries), 4);
        }
        int primaryPort = awaitReplicaOf(ports[3]);
        int p = java.util.Arrays.stream(primaries).boxed().toList().indexOf(primaryPort);
        assertTrue(p >= 0, "the replica follows one of the primaries: " + primaryPort);
        // Its takeover rehearsal ran on slot entities of its own and left nothing behind.
        String rehearsal = ClusterProbe.awaitRehearsed(ports[3], java.time.Duration.ofMinutes(2));
        assertTrue(rehearsal.contains("keyshard_takeover_rehearsal:done"), "the replica rehearsed its takeover:\n" + rehearsal);
        try (java.sql.Connection c = pg.getPostgresDatabase().getConnection();
            java.sql.ResultSet rs =
                c.createStatement()
                    .executeQuery(
                        "SELECT (SELECT count(*) FROM event_journal WHERE persistence_id LIKE 'rehearsal-%')"
                            + " + (SELECT count(*) FROM snapshot WHERE persistence_id LIKE 'rehearsal-%')")) {
          rs.next();
          assertEquals(0, rs.getLong(1), "rows the rehearsal wrote are deleted");
        }
        Map<Integer, Integer> ownerOf = ClusterProbe.ownerBySlot(ports[0]);
        for (String key : new String[] {"k", "n"}) { // what each rehearsal slot writes
          try (Jedis j = new Jedis("127.0.0.1", ownerOf.get(JedisClusterCRC16.getSlot(key)), 5000)) {
            assertEquals(null, j.get(key), "the rehearsal wrote no key the cluster serves: " + key);
          }
        }

        ledger.start(4);
        Thread.sleep(3000);
        long applied = infoField(ports[3], "cluster", "keyshard_replica_events_applied");
        assertTrue(applied > 0, "the replica applies its primary's events: " + applied);
        long replayedBefore = infoField(ports[3], "cluster", "keyshard_recovery_events_replayed");

        // kill -9 of the primary: its replica takes over.
        long t0 = System.currentTimeMillis();
        nodes[p].kill();
        int[] owners = primaries.clone();
        owners[p] = ports[3];
        for (int port : owners) {
          awaitSettled(port, Set3.of(owners), 4);
        }
        System.out.printf("kill -9 with a replica: the table moved the slots %.1f s after the kill%n", (System.currentTimeMillis() - t0) / 1000.0);
        // The replica wakes its new slots in the background, once the shard coordinator (if it
        // ran on the dead node) has moved too.
        long warm = 0;
        for (long until = System.currentTimeMillis() + 30_000; warm == 0 && System.currentTimeMillis() < until; ) {
          Thread.sleep(200);
          warm = infoField(ports[3], "cluster", "keyshard_takeover_warm_starts");
        }
        long replayed = infoField(ports[3], "cluster", "keyshard_recovery_events_replayed") - replayedBefore;
        long appliedAtTakeover = infoField(ports[3], "cluster", "keyshard_replica_events_applied");
        System.out.printf("takeover: %d slots from warm state, %d events replayed (the replica had applied %d)%n",
            warm, replayed, appliedAtTakeover);
        assertTrue(warm > 0, "slots started from the replica's warm state");
        assertTrue(replayed < appliedAtTakeover, "replayed " + replayed + " of " + appliedAtTakeover);
        try (Jedis r = new Jedis("127.0.0.1", ports[3], 5000)) {
          assertTrue(r.info("replication").contains("role:master"), r.info("replication"));
        }
        Thread.sleep(1000);
        ledger.close();
        checkLedger(ledger, owners);
        everySlotTakesWrites(owners);

        // The old primary comes back: it follows the node that took over, by itself.
        nodes[p] = NodeProcess.launch(work.resolve("data" + p), configs.get(p), ports[p], work.resolve("node" + p + "-again.log"));
        nodes[p].awaitReady();
        assertEquals(ports[3], awaitReplicaOf(ports[p]), "the old primary is a replica of its successor");

        System.out.println("errors of unknown outcome after the kill: " + ledger.nonRetriable);
        ledger.nonRetriable.clear();
        // Fail back: CLUSTER FAILOVER sent to the old primary; then forth again (graceful: no
        // error whose outcome is unknown).
        ledger.start(4);
        Thread.sleep(2000);
        try (Jedis old = new Jedis("127.0.0.1", ports[p], 10_000)) {
          assertEquals("OK", old.clusterFailover());
        }
        for (int port : ports) {
          awaitSettled(port, Set3.of(primaries), 4);
        }
        assertEquals(ports[p], awaitReplicaOf(ports[3]), "the roles are back");
        try (Jedis r = new Jedis("127.0.0.1", ports[3], 10_000)) {
          assertEquals("OK", r.clusterFailover());
        }
        for (int port : ports) {
          awaitSettled(port, Set3.of(owners), 4);
        }
        assertEquals(ports[3], awaitReplicaOf(ports[p]));
        ledger.close();
        checkLedger(ledger, owners);
        everySlotTakesWrites(owners);
        System.out.printf(
            "ledger: %d acknowledged INCRs, %d retriable errors, longest client stall %d ms%n",
            ledger.totalAcked(), ledger.retriable.get(), ledger.longestStallMs.get());
        assertEquals(List.of(), ledger.nonRetriable, "only retriable errors");
      } finally {
        ledger.close();
        for (NodeProcess n : nodes) {
          if (n != null) {
            n.close();
          }
        }
      }
    }
  }

  /**
   * A network partition: one node is cut off from the two others (Artery's test-mode blackhole,
   * both directions) while it still reaches PostgreSQL and its clients. It stops serving keys
   * (CLUSTERDOWN) on its own, the majority takes its slots only after downing it, the cut-off
   * node downs itself and, once the partition heals, rejoins in-process and gets a share back.
   * No acknowledged write is lost and none is applied twice.
   */
  @Test
  void aCutOffNodeStopsServingBeforeTheMajorityTakesItsSlots() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "partition-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {clusterPort(), clusterPort(), clusterPort()};
      List<Path> configs =
          ClusterProbe.configs(
              work, pg.getJdbcUrl("postgres", "postgres"), ports, 3,
              i -> "keyshard.testing.partition-file = \"" + work.resolve("cut" + i) + "\"\n");
      NodeProcess[] nodes = ClusterProbe.launch(work, configs, ports);
      Ledger ledger = new Ledger(ports.clone());
      try {
        for (NodeProcess n : nodes) {
          n.awaitReady();
        }
        for (int port : ports) {
          awaitSettled(port, Set3.of(ports), 3);
        }
        // A key the node to be cut off serves.
        Map<Integer, Integer> owner = ownerBySlot(ports[0]);
        String probe = null;
        for (int i = 0; probe == null; i++) {
          if (owner.get(JedisClusterCRC16.getSlot("cut:" + i)) == ports[2]) {
            probe = "cut:" + i;
          }
        }
        ledger.start(4);
        Thread.sleep(2000);
        Files.writeString(
            work.resolve("cut2"), "127.0.0.1:" + (ports[0] + 10000) + "\n127.0.0.1:" + (ports[1] + 10000) + "\n");
        long t0 = System.currentTimeMillis();
        // The cut-off node stops serving by itself: CLUSTERDOWN, or its port closes as it
        // downs itself.
        String seen = "";
        while (System.currentTimeMillis() - t0 < 60_000) {
          try (Jedis j = new Jedis("127.0.0.1", ports[2], 2000)) {
            j.get(probe);
          } catch (redis.clients.jedis.exceptions.JedisDataException e) {
            seen = e.getMessage();
            if (seen.startsWith("CLUSTERDOWN")) {
              break;
            }
          } catch (redis.clients.jedis.exceptions.JedisConnectionException e) {
            seen = "closed";
            break;
          }
          Thread.sleep(50);
        }
        System.out.printf("partition: the cut-off node stopped serving %.1f s after the cut (%s)%n",
            (System.currentTimeMillis() - t0) / 1000.0, seen);
        assertTrue(seen.equals("CLUSTERDOWN The cluster is down") || seen.equals("closed"), seen);
        int[] majority = {ports[0], ports[1]};
        for (int port : majority) {
          awaitSettled(port, Set3.of(majority), 3);
        }
        System.out.printf("partition: the majority serves every slot %.1f s after the cut%n", (System.currentTimeMillis() - t0) / 1000.0);
        Thread.sleep(1000);
        ledger.close();
        checkLedger(ledger, majority);
        everySlotTakesWrites(majority);

        // Heal: the cut-off node (a new incarnation by now) rejoins and gets a share back.
        ledger.start(4);
        Files.delete(work.resolve("cut2"));
        for (int port : ports) {
          awaitSettled(port, Set3.of(ports), 3);
        }
        assertTrue(nodes[2].isAlive());
        ledger.close();
        checkLedger(ledger, ports);
        everySlotTakesWrites(ports);
        System.out.printf(
            "ledger: %d acknowledged INCRs, %d retriable errors, longest client stall %d ms%n",
            ledger.totalAcked(), ledger.retriable.get(), ledger.longestStallMs.get());
        System.out.println("errors of unknown outcome around the partition: " + ledger.nonRetriable);
      } finally {
        ledger.close();
        for (NodeProcess n : nodes) {
          if (n != null) {
            n.close();
          }
        }
      }
    }
  }

  /** Waits until the node says it is a replica, and returns its primary's port. */
  private static int awaitReplicaOf(int port) throws Exception {
    long until = System.currentTimeMillis() + 90_000;
    String info = "";
    while (System.currentTimeMillis() < until) {
      try (Jedis j = new Jedis("127.0.0.1", port, 5000)) {
        info = j.info("replication");
        if (info.contains("role:slave")) {
          for (String line : info.split("\r\n")) {
            if (line.startsWith("master_port:")) {
              return Integer.parseInt(line.substring("master_port:".length()).trim());
            }
          }
        }
      } catch (RuntimeException notYet) {
        info = notYet.toString();
      }
      Thread.sleep(250);
    }
    throw new AssertionError("not a replica on " + port + ":\n" + info);
  }

  private static long infoField(int port, String section, String field) {
    long v = ClusterProbe.info(port, section, field);
    assertTrue(v >= 0, "no " + field + " on " + port);
    return v;
  }

  /** The ports of live nodes, for CLUSTER NODES comparisons. */
  private record Set3(java.util.Set<Integer> ports) {
    static Set3 of(int... ports) {
      java.util.Set<Integer> s = new java.util.HashSet<>();
      for (int p : ports) {
        s.add(p);
      }
      return new Set3(s);
    }
  }

  /**
   * Waits until the node reports every slot assigned to one of {@code live} (and no slot to
   * another), {@code known} nodes, and cluster_state:ok.
   */
  /** What a node logs when its exit watch downs the member whose client port is {@code port}. */
  private static String exited(int port) {
    return "Member pekko://keyshard@127.0.0.1:" + (port + 10000) + " exited";
  }

  private static void awaitSettled(int port, Set3 live, int known) throws Exception {
    long until = System.currentTimeMillis() + 120_000;
    String last = "";
    while (System.currentTimeMillis() < until) {
      try (Jedis j = new Jedis("127.0.0.1", port, 5000)) {
        String info = j.clusterInfo();
        Map<Integer, Integer> slotsByPort = slotsByPort(j);
        last = info + "\n" + j.clusterNodes();
        int covered = 0;
        for (Map.Entry<Integer, Integer> e : slotsByPort.entrySet()) {
          if (live.ports().contains(e.getKey())) {
            covered += e.getValue();
          }
        }
        if (info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + known)
            && covered == 16384 && slotsByPort.keySet().containsAll(live.ports())) {
          return;
        }
      } catch (RuntimeException notYet) {
        last = notYet.toString();
      }
      Thread.sleep(250);
    }
    throw new AssertionError("not settled on " + port + " with " + live.ports() + ":\n" + last);
  }

  private static Map<Integer, Integer> slotsByPort(Jedis j) {
    Map<Integer, Integer> out = new HashMap<>();
    for (Object o : j.clusterSlots()) {
      List<?> range = (List<?>) o;
      int n = (int) ((Long) range.get(1) - (Long) range.get(0) + 1);
      int owner = ((Long) ((List<?>) range.get(2)).get(1)).intValue();
      out.merge(owner, n, Integer::sum);
    }
    return out;
  }

  private static void assertNoneOwnedBy(int askPort, int gonePort) {
    try (Jedis j = new Jedis("127.0.0.1", askPort, 5000)) {
      assertTrue(!slotsByPort(j).containsKey(gonePort), j.clusterNodes());
    }
  }

  /** acknowledged <= value <= attempted for every counter, read from its owner. */
  private static void checkLedger(Ledger ledger, int[] live) throws InterruptedException {
    assertEquals(List.of(), ledger.verify(live[0]), "0 acknowledged INCRs lost, none applied twice");
  }

  private static Map<Integer, Integer> ownerBySlot(int port) {
    return ClusterProbe.ownerBySlot(port);
  }

  /** One key per slot, written through its owner: every slot accepts writes. */
  private static void everySlotTakesWrites(int[] live) throws Exception {
    ClusterProbe.awaitEverySlotTakesWrites(live[0]);
  }

  private static void signal(String sig, long pid) throws Exception {
    new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start().waitFor();
  }
}
