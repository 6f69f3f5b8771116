package io.keyshard.persistence.rocks;

import static io.keyshard.persistence.rocks.StoreFixture.append;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** everysec and no acknowledge without a sync; everysec syncs in the background; runtime switch. */
class AppendFsyncTest {
  private final Path dir = TempDirs.create("rocks-appendfsync");

  @AfterEach
  void cleanUp() {
    TempDirs.delete(dir);
  }

  @Test
  void everysecAcknowledgesUnsyncedAndSyncsInTheBackground() throws Exception {
    // The fixture's interval is 200 ms.
    RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.EVERYSEC));
    try {
      long before = store.walSyncs();
      for (int seqNr = 1; seqNr <= 100; seqNr++) {
        append(store, "slot-0", seqNr, seqNr).get();
      }
      long afterWrites = store.walSyncs() - before;
      assertTrue(afterWrites < 10, "100 acknowledged writes, " + afterWrites + " syncs");
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (store.walSyncs() - before == afterWrites && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(store.walSyncs() - before > afterWrites, "the background sync ran");
      long idle = store.walSyncs();
      Thread.sleep(600);
      assertEquals(idle, store.walSyncs(), "no sync without new writes");
    } finally {
      store.release();
    }
  }

  @Test
  void noNeverSyncsWhileRunning() throws Exception {
    RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.NO));
    try {
      long before = store.walSyncs();
      for (int seqNr = 1; seqNr <= 100; seqNr++) {
        append(store, "slot-0", seqNr, seqNr).get();
      }
      Thread.sleep(600); // three everysec intervals of the fixture
      assertEquals(0, store.walSyncs() - before);
      assertEquals(100, store.readHighestSeqNr("slot-0"));
    } finally {
      store.release();
    }
  }

  @Test
  void theModeChangesAtRunTimeAndIsReported() throws Exception {
    RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.NO));
    try {
      assertEquals(AppendFsync.NO, store.appendFsync());
      append(store, "slot-0", 1, 10).get();
      long before = store.walSyncs();
      store.setAppendFsync(AppendFsync.ALWAYS);
      assertEquals(AppendFsync.ALWAYS, store.appendFsync());
      append(store, "slot-0", 11, 11).get();
      assertTrue(store.walSyncs() > before, "the first write after the switch was synced");
      long always = store.walSyncs();
      append(store, "slot-0", 12, 12).get();
      assertTrue(store.walSyncs() > always);
      store.setAppendFsync(AppendFsync.parse("everysec"));
      assertEquals("everysec", store.appendFsync().redisName());
    } finally {
      store.release();
    }
  }

  @Test
  void parsesRedisNamesOnly() {
    assertEquals(AppendFsync.ALWAYS, AppendFsync.parse("Always"));
    assertEquals(AppendFsync.NO, AppendFsync.parse("no"));
    assertThrows(IllegalArgumentException.class, () -> AppendFsync.parse("sometimes"));
  }
}
