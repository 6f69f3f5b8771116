package io.keyshard.persistence;

import java.util.List;

/**
 * What list commands persist, each applying itself to the slot's state. Events hold effects
 * whose replay is exact given the state they follow: how many elements were popped from which
 * end (the elements are the ones at that end), absolute indexes, LREM's count and element (the
 * same scan over the same list removes the same elements). A list left empty is removed, as
 * Redis never keeps one; a list changed in place keeps its expiry.
 *
 * <p>Append-only, like every {@link SlotEvent}: never rename a record or a field.
 */
public sealed interface ListEvent extends SlotEvent.KeyChange {

  /**
   * Elements pushed one by one at the head ({@code left}) or the tail, creating the list if the
   * key is missing: LPUSH a b c leaves c, b, a at the head.
   */
  record Pushed(int db, byte[] key, boolean left, List<byte[]> elements) implements ListEvent {
    @Override
    public void applyTo(SlotState state, long now) {
      ListValue list = state.collectionForWrite(db, key, ListValue.class, ListValue::new, now);
      for (byte[] e : elements) {
        if (left) {
          list.addFirst(e);
        } else {
          list.addLast(e);
        }
      }
    }
  }

  /** {@code count} elements removed from the head ({@code left}) or the tail. */
  record Popped(int db, byte[] key, boolean left, int count) implements ListEvent {
    @Override
    public void applyTo(SlotState state, long now) {
      ListValue list = ListEvent.list(state, db, key, now);
      if (list == null) {
        return;
      }
      for (int i = 0; i < count && list.size() > 0; i++) {
        if (left) {
          list.removeFirst();
        } else {
          list.removeLast();
        }
      }
      state.removeIfEmpty(db, key);
    }
  }

  /** The element at an absolute index (0 is the head) replaced (LSET). */
  record Set(int db, byte[] key, int index, byte[] element) implements ListEvent {
    @Override
    public void applyTo(SlotState state, long now) {
      ListValue list = ListEvent.list(state, db, key, now);
      if (list != null && index >= 0 && index < list.size()) {
        list.set(index, element);
      }
    }
  }

  /** An element inserted so that it is at the absolute index (LINSERT). */
  record Inserted(int db, byte[] key, int index, byte[] element) implements ListEvent {
    @Override
    public void applyTo(SlotState state, long now) {
      ListValue list = ListEvent.list(state, db, key, now);
      if (list != null && index >= 0 && index <= list.size()) {
        list.insert(index, element);
      }
    }
  }

  /**
   * Elements equal to {@code element} removed as LREM does: the first {@code count} from the
   * head, the last {@code -count} from the tail, or all of them for 0.
   */
  record Removed(int db, byte[] key, long count, byte[] element) implements ListEvent {
    @Override
    public void applyTo(SlotState state, long now) {
      ListValue list = ListEvent.list(state, db, key, now);
      if (list != null) {
        list.remove(count, element);
        state.removeIfEmpty(db, key);
      }
    }
  }

  /**
   * The list cut to the elements from {@code start} to {@code stop}, absolute indexes (LTRIM
   * after resolving negative ones); start above stop empties it.
   */
  record Trimmed(int db, byte[] key, long start, long stop) implements ListEvent {
    @Override
    public void applyTo(SlotState state, long now) {
      ListValue list = ListEvent.list(state, db, key, now);
      if (list != null) {
        list.trim(start, stop);
        state.removeIfEmpty(db, key);
      }
    }
  }

  /** The list at key, touching its access time, or null if the key holds none. */
  private static ListValue list(SlotState state, int db, byte[] key, long now) {
    return state.existing(db, key, ListValue.class, now);
  }
}
