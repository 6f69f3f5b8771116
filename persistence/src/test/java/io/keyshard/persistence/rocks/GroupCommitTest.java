package io.keyshard.persistence.rocks;

import static io.keyshard.persistence.rocks.StoreFixture.append;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Appendfsync always syncs before every acknowledgement, and concurrent writers share syncs.
 * Syncs are counted by RocksDB itself (its WAL_FILE_SYNCED ticker), not by the writer.
 */
class GroupCommitTest {
  private final Path dir = TempDirs.create("rocks-group-commit");

  @AfterEach
  void cleanUp() {
    TempDirs.delete(dir);
  }

  @Test
  void aLoneWriterGetsOneSyncPerWrite() throws Exception {
    RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
    try {
      long before = store.walSyncs();
      for (int seqNr = 1; seqNr <= 50; seqNr++) {
        append(store, "slot-0", seqNr, seqNr).get();
      }
      // Each write waited for its own sync: nothing else was queued to share it with.
      assertTrue(store.walSyncs() - before >= 50, "syncs: " + (store.walSyncs() - before));
    } finally {
      store.release();
    }
  }

  @Test
  void concurrentWritersShareSyncs() throws Exception {
    RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
    int writers = 64;
    int writesEach = 50;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      long before = store.walSyncs();
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String pid = "slot-" + w;
        done.add(pool.submit(() -> {
          for (int seqNr = 1; seqNr <= writesEach; seqNr++) {
            append(store, pid, seqNr, seqNr).get(); // each waits for its ack, as a slot does
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      long syncs = store.walSyncs() - before;
      int writes = writers * writesEach;
      assertTrue(syncs >= 1, "at least one sync");
      assertTrue(syncs * 4 < writes, writes + " writes took " + syncs + " syncs");
      for (int w = 0; w < writers; w++) {
        assertEquals(writesEach, StoreFixture.events(store, "slot-" + w).size());
        assertEquals(writesEach, store.readHighestSeqNr("slot-" + w));
      }
    } finally {
      pool.shutdownNow();
      store.release();
    }
  }
}
