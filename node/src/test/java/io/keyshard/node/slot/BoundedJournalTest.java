package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import io.keyshard.persistence.rocks.AppendFsync;
import io.keyshard.persistence.rocks.RawRecords;
import io.keyshard.persistence.rocks.RocksSettings;
import io.keyshard.persistence.rocks.RocksStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The journal stays bounded (docs/decisions/2026-12-06-bounded-journal.md): a node takes many
 * overwrites spread over many slots, and after a clean stop its journal's events and snapshots
 * are counted, on a pekko-persistence-jdbc journal (an H2 file, the tables cluster mode uses on
 * PostgreSQL) through JDBC, on the standalone default (RocksDB) through its store, whose data
 * directory is also measured on disk while the node loads; then every key must read back after
 * a restart.
 */
class BoundedJournalTest {
  private static final long FLOOR = 4096; // keyshard.journal.snapshot-min-bytes's default

  @TempDir Path dir;

  private static final String JOURNAL_URL = "pekko-persistence-jdbc.shared-databases.keyshard.db.url";

  /** The H2 journal of earlier standalone nodes, chosen by its url (the default is RocksDB). */
  private static String h2Url(Path dir) {
    return "jdbc:h2:file:" + dir.resolve("journal") + ";WRITE_DELAY=0;RETENTION_TIME=1000";
  }

  /**
   * The H2 journal with an events budget well below the load (the default, 32 MiB, would need
   * minutes of writes to be passed several times over).
   */
  private static Map<String, Object> onH2(Path dir, long budget, long floor) {
    return Map.of(
        JOURNAL_URL, h2Url(dir),
        "keyshard.journal.events-budget", budget,
        "keyshard.journal.snapshot-min-bytes", floor);
  }

  @Test
  @Timeout(value = 900, unit = TimeUnit.SECONDS)
  void overwritesOfTwoThousandKeysKeepTheJournalNearTheLiveData() throws Exception {
    // ~33 MB of SETs, eight times the budget, over ~1.1 MB of live data in ~1,900 slots: each
    // slot snapshots about every 7 writes at the default floor, 4 or 5 times.
    overwrite(2_000, 60_000, 4L << 20, FLOOR);
  }

  /**
   * Fewer writes (8 per key) over ~4,400 slots: each slot's share of the budget is below a floor
   * of 1 KiB, so each snapshots every two writes or so, about four times.
   */
  @Test
  @Timeout(value = 900, unit = TimeUnit.SECONDS)
  void overwritesOfFiveThousandKeysKeepTheJournalNearTheLiveData() throws Exception {
    overwrite(5_000, 40_000, 4L << 20, 1024);
  }

  /**
   * The standalone default, RocksDB, with small budgets so that a short load is many times the
   * bound: a 2 MiB events budget and 4 MiB of write buffers (a WAL cap of 2 MiB). Trimming that
   * stopped (no deletes, deletes the store ignores, tombstones never compacted, WAL files kept
   * for a family rarely flushed, files preallocated far beyond their data) leaves ~60 MB of
   * events and fails every bound below.
   */
  @Test
  @Timeout(value = 900, unit = TimeUnit.SECONDS)
  void overwritesOnRocksDbKeepTheDataDirectoryNearTheLiveData() throws Exception {
    long budget = 2L << 20;
    long writeBuffers = 4L << 20;
    Map<String, Object> settings = Map.of(
        "keyshard.journal.events-budget", budget,
        "keyshard.journal.snapshot-min-bytes", 1024,
        "keyshard-rocksdb.memory.write-buffers", writeBuffers);
    Path journal = dir.resolve("journal");
    AtomicLong peak = new AtomicLong();
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        peak.accumulateAndGet(allocatedBytes(journal), Math::max);
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "du-sampler");
    sampler.start();
    Load load;
    try {
      load = load(2_000, 100_000, settings);
    } finally {
      sampling.set(false);
      sampler.join();
    }
    long stopped = allocatedBytes(journal);

    RocksJournalContents j = RocksJournalContents.read(journal);
    System.out.printf(
        "[bounded journal, RocksDB] %d SETs over %d keys in %.1f s: live data %.1f MB;"
            + " journal directory peak %.1f MB while loading, %.1f MB after a clean stop;"
            + " %d events (%.1f MB payload), %d snapshots (%.1f MB, at most %d per id)%n",
        load.writes, load.keys, load.seconds, load.live / 1e6, peak.get() / 1e6, stopped / 1e6,
        j.events, j.eventBytes / 1e6, j.snapshots, j.snapshotBytes / 1e6, j.maxSnapshotsPerId());

