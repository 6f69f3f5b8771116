package io.keyshard.persistence.rocks;

import static io.keyshard.persistence.rocks.StoreFixture.append;
import static io.keyshard.persistence.rocks.StoreFixture.events;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A second writer of one persistence id is refused, also after deletes and a reopen. */
class SequenceFenceTest {
  private final Path dir = TempDirs.create("rocks-fence");

  @AfterEach
  void cleanUp() {
    TempDirs.delete(dir);
  }

  @Test
  void aSecondWriterIsRefusedBeforeAndAfterDeletesAndAReopen() throws Exception {
    RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
    append(store, "slot-7", 1, 3).get();

    assertFenced(append(store, "slot-7", 3, 3));
    assertFenced(append(store, "slot-7", 1, 2));

    store.write(new WriteOp.DeleteEventsTo("slot-7", 3)).get();
    assertEquals(List.of(), events(store, "slot-7"));
    assertEquals(3, store.readHighestSeqNr("slot-7"), "the highest survives the delete");
    assertFenced(append(store, "slot-7", 2, 2));
    assertFenced(append(store, "slot-7", 3, 3));

    store.release();
    RocksStore reopened = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
    try {
      assertEquals(3, reopened.readHighestSeqNr("slot-7"), "and the reopen");
      assertFenced(append(reopened, "slot-7", 3, 3));
      append(reopened, "slot-7", 4, 4).get();
      assertEquals(List.of("4=slot-7#4"), events(reopened, "slot-7"));
    } finally {
      reopened.release();
    }
  }

  @Test
  void aGapIsRefusedToo() throws Exception {
    RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
    try {
      append(store, "slot-1", 1, 2).get();
      assertFenced(append(store, "slot-1", 4, 4));
      assertEquals(2, store.readHighestSeqNr("slot-1"));
    } finally {
      store.release();
    }
  }

  @Test
  void twoIncarnationsInOneJvmShareOneStoreAndOneFence() throws Exception {
    // What two actor systems on one directory get: the same store, so the same writer.
    RocksStore first = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
    RocksStore second = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
    try {
      assertEquals(first, second);
      CompletableFuture<Void> a = append(first, "slot-9", 1, 1);
      CompletableFuture<Void> b = append(second, "slot-9", 1, 1);
      int refused = 0;
      for (CompletableFuture<Void> f : List.of(a, b)) {
        try {
          f.get();
        } catch (ExecutionException e) {
          assertInstanceOf(SequenceFenceException.class, e.getCause());
          refused++;
        }
      }
      assertEquals(1, refused, "exactly one of the two writes of seq 1 is stored");
      assertEquals(1, events(first, "slot-9").size());
    } finally {
      second.release();
      first.release();
    }
  }

  @Test
  void aFencedCallStoresNothingAndOthersInTheSameBatchAreKept() throws Exception {
    RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
    try {
      append(store, "a", 1, 1).get();
      // One call with a good write for b and a stale one for a: neither is stored.
      CompletableFuture<Void> mixed = store.write(new WriteOp.Append(List.of(
          new WriteOp.Events("b", 1, 1, List.of(StoreFixture.value("b", 1))),
          new WriteOp.Events("a", 1, 1, List.of(StoreFixture.value("a", 1))))));
      CompletableFuture<Void> other = append(store, "c", 1, 1);
      assertFenced(mixed);
      other.get();
      assertEquals(List.of(), events(store, "b"));
      assertEquals(0, store.readHighestSeqNr("b"));
      assertEquals(List.of("1=c#1"), events(store, "c"));
    } finally {
      store.release();
    }
  }

  private static void assertFenced(CompletableFuture<Void> write) {
    ExecutionException e = assertThrows(ExecutionException.class, write::get);
    assertInstanceOf(SequenceFenceException.class, e.getCause());
  }
}
