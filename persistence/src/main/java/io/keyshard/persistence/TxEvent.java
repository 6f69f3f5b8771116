package io.keyshard.persistence;

import java.util.List;

/**
 * The atomic multi-slot write, as stored (see docs/decisions/*-atomic-multi-slot-writes.md).
 * Append-only, like {@link SlotEvent}.
 */
public sealed interface TxEvent extends PersistentFormat {

  /**
   * One slot event nested in a transaction record, stored with its own manifest and bytes so
   * the nested events keep exactly the format of stand-alone ones.
   */
  record Nested(String manifest, byte[] bytes) {}

  /** The events one slot must apply for a transaction. */
  record SlotShare(int slot, List<Nested> events) {}

  /**
   * The commit point of a transaction, in the node's transaction log: once this is persisted
   * the transaction happens, and recovery completes it if the node stops half way. {@code log}:
   * the persistence id of the log it is in, which names the transaction with its id (null in
   * records written before that).
   */
  record TxPrepared(long txId, List<SlotShare> shares, String log) implements TxEvent {
    /**
     * A record written before transactions were named by their log ({@code log} null): its
     * shares were applied, and are recognised, by id alone.
     */
    public TxPrepared(long txId, List<SlotShare> shares) {
      this(txId, shares, null);
    }
  }

  /** Every slot of the transaction has applied its share. */
  record TxCompleted(long txId) implements TxEvent {}

  /**
   * Snapshot of the transaction log: prepared, not yet completed transactions, and (since
   * claims exist) the writer of its latest {@link TxLogClaimed}, or null.
   */
  record TxLogSnapshot(long maxTxId, List<TxPrepared> pending, String writer)
      implements PersistentFormat {
    public TxLogSnapshot(long maxTxId, List<TxPrepared> pending) {
      this(maxTxId, pending, null);
    }
  }

  /**
   * From here on {@code writer} (a node's incarnation, or a node completing the log of one that
   * is gone) is the log's one writer: a writer journals only while the latest claim is its own,
   * and the journal's refusal of a second write at a sequence number makes claiming a
   * compare-and-set (docs/decisions/2026-12-06-fencing-every-write.md).
   */
  record TxLogClaimed(String writer) implements TxEvent {}
}
