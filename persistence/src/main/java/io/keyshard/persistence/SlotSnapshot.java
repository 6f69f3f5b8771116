package io.keyshard.persistence;

import java.util.List;

/**
 * The snapshot format of one slot: an immutable copy of its keyspace. The live {@link SlotState}
 * is mutable for speed, so a snapshot is always taken as this copy, never by sharing the maps.
 * {@code handedOver}: the keys handed over in the slot's current migration, one entry per
 * database (null when none, as in every snapshot before slot migration).
 */
public record SlotSnapshot(
    List<DbEntries> dbs,
    List<Long> appliedTx,
    List<LogTx> appliedTxByLog,
    List<SlotEvent.KeysHandedOver> handedOver)
    implements PersistentFormat {

  /** A snapshot without transaction bookkeeping (as every snapshot before transactions). */
  public SlotSnapshot(List<DbEntries> dbs) {
    this(dbs, null, null, null);
  }

  /** A snapshot whose applied ids are all of no log (as every snapshot before logs were named). */
  public SlotSnapshot(List<DbEntries> dbs, List<Long> appliedTx) {
    this(dbs, appliedTx, null, null);
  }

  /** A snapshot without handed-over keys (as every snapshot before slot migration). */
  public SlotSnapshot(List<DbEntries> dbs, List<Long> appliedTx, List<LogTx> appliedTxByLog) {
    this(dbs, appliedTx, appliedTxByLog, null);
  }

  /** The ids of one transaction log's transactions this slot applied (see SlotEvent.TxApplied). */
  public record LogTx(String log, List<Long> txIds) {}

  public record DbEntries(int db, List<Entry> entries) {}

  public record Entry(byte[] key, Value value, long expireAt) {}
}
