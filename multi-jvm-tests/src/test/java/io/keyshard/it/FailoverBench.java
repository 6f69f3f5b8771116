package io.keyshard.it;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * bench/failover.sh: kill -9 of a primary under an INCR load, on 3 primaries without and with
 * a replica each, RUNS times each; prints, per run and as median and max: time to detect
 * (first "UNREACHABLE" or "was downed" on a survivor), to down ("was downed"), to the member's
 * removal, who downed it (the exit watch or the resolver), until every slot is served again (the
 * moment the last of the dead node's slots acknowledged a write: {@link SlotProbe}), the events
 * replayed by the survivors' slot recoveries, the longest stall a client saw, and lost
 * acknowledged writes (must be 0). Measured, never asserted. {@code -Dnode.config="k = v; k2 = v2"}
 * adds settings to every node (to try other timings).
 */
public final class FailoverBench {
  private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  record Run(
      double detect, double down, double removed, String downedBy, double served, long replayed,
      long stallMs, long lost, long acked) {}

  public static void main(String[] args) throws Exception {
    int runs = Integer.parseInt(System.getProperty("runs", "10"));
    Path work = Files.createTempDirectory("keyshard-failover-bench");
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      String only = System.getProperty("replicas", "");
      int[] modes = only.isEmpty() ? new int[] {0, 1} : new int[] {Integer.parseInt(only)};
      for (int replicas : modes) {
        List<Run> results = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
          String db = "bench_" + replicas + "_" + i;
          try (java.sql.Connection c = pg.getPostgresDatabase().getConnection();
              java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + db);
          }
          Run r = once(work.resolve(db), pg.getJdbcUrl("postgres", db), replicas);
          results.add(r);
          System.out.printf(
              "replicas=%d run %d: detect %.1f s, down %.1f s (%s), removed %.1f s, all served %.1f s, replayed %d, stall %d ms, lost %d of %d acknowledged%n",
              replicas, i + 1, r.detect, r.down, r.downedBy, r.removed, r.served, r.replayed, r.stallMs, r.lost, r.acked);
        }
        table(replicas, results);
      }
    }
  }

  private static void table(int replicas, List<Run> runs) {
    System.out.printf("%n3 primaries, %d replica(s) each, %d runs: kill -9 of a primary under load%n", replicas, runs.size());
    System.out.println("| measure | median | max |");
    System.out.println("|---|---|---|");
    row("time to detect (s)", runs.stream().mapToDouble(Run::detect).toArray(), "%.1f");
    row("time to down (s)", runs.stream().mapToDouble(Run::down).toArray(), "%.1f");
    row("time to removal (s)", runs.stream().mapToDouble(Run::removed).toArray(), "%.1f");
    row("until every slot is served (s)", runs.stream().mapToDouble(Run::served).toArray(), "%.1f");
    row("events replayed at takeover", runs.stream().mapToDouble(Run::replayed).toArray(), "%.0f");
    row("longest client stall (ms)", runs.stream().mapToDouble(Run::stallMs).toArray(), "%.0f");
    row("lost acknowledged writes", runs.stream().mapToDouble(Run::lost).toArray(), "%.0f");
    System.out.printf(
        "downed by the exit watch in %d of %d runs, by the split brain resolver in the others%n%n",
        runs.stream().filter(r -> r.downedBy.equals("exit watch")).count(), runs.size());
  }

  private static void row(String name, double[] values, String format) {
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    System.out.printf("| %s | " + format + " | " + format + " |%n", name, median, v[v.length - 1]);
  }

  private static Run once(Path dir, String url, int replicas) throws Exception {
    Files.createDirectories(dir);
    int n = 3 * (1 + replicas);
    int[] ports = new int[n];
    for (int i = 0; i < n; i++) {
      ports[i] = Ports.cluster();
    }
    String extra = System.getProperty("node.config", "").replace(';', '\n') + "\n";
    List<Path> configs =
        ClusterProbe.configs(
            dir, url, ports, 3,
            i -> "keyshard.cluster.rehearse-takeover = 4096\n" + extra + (i >= 3 ? "keyshard.cluster.replica = on\n" : ""));
    NodeProcess[] nodes = ClusterProbe.launch(dir, configs, ports);
    Ledger ledger = new Ledger(new int[] {ports[0], ports[2]});
    try {
      for (NodeProcess node : nodes) {
        node.awaitReady();
      }
      awaitServed(ports[0]);
      if (replicas > 0) {
        awaitReplicas(ports[0], 3 * replicas);
        for (int i = 3; i < n; i++) {
          String info = ClusterProbe.awaitRehearsed(ports[i], java.time.Duration.ofMinutes(5));
          if (!info.contains("keyshard_takeover_rehearsal:done")) {
            throw new IllegalStateException("no rehearsal on " + ports[i] + ":\n" + info);
          }
        }
      }
      ledger.start(4);
      Thread.sleep(5000);
      long replayedBefore = 0;
      for (int i = 0; i < n; i++) {
        if (i != 1) {
          replayedBefore += ClusterProbe.info(ports[i], "cluster", "keyshard_recovery_events_replayed");
        }
      }
      // The victim: the second primary (not the oldest, which runs the slot table).
      long killedAt = System.currentTimeMillis();
      LocalTime killedTime = LocalTime.now();
      java.util.List<Integer> victims = new java.util.ArrayList<>();
      ClusterProbe.ownerBySlot(ports[0]).forEach((slot, port) -> {
        if (port == ports[1]) {
          victims.add(slot);
        }
      });
      nodes[1].kill();
      SlotProbe.Result probe = SlotProbe.await(ports[0], ports[1], victims, killedAt);
      double served = (probe.lastServedAt() - killedAt) / 1000.0;
      if (Boolean.getBoolean("bench.trace")) {
        System.out.println("  probe: " + probe.summary());
        // What writing every moved slot once costs when all are up.
        long again = System.currentTimeMillis();
        int refused = ClusterProbe.refusedWrites(probe.servedBy()).size();
        System.out.printf("  the same writes again, all at once: %d ms, %d refused%n", System.currentTimeMillis() - again, refused);
      }
      long replayed = -replayedBefore;
      for (int i = 0; i < n; i++) {
        if (i != 1) {
          replayed += ClusterProbe.info(ports[i], "cluster", "keyshard_recovery_events_replayed");
        }
      }
      Thread.sleep(1000);
      ledger.close();
      long lost = 0;
      Map<Integer, Integer> owner = ClusterProbe.ownerBySlot(ports[0]);
      for (int c = 0; c < Ledger.COUNTERS; c++) {
        try (Jedis j = new Jedis("127.0.0.1", owner.get(JedisClusterCRC16.getSlot(Ledger.key(c))), 10_000)) {
          String v = j.get(Ledger.key(c));
          lost += Math.max(0, ledger.acked(c) - (v == null ? 0 : Long.parseLong(v)));
        }
      }
      String log = nodes[0].logText();
      // Detected: the failure detector's verdict, or the down itself (the exit watch downs a
      // member whose process exited before the failure detector notices anything).
      double down = secondsAfter(killedTime, log, "was downed");
      double detect =
          Math.min(orInfinity(secondsAfter(killedTime, log, "Marking node as UNREACHABLE")), orInfinity(down));
      double removed = secondsAfter(killedTime, log, "was removed (Down)");
      String downedBy = "split brain resolver";
      for (int i = 0; i < n; i++) {
        if (i != 1 && nodes[i].logText().contains(" exited (its cluster bus connection closed")) {
          downedBy = "exit watch";
        }
      }
      return new Run(
          detect, down, removed, downedBy, served, replayed, ledger.longestStallMs.get(), lost, ledger.totalAcked());
    } finally {
      ledger.close();
      for (NodeProcess node : nodes) {
        if (node != null) {
          node.close();
        }
      }
    }
  }

  private static double orInfinity(double seconds) {
    return Double.isNaN(seconds) ? Double.POSITIVE_INFINITY : seconds;
  }

  /** Seconds from {@code since} to the first log line after it that contains {@code text}. */
  private static double secondsAfter(LocalTime since, String log, String text) {
    for (String line : log.split("\n")) {
      if (line.contains(text) && line.length() > 12) {
        try {
          LocalTime t = LocalTime.parse(line.substring(0, 12), LOG_TIME);
          if (!t.isBefore(since.minusNanos(500_000_000))) {
            return Math.max(0, (t.toNanoOfDay() - since.toNanoOfDay()) / 1e9);
          }
        } catch (java.time.format.DateTimeParseException notATimestamp) {
          // next line
        }
      }
    }
    return Double.NaN;
  }

  /** Until every slot has an owner and takes a write there (the cluster before a kill). */
  private static void awaitServed(int askPort) throws Exception {
    long until = System.currentTimeMillis() + 180_000;
    while (System.currentTimeMillis() < until) {
      try {
        Map<Integer, Integer> owner = ClusterProbe.ownerBySlot(askPort);
        if (owner.size() == 16384 && ClusterProbe.refusedWrites(owner).isEmpty()) {
          return;
        }
      } catch (RuntimeException notYet) {
        // again
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("slots not all served within 180 s");
  }

  private static void awaitReplicas(int port, int count) throws Exception {
    long until = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < until) {
      try (Jedis j = new Jedis("127.0.0.1", port, 5000)) {
        if (j.clusterNodes().lines().filter(l -> l.contains(" slave ")).count() >= count) {
          Thread.sleep(3000); // time to warm up
          return;
        }
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("replicas not assigned");
  }
}
