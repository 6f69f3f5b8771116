package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Durability across a real process boundary: a node in its own JVM takes writes from four
 * clients, is killed with kill -9 (or stopped with SIGTERM) in the middle, and is restarted over
 * the same directory. Whatever it acknowledged must be there afterwards.
 *
 * <p>The node's output is in {@code target/multi-jvm/<test>-<time>/node-<n>.log}, its data next to
 * it. No assertion here depends on speed; the load runs for a few seconds whatever it achieves.
 */
class CrashRecoveryTest {
  private static final int THREADS = 4;
  /** The load runs at least this long before the node is killed or stopped... */
  private static final Duration LOAD = Duration.ofSeconds(3);
  /** ...and until this many writes are acknowledged (a busy machine may be slow to warm up)... */
  private static final long MIN_ACKS = 100;
  /** ...but never longer than this, nor past this many acknowledgements. */
  private static final Duration MAX_LOAD = Duration.ofSeconds(30);
  private static final long MAX_ACKS = 20_000;
  /** Keys after the last one a thread sent, checked to be absent. */
  private static final int NEVER_SENT = 10;

  private final List<NodeProcess> nodes = new ArrayList<>();
  private Path work;

  @BeforeEach
  void setUp(TestInfo info) throws Exception {
    Path base = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"));
    String name = info.getTestMethod().orElseThrow().getName();
    work = base.resolve(name + "-" + System.currentTimeMillis()).toAbsolutePath();
    Files.createDirectories(work);
  }

  @AfterEach
  void killNodes() throws Exception {
    // Even when the test failed half way: no node may outlive its test.
    for (NodeProcess n : nodes) {
      n.close();
    }
    nodes.clear();
  }

