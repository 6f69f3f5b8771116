package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.Value;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cut of SAVE and BGSAVE: {@code __save-copy id slot}, run in every slot by one keyspace-wide
 * transaction (so all slots are locked at once and a cross-slot write is wholly before or after
 * it), copies the slot's live keys of every database and hands the copy to the save {@code id}.
 *
 * <p>The copy travels beside the reply, through this registry, because a Reply is a wire type
 * and a copy of a whole slot should not be encoded to be decoded again: the slots a node saves
 * run in its own JVM, so the body and the saver always share this map. A copy is cheap next to
 * encoding: strings are immutable and shared, a collection is copied as references to its
 * elements (never mutated in place), so the pause is about walking the keys; the RDB encoding
 * and the disk happen after the slots are unlocked.
 */
final class SaveCopies {
  private SaveCopies() {}

  /** One slot's copy: its databases with keys. */
  record SlotCopy(int slot, List<DbCopy> dbs) {}

  /**
   * One database of a slot: key i is {@code keys[i]} with {@code values[i]} and expiry
   * {@code expireAt[i]} (0: none), for i below {@code size}. Arrays rather than a record per
   * key: the copy is what the slots wait for, and a million small records cost a GC's time.
   */
  record DbCopy(int db, byte[][] keys, Value[] values, long[] expireAt, int size, int expires) {}

  /** Random start: a copy asked of another JVM's slot by mistake finds no save there, never one of its own. */
  private static final AtomicLong NEXT = new AtomicLong(ThreadLocalRandom.current().nextLong(1L << 62));
  private static final Map<Long, ConcurrentLinkedQueue<SlotCopy>> OPEN = new ConcurrentHashMap<>();

  static void register(CommandRegistry.Builder r) {
    r.internal("__save-copy", SaveCopies::copy);
  }

  /** A new save's id, to pass to {@code __save-copy}. */
  static long open() {
    long id = NEXT.getAndIncrement();
    OPEN.put(id, new ConcurrentLinkedQueue<>());
    return id;
  }

  /** The copies made for {@code id}, which is closed. */
  static List<SlotCopy> close(long id) {
    ConcurrentLinkedQueue<SlotCopy> copies = OPEN.remove(id);
    return copies == null ? List.of() : new ArrayList<>(copies);
  }

  private static Reply copy(SlotContext ctx) {
    ConcurrentLinkedQueue<SlotCopy> into = OPEN.get(Long.parseLong(Args.str(ctx.arg(1))));
    if (into == null) {
      return Err.err("no such save"); // the save gave up (timed out) before this slot answered
    }
    into.add(copyOf(Integer.parseInt(Args.str(ctx.arg(2))), ctx.state(), ctx.now()));
    return Reply.OK;
  }

  /** A copy of {@code state}'s keys live at {@code now}, every database. */
  static SlotCopy copyOf(int slot, SlotState state, long now) {
    List<DbCopy> dbs = new ArrayList<>();
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = state.db(db);
      if (ks == null || ks.size() == 0) {
        continue;
      }
      int n = ks.size();
      byte[][] keys = new byte[n][];
      Value[] values = new Value[n];
      long[] expireAt = new long[n];
      int size = 0;
      int expires = 0;
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
        Keyspace.Entry entry = e.getValue();
        if (entry.isExpired(now)) {
          continue;
        }
        keys[size] = e.getKey().array();
        values[size] = SlotState.copyOf(entry.value);
        expireAt[size] = entry.expireAt;
        if (entry.expireAt != 0) {
          expires++;
        }
        size++;
      }
      if (size > 0) {
        dbs.add(new DbCopy(db, keys, values, expireAt, size, expires));
      }
    }
    return new SlotCopy(slot, dbs);
  }
}
