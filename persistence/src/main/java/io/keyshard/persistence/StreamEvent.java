package io.keyshard.persistence;

import java.util.ArrayList;
import java.util.List;

/**
 * The streams' events (docs/decisions/2026-12-07-streams.md), each an effect: the id XADD
 * assigned (never "*"), whether it opened a node, the trim's resolved limit, delivery and seen
 * times decided once by the command. Ids travel as (ms, seq) pairs in {@code long[]}s.
 *
 * <p>Append-only, like every {@link SlotEvent}: never rename a record or a field.
 */
public final class StreamEvent {
  private StreamEvent() {}

  public static List<StreamId> idList(long[] pairs) {
    List<StreamId> out = new ArrayList<>(pairs.length / 2);
    for (int i = 0; i + 1 < pairs.length; i += 2) {
      out.add(new StreamId(pairs[i], pairs[i + 1]));
    }
    return out;
  }

  /** Ids as the pairs the events hold. */
  public static long[] pairs(List<StreamId> ids) {
    long[] out = new long[ids.size() * 2];
    for (int i = 0; i < ids.size(); i++) {
      out[2 * i] = ids.get(i).ms();
      out[2 * i + 1] = ids.get(i).seq();
    }
    return out;
  }

  private static StreamValue stream(SlotState state, int db, byte[] key, long now) {
    return state.existing(db, key, StreamValue.class, now);
  }

  /**
   * An entry appended with the id it was given, creating the stream if the key is missing;
   * {@code newNode}: it opens a node of its own (decided under the node limits then in force).
   */
  public record Added(int db, byte[] key, long ms, long seq, List<byte[]> fieldsAndValues, boolean newNode)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = state.collectionForWrite(db, key, StreamValue.class, StreamValue::new, now);
      s.append(new StreamId(ms, seq), fieldsAndValues.toArray(new byte[0][]), newNode);
    }
  }

  /** Entries deleted (XDEL). */
  public record Deleted(int db, byte[] key, long[] ids) implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = stream(state, db, key, now);
      if (s != null) {
        s.delete(idList(ids));
      }
    }
  }

  /**
   * A trim as Redis's streamTrim runs it over the same layout: by length ({@code minId} null) or
   * by id, approximate or exact, with the resolved {@code limit} (0: none).
   */
  public record Trimmed(int db, byte[] key, long maxLen, long[] minId, boolean approx, long limit)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = stream(state, db, key, now);
      if (s != null) {
        s.trim(maxLen, minId == null ? null : new StreamId(minId[0], minId[1]), approx, limit);
      }
    }
  }

  /** XSETID: the last id, and entries added and the max deleted id when given (else null). */
  public record IdsSet(int db, byte[] key, long[] last, Long entriesAdded, long[] maxDeleted)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = stream(state, db, key, now);
      if (s != null) {
        s.setIds(
            new StreamId(last[0], last[1]),
            entriesAdded,
            maxDeleted == null ? null : new StreamId(maxDeleted[0], maxDeleted[1]));
      }
    }
  }

  /**
   * A group created, or its last delivered id and read count set (XGROUP SETID, a delivery);
   * creates an empty stream if the key is missing (XGROUP CREATE MKSTREAM).
   */
  public record GroupSet(int db, byte[] key, byte[] group, long[] last, long entriesRead)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = state.collectionForWrite(db, key, StreamValue.class, StreamValue::new, now);
      s.setGroup(group, new StreamId(last[0], last[1]), entriesRead);
    }
  }

  /** A group destroyed with its consumers and pending entries. */
  public record GroupDestroyed(int db, byte[] key, byte[] group) implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = stream(state, db, key, now);
      if (s != null) {
        s.destroyGroup(group);
      }
    }
  }

  /** A consumer created if missing, its seen time set. */
  public record ConsumerSeen(int db, byte[] key, byte[] group, byte[] consumer, long seen)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = stream(state, db, key, now);
      if (s != null) {
        s.seeConsumer(group, consumer, seen);
      }
    }
  }

  /** A consumer deleted, its pending entries with it. */
  public record ConsumerDeleted(int db, byte[] key, byte[] group, byte[] consumer)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = stream(state, db, key, now);
      if (s != null) {
        s.deleteConsumer(group, consumer);
      }
    }
  }

  /**
   * Pending entries given to a consumer with their delivery times and counts (XREADGROUP,
   * XCLAIM, XAUTOCLAIM): each taken from whoever had it.
   */
  public record Assigned(
      int db, byte[] key, byte[] group, byte[] consumer, long[] ids, long[] times, long[] counts)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = stream(state, db, key, now);
      if (s != null) {
        s.assign(group, consumer, idList(ids), times, counts);
      }
    }
  }

  /** Pending entries removed from a group (XACK; claims of entries deleted meanwhile). */
  public record Released(int db, byte[] key, byte[] group, long[] ids)
      implements SlotEvent.KeyChange {
    @Override
    public void applyTo(SlotState state, long now) {
      StreamValue s = stream(state, db, key, now);
      if (s != null) {
        s.release(group, idList(ids));
      }
    }
  }
}
