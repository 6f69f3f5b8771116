package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The journal stays bounded (docs/decisions/2026-12-06-bounded-journal.md): a node on a
 * pekko-persistence-jdbc journal (an H2 file, the tables cluster mode uses on PostgreSQL) takes
 * many overwrites spread over many slots, and after a clean stop its journal rows and snapshots
 * are counted through JDBC on the same file; then every key must read back after a restart.
 */
class BoundedJournalTest {
  private static final long FLOOR = 4096; // keyshard.journal.snapshot-min-bytes's default
  private static final long BUDGET = 32L << 20; // keyshard.journal.events-budget's default

  @TempDir Path dir;

  private static final String JOURNAL_URL = "pekko-persistence-jdbc.shared-databases.keyshard.db.url";

  /** The H2 journal of earlier standalone nodes, chosen by its url (the default is RocksDB). */
  private static String h2Url(Path dir) {
    return "jdbc:h2:file:" + dir.resolve("journal") + ";WRITE_DELAY=0;RETENTION_TIME=1000";
  }

  private static Map<String, Object> onH2(Path dir) {
    return Map.of(JOURNAL_URL, h2Url(dir));
  }

  @Test
  @Timeout(value = 900, unit = TimeUnit.SECONDS)
  void overwritesOfTwoThousandKeysKeepTheJournalNearTheLiveData() throws Exception {
    overwrite(2_000, 200_000);
  }

  /** Fewer writes (5 per key): each of these slots snapshots every few writes at the floor. */
  @Test
  @Timeout(value = 900, unit = TimeUnit.SECONDS)
  void overwritesOfTwentyThousandKeysKeepTheJournalNearTheLiveData() throws Exception {
    overwrite(20_000, 100_000);
  }

