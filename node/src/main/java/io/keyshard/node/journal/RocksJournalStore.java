package io.keyshard.node.journal;

import com.typesafe.config.ConfigFactory;
import io.keyshard.persistence.rocks.RawRecords;
import io.keyshard.persistence.rocks.RocksSettings;
import io.keyshard.persistence.rocks.RocksStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A RocksDB journal directory as a conversion's source or target. */
final class RocksJournalStore implements JournalStore {
  private static final int BATCH = 1000;
  private final RocksStore store;

  RocksJournalStore(Path dir) {
    RocksSettings defaults =
        RocksSettings.from(ConfigFactory.load().getConfig("keyshard-rocksdb"));
    this.store = RocksStore.acquire(defaults.withDir(dir));
  }

  @Override
  public String describe() {
    return "the RocksDB journal in " + store.dir();
  }

  @Override
  public boolean isEmpty() throws Exception {
    return store.isEmpty();
  }

  @Override
  public Map<String, Long> readAll(Sink sink) throws Exception {
    Map<String, Long> highest = new HashMap<>();
    List<RawRecords.Event> events = new ArrayList<>();
    List<RawRecords.Snapshot> snapshots = new ArrayList<>();
    Exception[] failed = new Exception[1];
    store.exportAll(
        new RocksStore.RawVisitor() {
          @Override
          public void event(RawRecords.Event event) {
            events.add(event);
            if (events.size() >= BATCH) {
              flushEvents();
            }
          }

          @Override
          public void snapshot(RawRecords.Snapshot snapshot) {
            flushEvents();
            snapshots.add(snapshot);
            if (snapshots.size() >= BATCH / 10) {
              flushSnapshots();
            }
          }

          @Override
          public void highest(String persistenceId, long seqNr) {
            highest.put(persistenceId, seqNr);
          }

          private void flushEvents() {
            if (!events.isEmpty() && failed[0] == null) {
              try {
                sink.events(List.copyOf(events));
              } catch (Exception e) {
                failed[0] = e;
              }
            }
            events.clear();
          }

          private void flushSnapshots() {
            if (!snapshots.isEmpty() && failed[0] == null) {
              try {
                sink.snapshots(List.copyOf(snapshots));
              } catch (Exception e) {
                failed[0] = e;
              }
            }
            snapshots.clear();
          }
        });
    if (!events.isEmpty()) {
      sink.events(events);
    }
    if (!snapshots.isEmpty()) {
      sink.snapshots(snapshots);
    }
    if (failed[0] != null) {
      throw failed[0];
    }
    return highest;
  }

  @Override
  public void writeEvents(List<RawRecords.Event> events) {
    store.importRaw(events, List.of(), Map.of()).join();
  }

  @Override
  public void writeSnapshots(List<RawRecords.Snapshot> snapshots) {
    store.importRaw(List.of(), snapshots, Map.of()).join();
  }

  @Override
  public void writeHighest(Map<String, Long> highest) {
    store.importRaw(List.of(), List.of(), highest).join();
  }

  @Override
  public void close() {
    store.release();
  }
}
