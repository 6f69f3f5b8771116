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
      SetValue set = state.collectionForWrite(db, key, SetValue.class, SetValue::new, now);
      members.forEach(set::add);
    }
  }

  /** Members removed from a set; a set left empty is removed, as Redis never keeps one. */
  public record MembersRemoved(int db, byte[] key, List<byte[]> members)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      SetValue set = state.existing(db, key, SetValue.class, now);
      if (set != null) {
        members.forEach(set::remove);
        state.removeIfEmpty(db, key);
      }
    }
  }
}
