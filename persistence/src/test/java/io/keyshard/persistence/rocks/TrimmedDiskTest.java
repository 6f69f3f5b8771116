package io.keyshard.persistence.rocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What trimming deletes leaves the disk (docs/decisions/2026-12-06-bounded-journal.md): the
 * store takes what a node's slots send it when they overwrite their keys (events, a snapshot,
 * the events up to it deleted, the older snapshots deleted: range tombstones), many times its
 * live data, and the directory's size on disk (allocated blocks, what du and a full disk count)
 * stays near the live journal plus the write buffers all along. It grows with the writes if
 * the deletes stop, if range tombstones never meet the data in a compaction, if the WAL keeps
 * files for the rarely flushed families, or if files are preallocated far beyond their data.
 */
class TrimmedDiskTest {
  private static final int IDS = 500;
  private static final int VALUE = 1024;
  private static final int EVENTS_PER_SNAPSHOT = 4;
  private static final long WRITTEN = 120L << 20;

  private final Path dir = TempDirs.create("rocks-trimmed-disk");

  @AfterEach
  void cleanUp() {
    TempDirs.delete(dir);
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void overwritesThatAreTrimmedKeepTheDirectoryNearTheLiveJournal() throws Exception {
    RocksSettings settings = StoreFixture.settings(dir, AppendFsync.NO);
    RocksStore store = RocksStore.acquire(settings);
    AtomicLong peak = new AtomicLong();
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        peak.accumulateAndGet(allocatedBytes(dir), Math::max);
        sleep(100);
      }
    }, "du-sampler");
    long[] seqNr = new long[IDS];
    long written = 0;
    try {
      sampler.start();
      Random random = new Random(15);
      while (written < WRITTEN) {
        // One round: every id appends a few events, snapshots after them and trims, as a slot
        // whose events outweigh its state does; the ops of a round share group commits.
        List<CompletableFuture<Void>> round = new ArrayList<>();
        for (int id = 0; id < IDS; id++) {
          String pid = "slot-" + id;
          List<byte[]> values = new ArrayList<>();
          for (int i = 0; i < EVENTS_PER_SNAPSHOT; i++) {
            values.add(randomBytes(random, VALUE));
          }
          long from = seqNr[id] + 1;
          long to = seqNr[id] + EVENTS_PER_SNAPSHOT;
          seqNr[id] = to;
          round.add(store.write(new WriteOp.Append(List.of(new WriteOp.Events(pid, from, to, values)))));
          round.add(store.write(new WriteOp.PutSnapshot(KeyLayout.key(pid, to), randomBytes(random, VALUE))));
          written += (EVENTS_PER_SNAPSHOT + 1) * VALUE;
        }
        CompletableFuture.allOf(round.toArray(CompletableFuture[]::new)).get();
        // The snapshots are saved: what they cover goes, as JournalTrim sends it.
        List<CompletableFuture<Void>> trims = new ArrayList<>();
        for (int id = 0; id < IDS; id++) {
          String pid = "slot-" + id;
          trims.add(store.write(new WriteOp.DeleteEventsTo(pid, seqNr[id])));
          trims.add(store.write(new WriteOp.DeleteSnapshots(
              KeyLayout.key(pid, 0), KeyLayout.after(pid, seqNr[id] - 1), List.of())));
        }
        CompletableFuture.allOf(trims.toArray(CompletableFuture[]::new)).get();
      }
    } finally {
      sampling.set(false);
      sampler.join();
    }
    long after = allocatedBytes(dir);
    try {
      // What is left is each id's newest snapshot; no event, no older snapshot.
      assertEquals(List.of(), StoreFixture.events(store, "slot-0"));
      assertEquals(List.of(), StoreFixture.events(store, "slot-" + (IDS - 1)));
      List<Long> snapshots = new ArrayList<>();
      store.scanSnapshotsDescending("slot-0", Long.MAX_VALUE, 0, (s, value) -> snapshots.add(s));
      assertEquals(List.of(seqNr[0]), snapshots);
    } finally {
      store.release();
    }
    // The live journal is one snapshot per id; between trims, a round of events besides. The
    // rest is RocksDB's working space: the WAL (capped at half the write buffers), memtables
    // flushed into level-0 files (compacted with the bottom level from two on) and a
    // compaction's output before its inputs go.
    long live = IDS * (long) (EVENTS_PER_SNAPSHOT + 2) * VALUE;
    long bound = 3 * live + 4 * settings.writeBufferBytes();
    System.out.printf("[trimmed disk] %d MB written, live journal <= %.1f MB: directory peak %.1f MB,"
            + " %.1f MB at the end (bound %.1f MB)%n",
        written >> 20, live / 1048576.0, peak.get() / 1048576.0, after / 1048576.0,
        bound / 1048576.0);
    assertTrue(peak.get() <= bound, "directory peak " + peak.get() + " > " + bound);
    assertTrue(after <= bound, "directory " + after + " > " + bound);
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /** Blocks allocated to the directory's files, as du counts them (preallocation included). */
  static long allocatedBytes(Path dir) {
    try {
      Process du = new ProcessBuilder("du", "-sk", dir.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      du.waitFor();
      // du may complain about a file RocksDB deleted while it ran; its total is still printed.
      return Long.parseLong(out.split("\\s+")[0]) * 1024;
    } catch (IOException e) {
      throw new IllegalStateException("du failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
