package io.keyshard.persistence;

import java.util.List;

/**
 * The set family's events. Each records what was actually done: SPOP records the members it
 * chose, SMOVE one removal and one addition. The result of a *STORE is a
 * {@link SlotEvent.KeyRestored} of the computed set (or {@link SlotEvent.KeysDeleted} when empty).
 */
public final class SetEvent {
  private SetEvent() {}

  /** Members added to a set, creating it (without expiry) if the key is missing. */
  public record MembersAdded(int db, byte[] key, List<byte[]> members)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      Keyspace ks = state.dbForWrite(db);
      Bytes k = Bytes.wrap(key);
      Keyspace.Entry old = ks.get(k);
      SetValue set;
      if (old != null && old.value instanceof SetValue s) {
        set = s; // changed in place: undo and snapshots hold their own copies
        old.lastAccess = now;
      } else {
        set = new SetValue();
        ks.put(k, set, old == null ? 0 : old.expireAt, now);
      }
      members.forEach(set::add);
    }
  }

  /** Members removed from a set; a set left empty is removed, as Redis never keeps one. */
  public record MembersRemoved(int db, byte[] key, List<byte[]> members)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      Keyspace ks = state.db(db);
      Bytes k = Bytes.wrap(key);
      Keyspace.Entry old = ks == null ? null : ks.get(k);
      if (old != null && old.value instanceof SetValue set) {
        members.forEach(set::remove);
        old.lastAccess = now;
        if (set.size() == 0) {
          ks.remove(k);
        }
      }
    }
  }
}
