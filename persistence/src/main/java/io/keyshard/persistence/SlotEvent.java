package io.keyshard.persistence;

import java.util.List;

/**
 * What a slot persists: deterministic effects, never commands. Expiry is an absolute time in
 * epoch milliseconds (0 = no expiry) and every choice (which element was popped, what a random
 * command picked) is already made, so replaying the journal rebuilds exactly the same state.
 *
 * <p>Append-only: never rename, renumber or change the meaning of an event or a field; add a new
 * event instead. {@code KeyshardSerializer}'s manifest table and the golden files in the tests
 * guard this.
 */
public sealed interface SlotEvent extends PersistentFormat {

  /** The database the event changes, or -1 for all of them. */
  int db();

  /**
   * A string value set, replacing whatever the key held; {@code hints} as in
   * {@link StringValue#hints()} (null for a plain value).
   */
  record ValueSet(int db, byte[] key, byte[] value, long expireAt, Integer hints)
      implements SlotEvent {
    public ValueSet(int db, byte[] key, byte[] value, long expireAt) {
      this(db, key, value, expireAt, null);
    }
  }

  /** Bytes appended to a string (created empty if missing). */
  record Appended(int db, byte[] key, byte[] suffix) implements SlotEvent {}

  /** Bytes written into a string at an offset, zero-padding as needed. */
  record RangeSet(int db, byte[] key, long offset, byte[] bytes) implements SlotEvent {}

  /** Keys removed by a command (DEL, UNLINK, GETDEL, a failed-type overwrite...). */
  record KeysDeleted(int db, List<byte[]> keys) implements SlotEvent {}

  /** Keys removed because their time passed (lazily on access or by the active cycle). */
  record KeysExpired(int db, List<byte[]> keys) implements SlotEvent {}

  /**
   * Keys removed to bring the node's used memory under maxmemory, chosen by its
   * maxmemory-policy (docs/decisions/2026-11-22-maxmemory.md).
   */
  record KeysEvicted(int db, List<byte[]> keys) implements SlotEvent {}

  /** A key's expiry set (absolute epoch ms) or removed (0). */
  record ExpirySet(int db, byte[] key, long expireAt) implements SlotEvent {}

  /** A key renamed within the slot, keeping its value and expiry, replacing the target. */
  record KeyRenamed(int db, byte[] from, byte[] to) implements SlotEvent {}

  /** A key's value and expiry copied to another key (maybe in another database) of the slot. */
  record KeyCopied(int db, byte[] from, int toDb, byte[] to) implements SlotEvent {}

  /**
   * A key created with a whole value of any type and its expiry, replacing what it held (the
   * destination half of a RENAME, COPY or MOVE between slots; RESTORE later).
   */
  record KeyRestored(int db, byte[] key, Value value, long expireAt) implements SlotEvent {}

  /** A key moved to another database of the same slot. */
  record KeyMoved(int db, byte[] key, int toDb) implements SlotEvent {}

  /**
   * Hash fields set to values (field, value, field, value ...), creating the hash if the key is
   * missing. HINCRBY and HINCRBYFLOAT record their result here, never the increment.
   */
  record HashFieldsSet(int db, byte[] key, List<byte[]> fieldsAndValues) implements SlotEvent {}

  /** Hash fields removed; a hash left without fields is removed, as Redis never keeps one. */
  record HashFieldsDeleted(int db, byte[] key, List<byte[]> fields) implements SlotEvent {}

  /**
   * An event of a collection type (list, set, sorted set) that changes one key and applies
   * itself: each type keeps its events next to its value class ({@code ListEvent},
   * {@code SetEvent}, {@code ZSetEvent}) instead of growing this file and {@link SlotState}.
   * Values that hold a whole key (the result of a *STORE) use {@link KeyRestored}.
   */
  non-sealed interface KeyChange extends SlotEvent {
    byte[] key();

    /** Changes the state; called once per event, live and during replay alike. */
    void applyTo(SlotState state, long now);
  }

  /**
   * Slot migration inside one cluster (docs/decisions/2026-12-06-slot-migration-protocol.md):
   * these keys of {@code db} are handed over to the target of migration {@code migration} (its
   * id in the slot table). Their values stay here, the only copy; what changes is who answers
   * for them until the slot changes owner. Marks of an earlier migration are void.
   */
  record KeysHandedOver(long migration, int db, List<byte[]> keys) implements SlotEvent {}

  /** All keys of one database (db >= 0) or of all databases (db == -1) removed. */
  record DbFlushed(int db) implements SlotEvent {}

  /**
   * This slot's share of transaction {@code txId}, applied as one event. The slot remembers the
   * ids it applied (so recovery can complete a transaction without applying a share twice) and
   * forgets those below {@code completedBelow}, which every slot has applied.
   *
   * <p>{@code log}: the persistence id of the transaction log that holds the commit record
   * ({@code txlog-<node id>}). Ids are numbered per log, so a transaction is named by the pair
   * (docs/decisions/2026-12-06-fencing-every-write.md); {@code completedBelow} speaks of that
   * log's ids only. Null in events written before the field existed: those ids and watermarks
   * are kept apart, as they were, under no log.
   */
  record TxApplied(long txId, long completedBelow, List<TxEvent.Nested> events, String log)
      implements SlotEvent {
    public TxApplied(long txId, long completedBelow, List<TxEvent.Nested> events) {
      this(txId, completedBelow, events, null);
    }

    @Override
    public int db() {
      return -1;
    }
  }
}
