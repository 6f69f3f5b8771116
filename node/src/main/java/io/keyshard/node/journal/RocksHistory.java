package io.keyshard.node.journal;

import io.keyshard.persistence.rocks.RawRecords;
import io.keyshard.persistence.rocks.RawRecords.PayloadView;
import io.keyshard.persistence.rocks.RocksStore;
import java.util.List;

/** {@link JournalHistory} of the embedded store: a RocksDB snapshot of every family. */
final class RocksHistory implements JournalHistory {
  private final RocksStore.HistoryView view;

  RocksHistory(RocksStore store) {
    this.view = store.historyView();
  }

  @Override
  public List<String> persistenceIds() throws Exception {
    return view.persistenceIds();
  }

  @Override
  public boolean read(String id, long at, Visitor visitor) throws Exception {
    return view.read(
        id,
        at,
        new RocksStore.RecoveryVisitor() {
          @Override
          public void snapshot(long seqNr, byte[] record, int length) {
            PayloadView p = RawRecords.snapshotPayload(record, length);
            if (p == null) {
              throw new IllegalStateException(id + "'s snapshot " + seqNr + " carries metadata Keyshard never writes");
            }
            visitor.snapshot(seqNr, p.serializerId(), p.manifest(), p.record(), p.offset(), p.length());
          }

          @Override
          public void event(long seqNr, byte[] record, int length) {
            RocksHistory.event(id, seqNr, record, length, visitor);
          }
        });
  }

  @Override
  public boolean since(String id, long at, Visitor visitor) throws Exception {
    return view.since(
        id,
        at,
        new RocksStore.RecoveryVisitor() {
          @Override
          public void snapshot(long seqNr, byte[] record, int length) {}

          @Override
          public void event(long seqNr, byte[] record, int length) {
            RocksHistory.event(id, seqNr, record, length, visitor);
          }
        });
  }

  @Override
  public long earliest(String id) throws Exception {
    return view.earliest(id);
  }

  /** An event record's payload to the visitor; a record Keyshard never writes is refused. */
  private static void event(String id, long seqNr, byte[] record, int length, Visitor visitor) {
    PayloadView p = RawRecords.eventPayload(record, length);
    if (p == null) {
      throw new IllegalStateException(id + "'s event " + seqNr + " carries tags or metadata Keyshard never writes");
    }
    visitor.event(seqNr, p.serializerId(), p.manifest(), p.record(), p.offset(), p.length());
  }

  @Override
  public long now() {
    return System.currentTimeMillis(); // RocksJournal stamps events with this JVM's clock
  }

  @Override
  public void close() {
    view.close();
  }
}