  /**
   * With a snapshot every 5 events of a slot (and the events before it deleted), recovery takes
   * both paths: the SET keys' slots (a few events each) replay events only, the counters' slots
   * (dozens of events each) start from a snapshot, and the kill may land among snapshot writes.
   * One test rather than one per setting: each costs two node starts, seconds each here.
   */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void acknowledgedWritesSurviveKill9() throws Exception {
    Path conf = work.resolve("snapshot-often.conf");
    Files.writeString(conf, "keyshard.snapshot-every = 5\n");
    NodeProcess node = start(conf, "node-1.log");
    WriteLoad load = new WriteLoad("crash", node.port(), THREADS);
    long t0 = System.nanoTime();
    load.start();
    runUntilEnough(load, t0);
    double loadSeconds = (System.nanoTime() - t0) / 1e9;
    for (WriteLoad.Writer w : load.writers()) {
      // A thread that already gave up would make the crash land after its last write.
      assertTrue(w.thread.isAlive(), w.thread.getName() + " ended early: " + w.endedBy);
    }

    node.kill();
    load.join();
    for (WriteLoad.Writer w : load.writers()) {
      assertTrue(w.endedBy != null, w.thread.getName() + " did not notice the crash");
    }

    long r0 = System.nanoTime();
    NodeProcess again = start(conf, "node-2.log");
    double restartSeconds = (System.nanoTime() - r0) / 1e9;
    Report r = verify(again, load, false);
    System.out.printf(
        "[kill -9] after %.1f s of load from %d threads: %d writes acknowledged"
            + " (%d SET, %d INCR), %d error replies; restart took %.1f s;"
            + " verified %d acknowledged SET values,"
            + " %d counters (%d acknowledged INCRs, %d unacknowledged applied),"
            + " %d unacknowledged SETs (%d present, %d absent), %d never-sent keys absent,"
            + " dbsize %d%n",
        loadSeconds, THREADS, r.setsAcked + r.incrsAcked, r.setsAcked, r.incrsAcked,
        r.errorReplies, restartSeconds, r.setsVerified, r.counters, r.incrsAcked,
        r.incrsBeyondAck, r.setsUnacked, r.unackedPresent, r.setsUnacked - r.unackedPresent,
        r.neverSentAbsent, r.dbsize);
    assertTrue(r.failures.isEmpty(), r.failureSummary(again));
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void gracefulRestartKeepsEverything() throws Exception {
    NodeProcess node = start(null, "node-1.log");
    WriteLoad load = new WriteLoad("graceful", node.port(), THREADS);
    long t0 = System.nanoTime();
    load.start();
    runUntilEnough(load, t0);
    load.stop();
    for (WriteLoad.Writer w : load.writers()) {
      assertNull(w.endedBy, w.thread.getName() + " failed");
      assertEquals(0, w.errorReplies, w.thread.getName() + " got error replies");
    }

    long s0 = System.nanoTime();
    int exit = node.stop(Duration.ofSeconds(30));
    double stopSeconds = (System.nanoTime() - s0) / 1e9;
    NodeProcess again = start(null, "node-2.log");
    Report r = verify(again, load, true);
    System.out.printf(
        "[SIGTERM] %d writes acknowledged (%d SET, %d INCR) by %d threads; node exited with %d"
            + " %.1f s after SIGTERM; after restart verified all %d SET values and %d counters"
            + " exactly, dbsize %d%n",
        r.setsAcked + r.incrsAcked, r.setsAcked, r.incrsAcked, THREADS, exit, stopSeconds,
        r.setsVerified, r.counters, r.dbsize);
    assertTrue(r.failures.isEmpty(), r.failureSummary(again));
  }

  private NodeProcess start(Path config, String logName) throws Exception {
    NodeProcess n = NodeProcess.start(work.resolve("data"), config, work.resolve(logName));
    nodes.add(n);
    return n;
  }

  private static void runUntilEnough(WriteLoad load, long t0) throws InterruptedException {
    while (true) {
      long elapsed = System.nanoTime() - t0;
      long acks = load.acks();
      boolean enough = elapsed >= LOAD.toNanos() && acks >= MIN_ACKS;
      if (enough || acks >= MAX_ACKS || elapsed >= MAX_LOAD.toNanos()) {
        break;
      }
      Thread.sleep(20);
    }
    assertTrue(load.acks() > 0, "the node acknowledged no write in " + MAX_LOAD);
  }

  /**
   * Reads back every key the load touched. {@code exact}: nothing was in flight when the node
   * went down, so every counter must equal its last acknowledged value and every SET be present.
   */
  private static Report verify(NodeProcess node, WriteLoad load, boolean exact) {
    Report r = new Report();
    long minKeys = 0;
    long maxKeys = 0;
    try (Jedis jedis =
        new Jedis(
            new HostAndPort("127.0.0.1", node.port()),
            DefaultJedisClientConfig.builder().socketTimeoutMillis(60_000).build())) {
      for (WriteLoad.Writer w : load.writers()) {
        r.errorReplies += w.errorReplies;
        r.incrsAcked += w.incrsAcked;
        int sent = w.setValues.size();
        List<String> got = getAll(jedis, w, sent + NEVER_SENT);
        for (int i = 0; i < sent; i++) {
          String want = w.setValues.get(i);
          String have = got.get(i);
          if (w.setAcked.get(i)) {
            r.setsAcked++;
            minKeys++;
            maxKeys++;
            if (want.equals(have)) {
              r.setsVerified++;
            } else {
              r.fail(w.setKey(i) + ": SET acknowledged with " + want + ", found " + have);
            }
          } else {
            r.setsUnacked++;
            maxKeys++;
            if (have != null && !have.equals(want)) {
              r.fail(w.setKey(i) + ": SET not acknowledged, attempted " + want + ", found " + have);
            } else if (exact) {
              r.fail(w.setKey(i) + ": SET not acknowledged in a run without a crash");
            } else if (have != null) {
              r.unackedPresent++;
            }
          }
        }
        for (int i = sent; i < sent + NEVER_SENT; i++) {
          if (got.get(i) == null) {
            r.neverSentAbsent++;
          } else {
            r.fail(w.setKey(i) + ": never sent, found " + got.get(i));
          }
        }
        for (int c = 0; c < WriteLoad.COUNTERS_PER_THREAD; c++) {
          String key = w.counterKey(c);
          String raw = jedis.get(key);
          long have = raw == null ? 0 : Long.parseLong(raw);
          long acked = w.incrAcked[c];
          long attempted = w.incrAttempted[c];
          r.counters++;
          minKeys += acked > 0 ? 1 : 0;
          maxKeys += attempted > 0 ? 1 : 0;
          // After a crash the INCR in flight may or may not have been applied.
          boolean ok =
              exact ? have == acked && acked == attempted : acked <= have && have <= attempted;
          if (!ok) {
            r.fail(key + ": last acknowledged INCR " + acked + ", " + attempted + " attempted,"
                + " found " + have);
          }
          r.incrsBeyondAck += Math.max(0, have - acked);
        }
      }
      r.dbsize = jedis.dbSize();
    }
    if (r.dbsize < minKeys || r.dbsize > maxKeys) {
      r.fail("DBSIZE " + r.dbsize + ", expected between " + minKeys + " and " + maxKeys);
    }
    return r;
  }

  /** GET of the writer's first {@code n} SET keys, pipelined in chunks. */
  private static List<String> getAll(Jedis jedis, WriteLoad.Writer w, int n) {
    List<String> out = new ArrayList<>(n);
    int chunk = 500;
    for (int from = 0; from < n; from += chunk) {
      List<Response<String>> responses = new ArrayList<>();
      try (Pipeline p = jedis.pipelined()) {
        for (int i = from; i < Math.min(n, from + chunk); i++) {
          responses.add(p.get(w.setKey(i)));
        }
        p.sync();
      }
      for (Response<String> resp : responses) {
        out.add(resp.get());
      }
    }
    return out;
  }

  private static final class Report {
    final List<String> failures = new ArrayList<>();
    long failureCount;
    long setsAcked;
    long setsVerified;
    long setsUnacked;
    long unackedPresent;
    long incrsAcked;
    long incrsBeyondAck;
    long counters;
    long neverSentAbsent;
    long errorReplies;
    long dbsize;

    void fail(String what) {
      failureCount++;
      if (failures.size() < 20) {
        failures.add(what);
      }
    }

    String failureSummary(NodeProcess node) {
      return failureCount + " problems after restart (first " + failures.size() + "):\n  "
          + String.join("\n  ", failures) + "\nnode log: " + node.log();
    }
  }
}