  private void overwrite(int keys, int writes) throws Exception {
    Map<String, byte[]> expected = new HashMap<>();
    long started = System.currentTimeMillis();
    long t0 = System.nanoTime();
    try (TestNode node = TestNode.start(dir, onH2(dir));
        Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
      Random random = new Random(keys);
      Pipeline p = j.pipelined();
      for (int i = 0; i < writes; i++) {
        String key = "key:" + random.nextInt(keys);
        byte[] value = new byte[100 + random.nextInt(901)];
        random.nextBytes(value);
        expected.put(key, value);
        p.set(key.getBytes(StandardCharsets.UTF_8), value);
        if (i % 500 == 499) {
          p.sync();
        }
      }
      p.sync();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long live = 0;
    for (Map.Entry<String, byte[]> e : expected.entrySet()) {
      live += e.getKey().length() + e.getValue().length;
    }

    Journal j = Journal.read(dir);
    long slots = j.snapshotsPerId.keySet().stream().filter(id -> id.startsWith("slot-")).count();
    System.out.printf(
        "[bounded journal] %d SETs over %d keys in %.1f s: live data %.1f MB, %d slots snapshotted;"
            + " after a clean stop: %d event rows (%d marked deleted, %.1f MB payload),"
            + " %d snapshots (%.1f MB, at most %d per id), H2 file %.1f MB%n",
        writes, keys, seconds, live / 1e6, slots, j.eventRows, j.deletedRows, j.eventBytes / 1e6,
        j.snapshots, j.snapshotBytes / 1e6, j.maxSnapshotsPerId(), j.fileBytes / 1e6);

    // Each slot keeps its newest snapshot and the events after it, whose bytes stay below the
    // state's or the slot's floor: about twice the data, plus the slots' floors together.
    long bound = 3 * live + Math.max(BUDGET, slots * FLOOR);
    assertTrue(j.eventBytes + j.snapshotBytes <= bound,
        "journal payload " + (j.eventBytes + j.snapshotBytes) + " > " + bound);
    // Rows follow from the bytes (each of these events is ~250 estimated bytes or more); printed
    // above beside the writes, of which the journal kept every one before this change.
    // Older snapshots go once the events they covered are gone: at the stop one trim may be in
    // flight, and one more snapshot saved while it was.
    assertTrue(j.maxSnapshotsPerId() <= 3, "snapshots per id: " + j.maxSnapshotsPerId());
    assertTrue(j.fileBytes <= 3 * live + 64L * 1024 * 1024, "H2 file " + j.fileBytes);
    // pekko-persistence-jdbc stamps each row with its write time (point-in-time restores).
    assertTrue(j.minWriteTimestamp >= started - 1000 && j.maxWriteTimestamp <= System.currentTimeMillis(),
        "write_timestamp " + j.minWriteTimestamp + ".." + j.maxWriteTimestamp + ", test began " + started);

    try (TestNode again = TestNode.start(dir, onH2(dir));
        Jedis c = new Jedis("127.0.0.1", again.port(), 30_000)) {
      // DBSIZE waits for the node to load its data set (every slot recovers), and answers LOADING
      // after keyshard.loading-wait; later a slot may still take longer than the request
      // timeout on this busy machine (TRYAGAIN: nothing was run, so a read may retry).
      assertEquals(expected.size(), retried(() -> c.dbSize()));
      List<String> names = new ArrayList<>(expected.keySet());
      for (int from = 0; from < names.size(); from += 1000) {
        List<String> chunk = names.subList(from, Math.min(names.size(), from + 1000));
        Pipeline p = c.pipelined();
        List<Response<byte[]>> got = new ArrayList<>();
        for (String key : chunk) {
          got.add(p.get(key.getBytes(StandardCharsets.UTF_8)));
        }
        p.sync();
        for (int i = 0; i < chunk.size(); i++) {
          byte[] key = chunk.get(i).getBytes(StandardCharsets.UTF_8);
          byte[] value;
          try {
            value = got.get(i).get();
          } catch (JedisDataException e) {
            value = retried(() -> c.get(key));
          }
          assertArrayEquals(expected.get(chunk.get(i)), value, chunk.get(i));
        }
      }
    }
  }

  /**
   * keyshard.journal.retain: the newest snapshot at or before now - retain stays, with every
   * event after it, so the window can be rebuilt; what is older goes.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void retainKeepsTheEventsAfterTheNewestSnapshotOlderThanTheWindow() throws Exception {
    long retainMillis = 2000;
    long lastWrite;
    try (TestNode node =
            TestNode.start(
                dir,
                Map.of(
                    JOURNAL_URL, h2Url(dir),
                    "keyshard.journal.retain", retainMillis + "ms",
                    // One slot holds data: without this it alone would have the whole budget.
                    "keyshard.journal.events-budget", "4KiB"));
        Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
      byte[] value = new byte[500];
      long until = System.currentTimeMillis() + 3 * retainMillis;
      int i = 0;
      // One key (one slot): a snapshot every ~8 writes (the floor), for three windows.
      while (System.currentTimeMillis() < until) {
        value[0] = (byte) i++;
        j.set("retained".getBytes(StandardCharsets.UTF_8), value);
        Thread.sleep(5);
      }
      lastWrite = System.currentTimeMillis();
    }
    String id = "slot-" + io.keyshard.protocol.Slots.slot("retained".getBytes(StandardCharsets.UTF_8));
    try (Connection c = Journal.open(dir)) {
      TreeMap<Long, Long> events = rows(c, "select \"sequence_number\", \"write_timestamp\" from"
          + " \"event_journal\" where \"persistence_id\" = '" + id + "' and not \"deleted\"");
      TreeMap<Long, Long> snapshots = rows(c, "select \"sequence_number\", \"created\" from"
          + " \"snapshot\" where \"persistence_id\" = '" + id + "'");
      System.out.printf("[retain %d ms] %s: %d events (%d..%d), %d snapshots %s%n", retainMillis, id,
          events.size(), events.firstKey(), events.lastKey(), snapshots.size(), snapshots.keySet());
      // Something older than the window went...
      assertTrue(events.firstKey() > 1, "nothing was trimmed: " + events.firstKey());
      // ...every event after the oldest kept snapshot is there, without a gap...
      assertEquals(events.lastKey() - events.firstKey() + 1, events.size(), "a gap in the events");
      long oldest = snapshots.firstKey();
      assertTrue(oldest + 1 >= events.firstKey(), "events missing after snapshot " + oldest);
      // ...and that snapshot is at or before the window's start, so any moment of the window
      // can be rebuilt from it and the events after it.
      assertTrue(snapshots.get(oldest) <= lastWrite - retainMillis,
          "the oldest kept snapshot (" + snapshots.get(oldest) + ") is inside the window ending "
              + lastWrite);
    }
  }

  private static <T> T retried(Callable<T> read) throws Exception {
    long until = System.currentTimeMillis() + 120_000;
    while (true) {
      try {
        return read.call();
      } catch (JedisDataException e) {
        // LOADING: the node is still loading its data set (its slots recover one by one here).
        boolean again = e.getMessage().startsWith("TRYAGAIN") || e.getMessage().startsWith("LOADING");
        if (!again || System.currentTimeMillis() > until) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static TreeMap<Long, Long> rows(Connection c, String sql) throws SQLException {
    TreeMap<Long, Long> out = new TreeMap<>();
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        out.put(r.getLong(1), r.getLong(2));
      }
    }
    return out;
  }

  /** What the stopped node's H2 file holds. */
  private static final class Journal {
    long eventRows;
    long deletedRows;
    long eventBytes;
    long snapshots;
    long snapshotBytes;
    long minWriteTimestamp;
    long maxWriteTimestamp;
    long fileBytes;
    final Map<String, Long> snapshotsPerId = new HashMap<>();

    long maxSnapshotsPerId() {
      return snapshotsPerId.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    static Connection open(Path dir) throws SQLException {
      return DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("journal"), "keyshard", "");
    }

    static Journal read(Path dir) throws Exception {
      Journal j = new Journal();
      try (Connection c = open(dir); Statement s = c.createStatement()) {
        try (ResultSet r = s.executeQuery("select count(*), coalesce(sum(case when \"deleted\" then 1"
            + " else 0 end), 0), coalesce(sum(octet_length(\"event_payload\")), 0),"
            + " min(\"write_timestamp\"), max(\"write_timestamp\") from \"event_journal\"")) {
          r.next();
          j.eventRows = r.getLong(1);
          j.deletedRows = r.getLong(2);
          j.eventBytes = r.getLong(3);
          j.minWriteTimestamp = r.getLong(4);
          j.maxWriteTimestamp = r.getLong(5);
        }
        try (ResultSet r = s.executeQuery("select \"persistence_id\", count(*),"
            + " sum(octet_length(\"snapshot_payload\")) from \"snapshot\" group by \"persistence_id\"")) {
          while (r.next()) {
            j.snapshotsPerId.put(r.getString(1), r.getLong(2));
            j.snapshots += r.getLong(2);
            j.snapshotBytes += r.getLong(3);
          }
        }
      }
      // Measured after the connection closed: H2 compacts its file on close.
      j.fileBytes = Files.size(dir.resolve("journal.mv.db"));
      return j;
    }
  }
}
