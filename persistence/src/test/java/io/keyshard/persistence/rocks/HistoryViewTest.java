package io.keyshard.persistence.rocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RocksStore.HistoryView: what rebuilds an id at an instant (its newest snapshot saved before it,
 * the events after it written before it), and a refusal, never a silent gap, once a trim took
 * what that needs. Records are stored with chosen times (as the converter stores them).
 */
class HistoryViewTest {
  private final Path dir = TempDirs.create("rocks-history");

  @AfterEach
  void cleanUp() {
    TempDirs.delete(dir);
  }

  private static RawRecords.Event event(String id, long seqNr, long time) {
    return new RawRecords.Event(id, seqNr, time, time, "w", "", new RawRecords.Payload(1, "E", new byte[] {(byte) seqNr}), List.of(), null);
  }

  private static RawRecords.Snapshot snapshot(String id, long seqNr, long time) {
    return new RawRecords.Snapshot(id, seqNr, time, new RawRecords.Payload(1, "S", new byte[] {(byte) seqNr}), null);
  }

  /** What read hands over: "s<seqNr>" for the snapshot, then each event's seqNr; null if refused. */
  private static List<String> read(RocksStore.HistoryView view, String id, long at) throws Exception {
    List<String> out = new ArrayList<>();
    boolean held =
        view.read(
            id,
            at,
            new RocksStore.RecoveryVisitor() {
              @Override
              public void snapshot(long seqNr, byte[] record, int length) {
                out.add("s" + seqNr);
              }

              @Override
              public void event(long seqNr, byte[] record, int length) {
                out.add(Long.toString(seqNr));
              }
            });
    return held ? out : null;
  }

  /** The events since {@code at}; null if the view cannot tell them all. */
  private static List<String> since(RocksStore.HistoryView view, String id, long at) throws Exception {
    List<String> out = new ArrayList<>();
    boolean told =
        view.since(
            id,
            at,
            new RocksStore.RecoveryVisitor() {
              @Override
              public void snapshot(long seqNr, byte[] record, int length) {}

              @Override
              public void event(long seqNr, byte[] record, int length) {
                out.add(Long.toString(seqNr));
              }
            });
    return told ? out : null;
  }

  @Test
  void rebuildsAnInstantFromTheNewestSnapshotBeforeItAndTheEventsWrittenBeforeIt() throws Exception {
    RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
    try {
      // Events 1..6 at 100, 200, ..., 600; snapshots after 2 (saved at 250) and 4 (at 450).
      List<RawRecords.Event> events = new ArrayList<>();
      for (int i = 1; i <= 6; i++) {
        events.add(event("slot-9", i, 100L * i));
      }
      store.importRaw(events, List.of(snapshot("slot-9", 2, 250), snapshot("slot-9", 4, 450)), Map.of("slot-9", 6L)).get();
      try (RocksStore.HistoryView view = store.historyView()) {
        assertEquals(List.of(), read(view, "slot-9", 100), "before the first event: nothing");
        assertEquals(List.of("1", "2"), read(view, "slot-9", 250), "a snapshot saved at the instant is after it");
        assertEquals(List.of("s2", "3"), read(view, "slot-9", 400));
        assertEquals(List.of("s4", "5"), read(view, "slot-9", 501));
        assertEquals(List.of("s4", "5", "6"), read(view, "slot-9", 10_000));
        assertEquals(0, view.earliest("slot-9"));
        assertEquals(List.of("4", "5", "6"), since(view, "slot-9", 400));
        assertEquals(List.of(), since(view, "slot-9", 601));
        assertEquals(List.of(), since(view, "slot-404", 0), "an id never written changed nothing");
        assertEquals(List.of(), read(view, "slot-404", 10_000), "an id never written: empty");
      }

      // A trim to snapshot 4: events 1..4 and snapshot 2 deleted. A view opened before it still
      // sees them; a new one refuses the instants before snapshot 4's save.
      RocksStore.HistoryView old = store.historyView();
      store.write(new WriteOp.DeleteEventsTo("slot-9", 4)).get();
      store.write(new WriteOp.DeleteSnapshots(KeyLayout.key("slot-9", 0), KeyLayout.key("slot-9", 4), List.of())).get();
      try (old;
          RocksStore.HistoryView view = store.historyView()) {
        assertEquals(List.of("s2", "3"), read(old, "slot-9", 400));
        assertEquals(null, read(view, "slot-9", 400));
        assertEquals(null, read(view, "slot-9", 100));
        assertEquals(List.of("s4", "5"), read(view, "slot-9", 501));
        assertEquals(450, view.earliest("slot-9"));
        assertEquals(List.of("5", "6"), since(view, "slot-9", 500), "snapshot 4 was saved before 500");
        assertEquals(null, since(view, "slot-9", 300), "events 3 and 4 were written after 300, and are gone");
      }

      // Every event trimmed (snapshot 6, saved at 650): an instant before it is refused, not empty.
      store.importRaw(List.of(), List.of(snapshot("slot-9", 6, 650)), Map.of()).get();
      store.write(new WriteOp.DeleteEventsTo("slot-9", 6)).get();
      store.write(new WriteOp.DeleteSnapshots(KeyLayout.key("slot-9", 0), KeyLayout.key("slot-9", 6), List.of())).get();
      try (RocksStore.HistoryView view = store.historyView()) {
        assertEquals(null, read(view, "slot-9", 600));
        assertEquals(List.of("s6"), read(view, "slot-9", 651));
        assertEquals(650, view.earliest("slot-9"));
        assertEquals(List.of(), since(view, "slot-9", 651));
        assertEquals(null, since(view, "slot-9", 600));
        assertTrue(view.persistenceIds().contains("slot-9"));
        assertFalse(view.persistenceIds().contains("slot-404"));
      }
    } finally {
      store.release();
    }
  }
}
