package io.keyshard.persistence;

/**
 * Events of the node's index of non-empty slots. The index may hold a slot that is in fact empty
 * (harmless: a keyspace-wide command wakes it and finds nothing), never the reverse: a slot
 * registers itself, and waits for this event to be persisted, before its first write.
 * Append-only, like {@link SlotEvent}.
 */
public sealed interface IndexEvent extends PersistentFormat {

  record SlotRegistered(int slot) implements IndexEvent {}

  record SlotUnregistered(int slot) implements IndexEvent {}

  /** Snapshot of the index: the non-empty slots as a bitmap ({@code java.util.BitSet#toLongArray}). */
  record IndexSnapshot(long[] bits) implements PersistentFormat {}
}