    // What the slots keep: their newest snapshot and the events after it, below their state's
    // bytes or their floors (together within the budget).
    long kept = 3 * load.live + budget;
    assertTrue(j.eventBytes + j.snapshotBytes <= kept,
        "journal payload " + (j.eventBytes + j.snapshotBytes) + " > " + kept);
    assertTrue(j.maxSnapshotsPerId() <= 3, "snapshots per id: " + j.maxSnapshotsPerId());
    // On disk, RocksDB's working space comes on top: the WAL (capped at half the write buffers),
    // memtables flushed to level-0 files until two are compacted with the bottom level, and a
    // compaction's output before its inputs go. A clean stop leaves the last WAL and memtables.
    long onDisk = kept + 4 * writeBuffers;
    assertTrue(stopped <= onDisk, "journal directory after the stop " + stopped + " > " + onDisk);
    // While loading a compaction may lag behind the flushes on this shared machine: twice that.
    assertTrue(peak.get() <= kept + 8 * writeBuffers,
        "journal directory peak " + peak.get() + " > " + (kept + 8 * writeBuffers));

    readBack(load.expected, settings);
  }

  /** What a load wrote: the last value of each key, and its size. */
  private record Load(Map<String, byte[]> expected, int keys, int writes, long live, double seconds) {}

  /** SETs of random values of 100-1000 bytes to random keys, pipelined; the node is stopped. */
  private Load load(int keys, int writes, Map<String, Object> settings) throws Exception {
    Map<String, byte[]> expected = new HashMap<>();
    long t0 = System.nanoTime();
    try (TestNode node = TestNode.start(dir, settings);
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
    long live = 0;
    for (Map.Entry<String, byte[]> e : expected.entrySet()) {
      live += e.getKey().length() + e.getValue().length;
    }
    return new Load(expected, keys, writes, live, (System.nanoTime() - t0) / 1e9);
  }

  private void overwrite(int keys, int writes, long budget, long floor) throws Exception {
    long started = System.currentTimeMillis();
    Load load = load(keys, writes, onH2(dir, budget, floor));
    Map<String, byte[]> expected = load.expected;
    double seconds = load.seconds;
    long live = load.live;

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
    long bound = 3 * live + Math.max(budget, slots * floor);
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

    readBack(expected, onH2(dir, budget, floor));
  }

  /** Every key reads back its last value after a restart on the same journal. */
  private void readBack(Map<String, byte[]> expected, Map<String, Object> settings) throws Exception {
    try (TestNode again = TestNode.start(dir, settings);
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

  /** Blocks allocated to a directory's files, as du counts them (preallocation included). */
  private static long allocatedBytes(Path dir) {
    try {
      Process du = new ProcessBuilder("du", "-sk", dir.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      du.waitFor();
      // du may complain about a file RocksDB deleted while it ran; its total is still printed,
      // and before the node creates the directory there is none.
      return out.isEmpty() ? 0 : Long.parseLong(out.split("\\s+")[0]) * 1024;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
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

  /** What the stopped node's RocksDB journal holds, read through its store. */
  private static final class RocksJournalContents implements RocksStore.RawVisitor {
    long events;
    long eventBytes;
    long snapshots;
    long snapshotBytes;
    final Map<String, Long> snapshotsPerId = new HashMap<>();

    long maxSnapshotsPerId() {
      return snapshotsPerId.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    static RocksJournalContents read(Path journal) throws Exception {
      RocksJournalContents j = new RocksJournalContents();
      RocksStore store = RocksStore.acquire(new RocksSettings(journal, AppendFsync.NO, 64L << 20,
          4L << 20, 4096, Duration.ofSeconds(1), Duration.ofMillis(200)));
      try {
        store.exportAll(j);
      } finally {
        store.release();
      }
      return j;
    }

    @Override
    public void event(RawRecords.Event event) {
      events++;
      eventBytes += event.payload().bytes().length;
    }

    @Override
    public void snapshot(RawRecords.Snapshot snapshot) {
      snapshots++;
      snapshotBytes += snapshot.payload().bytes().length;
      snapshotsPerId.merge(snapshot.persistenceId(), 1L, Long::sum);
    }

    @Override
    public void highest(String persistenceId, long seqNr) {}
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
