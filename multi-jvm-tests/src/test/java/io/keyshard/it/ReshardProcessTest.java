package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.JedisCluster;

/**
 * `redis-cli --cluster reshard` (unmodified, per-key migration with MIGRATE and ASK) moves slots
 * that hold keys between node JVMs while JedisCluster clients keep a ledger of counters and
 * values: no acknowledged write lost or doubled, every key readable afterwards, TRYAGAIN
 * retried by the ledger and counted, no other error
 * (docs/decisions/2026-12-06-slot-migration-protocol.md).
 */
@Timeout(600)
class ReshardProcessTest {
  static final int SLOTS = 120;

  @Test
  void reshardUnderLoadLosesNothing() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "reshard-" + System.currentTimeMillis());
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
        String from = MigrationProbe.id(ports[0]);
        String to = MigrationProbe.id(ports[1]);
        // Keys in every slot the reshard moves (the source's lowest), and many elsewhere.
        List<Integer> moving = MigrationProbe.lowestSlots(ports[0], SLOTS);
        List<String> preloaded = new ArrayList<>();
        try (JedisCluster jc = new ClusterLedger(ports[2]).connect()) {
          for (int slot : moving) {
            for (int k = 0; k < 3; k++) {
              String key = MigrationProbe.tagFor(slot) + "pre" + k;
              jc.set(key, "p-" + key);
              preloaded.add(key);
            }
          }
        }

        try (ClusterLedger ledger = new ClusterLedger(ports[2], moving)) {
          ledger.start(6);
          Thread.sleep(2000);
          long t0 = System.nanoTime();
          String out =
              MigrationProbe.run(
                  "timeout", "300", "redis-cli", "--cluster", "reshard", "127.0.0.1:" + ports[0],
                  "--cluster-from", from, "--cluster-to", to, "--cluster-slots", Integer.toString(SLOTS),
                  "--cluster-yes", "--cluster-pipeline", "5");
          long ms = (System.nanoTime() - t0) / 1_000_000;
          Thread.sleep(2000);
          ledger.close();
          System.out.println(MigrationProbe.tail(out));
          System.out.println(
              "reshard of " + SLOTS + " slots under load took " + ms + " ms; ledger: "
                  + ledger.operations.get() + " operations, " + ledger.totalAcked() + " acknowledged INCRs, "
                  + ledger.tryAgain.get() + " TRYAGAIN retried, errors " + ledger.errors);
          assertTrue(out.contains("Moving slot " + moving.get(SLOTS - 1) + " from"), MigrationProbe.tail(out));
          assertTrue(!out.contains("[ERR]") && !out.contains("ERR "), MigrationProbe.tail(out));
          assertEquals(List.of(), ledger.errors, "no error but TRYAGAIN");
          assertEquals(List.of(), ledger.verify(), "0 acknowledged writes lost, 0 doubled");
          assertTrue(ledger.operations.get() > 100, "the clients kept working: " + ledger.operations.get());
        }
        Map<Integer, Integer> owners = ClusterProbe.ownerBySlot(ports[2]);
        for (int slot : moving) {
          assertEquals(ports[1], owners.get(slot), "slot " + slot + " moved");
        }
        String check = MigrationProbe.awaitCheck(ports[1]);
        assertTrue(!check.contains("migrating") && !check.contains("importing"), check);
        try (JedisCluster jc = new ClusterLedger(ports[0]).connect()) {
          for (String key : preloaded) {
            assertEquals("p-" + key, jc.get(key), key);
          }
        }
        MigrationProbe.assertOnExactlyOneNode(ports, moving, preloaded);
      } finally {
        for (NodeProcess n : nodes) {
          n.close();
        }
      }
    }
  }
}
