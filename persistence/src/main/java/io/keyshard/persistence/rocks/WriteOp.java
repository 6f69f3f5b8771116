package io.keyshard.persistence.rocks;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/** One caller's share of a group commit, completed after the batch that holds it is written. */
abstract class WriteOp {
  final CompletableFuture<Void> done = new CompletableFuture<>();

  /**
   * Adds this op to the batch, or throws before adding anything when it must be refused (the
   * fence); raises {@code highest} for what it adds, so later ops of the batch see it.
   */
  abstract void stage(WriteBatch batch, Handles h, HighestSeqNrs highest) throws RocksDBException;

  /**
   * What one AtomicWrite stores: consecutive events of one persistence id. A rejected one (its
   * payload could not be serialized) has no values: it stores nothing but still uses its
   * sequence numbers, as the writer that sent it does, so the writes after it follow on.
   */
  record Events(String persistenceId, long firstSeqNr, long lastSeqNr, List<byte[]> values) {
    static Events rejected(String persistenceId, long firstSeqNr, long lastSeqNr) {
      return new Events(persistenceId, firstSeqNr, lastSeqNr, List.of());
    }
  }

  /** Highest sequence numbers as the writer knows them: the store's, plus this batch's. */
  interface HighestSeqNrs {
    long get(String persistenceId) throws RocksDBException;

    void raise(String persistenceId, long seqNr);
  }

  /** The AtomicWrites of one asyncWriteMessages call: all stored, or (fenced) none. */
  static final class Append extends WriteOp {
    final List<Events> writes;

    Append(List<Events> writes) {
      this.writes = writes;
    }

    @Override
    void stage(WriteBatch batch, Handles h, HighestSeqNrs highest) throws RocksDBException {
      // Check every write first, in order, so a refused call adds nothing to the batch.
      Map<String, Long> next = new HashMap<>();
      for (Events w : writes) {
        long current = next.containsKey(w.persistenceId())
            ? next.get(w.persistenceId()) : highest.get(w.persistenceId());
        if (w.firstSeqNr() != current + 1) {
          throw new SequenceFenceException(w.persistenceId(), w.firstSeqNr(), current);
        }
        next.put(w.persistenceId(), w.lastSeqNr());
      }
      for (Events w : writes) {
        long seqNr = w.firstSeqNr();
        for (byte[] value : w.values()) { // none for a rejected write
          batch.put(h.events(), KeyLayout.key(w.persistenceId(), seqNr++), value);
        }
      }
      for (Map.Entry<String, Long> e : next.entrySet()) {
        batch.put(h.highest(), KeyLayout.idBytes(e.getKey()), KeyLayout.seqNrValue(e.getValue()));
        highest.raise(e.getKey(), e.getValue());
      }
    }
  }

  /** Converted records, stored as they are (RocksStore.importRaw). */
  static final class Import extends WriteOp {
    final List<RawRecords.Event> events;
    final List<RawRecords.Snapshot> snapshots;
    final Map<String, Long> highestSeqNrs;

    Import(List<RawRecords.Event> events, List<RawRecords.Snapshot> snapshots,
        Map<String, Long> highestSeqNrs) {
      this.events = events;
      this.snapshots = snapshots;
      this.highestSeqNrs = highestSeqNrs;
    }

    @Override
    void stage(WriteBatch batch, Handles h, HighestSeqNrs highest) throws RocksDBException {
      Map<String, Long> top = new HashMap<>(highestSeqNrs);
      for (RawRecords.Event e : events) {
        batch.put(h.events(), KeyLayout.key(e.persistenceId(), e.seqNr()), RawRecords.encode(e));
        top.merge(e.persistenceId(), e.seqNr(), Math::max);
      }
      for (RawRecords.Snapshot s : snapshots) {
        batch.put(h.snapshots(), KeyLayout.key(s.persistenceId(), s.seqNr()), RawRecords.encode(s));
      }
      for (Map.Entry<String, Long> e : top.entrySet()) {
        long seqNr = Math.max(e.getValue(), highest.get(e.getKey()));
        batch.put(h.highest(), KeyLayout.idBytes(e.getKey()), KeyLayout.seqNrValue(seqNr));
        highest.raise(e.getKey(), seqNr);
      }
    }
  }

  /** Writes nothing: makes the writer resume a store whose reopen failed (see RocksStore.Use). */
  static final class ResumeProbe extends WriteOp {
    @Override
    void stage(WriteBatch batch, Handles h, HighestSeqNrs highest) {}
  }

  /** Deletes an id's events up to a sequence number; its highest sequence number stays. */
  static final class DeleteEventsTo extends WriteOp {
    final String persistenceId;
    final long toSeqNr;

    DeleteEventsTo(String persistenceId, long toSeqNr) {
      this.persistenceId = persistenceId;
      this.toSeqNr = toSeqNr;
    }

    @Override
    void stage(WriteBatch batch, Handles h, HighestSeqNrs highest) throws RocksDBException {
      // One range tombstone however many events; capped at the highest so that it never
      // reaches past what exists.
      long to = Math.min(toSeqNr, highest.get(persistenceId));
      if (to >= 0) {
        batch.deleteRange(h.events(), KeyLayout.key(persistenceId, 0),
            KeyLayout.after(persistenceId, to));
      }
    }
  }

  static final class PutSnapshot extends WriteOp {
    final byte[] key;
    final byte[] value;

    PutSnapshot(byte[] key, byte[] value) {
      this.key = key;
      this.value = value;
    }

    @Override
    void stage(WriteBatch batch, Handles h, HighestSeqNrs highest) throws RocksDBException {
      batch.put(h.snapshots(), key, value);
    }
  }

  /** Deletes snapshot keys in [from, to) (a range tombstone), and listed single keys. */
  static final class DeleteSnapshots extends WriteOp {
    final byte[] from;
    final byte[] to;
    final List<byte[]> keys;

    DeleteSnapshots(byte[] from, byte[] to, List<byte[]> keys) {
      this.from = from;
      this.to = to;
      this.keys = keys;
    }

    @Override
    void stage(WriteBatch batch, Handles h, HighestSeqNrs highest) throws RocksDBException {
      if (from != null) {
        batch.deleteRange(h.snapshots(), from, to);
      }
      for (byte[] key : keys) {
        batch.delete(h.snapshots(), key);
      }
    }
  }
}
