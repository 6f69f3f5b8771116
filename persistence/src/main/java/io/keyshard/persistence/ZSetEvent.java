package io.keyshard.persistence;

import java.util.List;

/**
 * The sorted sets' events. Each records an effect, never a command: final scores (ZINCRBY and
 * ZADD INCR persist the result, not the increment), members actually removed or popped. A set
 * left empty is removed, as Redis never keeps one. A *STORE result is a {@link
 * SlotEvent.KeyRestored} of the computed set (or a {@link SlotEvent.KeysDeleted} when empty).
 */
public final class ZSetEvent {
  private ZSetEvent() {}

  /**
   * Members set to scores ({@code members[i]} gets {@code scores[i]}), creating the set if the
   * key is missing and keeping the key's expiry otherwise.
   */
  public record ScoresSet(int db, byte[] key, List<byte[]> members, double[] scores)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      ZSetValue z = state.collectionForWrite(db, key, ZSetValue.class, ZSetValue::new, now);
      for (int i = 0; i < members.size(); i++) {
        z.put(members.get(i), scores[i]);
      }
    }
  }

  /** Members removed (ZREM, ZPOP*, ZREMRANGEBY*); the key goes when the set is left empty. */
  public record MembersRemoved(int db, byte[] key, List<byte[]> members)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      ZSetValue z = state.existing(db, key, ZSetValue.class, now);
      if (z != null) {
        members.forEach(z::remove);
        state.removeIfEmpty(db, key);
      }
    }
  }
}
