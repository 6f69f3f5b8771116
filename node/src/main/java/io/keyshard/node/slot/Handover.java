package io.keyshard.node.slot;

import io.keyshard.node.route.Verdict;
import io.keyshard.node.route.Verdict.Retry;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.CommandFlags;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A slot's side of a migration to another node of the cluster
 * (docs/decisions/2026-12-06-slot-migration-protocol.md): which of a request's keys this slot
 * still answers for, and so whether the request is served, redirected (ASK) or refused
 * (TRYAGAIN); which keys MIGRATE hands over; which keys GETKEYSINSLOT lists. Decided here
 * because only the slot knows which keys exist, between two of its messages.
 *
 * <p>A key is on the source's side while it is present (not expired) and not handed over in the
 * current migration; absent or handed over, it is on the target's side. The values never move:
 * this slot's entity stays the only writer of the slot until it changes owner.
 */
final class Handover {
  private static final CommandTable TABLE = CommandTable.standard();
  private static final Verdict SPLIT = Verdict.tryAgain(Retry.MIGRATING);

  private final int slot;

  /** GETKEYSINSLOT's queue of keys not handed over when last looked at (see {@link #pending}). */
  private final ArrayDeque<Bytes> queue = new ArrayDeque<>();

  private long queueMigration;
  private int queueDb = -1;

  Handover(int slot) {
    this.slot = slot;
  }

  /**
   * A plain request on the source of a migrating slot, decided as Redis's source decides it:
   * null when every key is still here (served), ASK to the target when none is, TRYAGAIN when
   * they are split. Requests without keys and blocking commands are served here (a push that
   * wakes them reaches this same slot, forwarded or not).
   */
  Verdict atSource(SlotState state, Migration m, int db, byte[][] argv, long now) {
    List<Bytes> keys = keysOf(argv, true);
    if (keys.isEmpty()) {
      return null;
    }
    int here = 0;
    int gone = 0;
    for (Bytes k : keys) {
      if (onSource(state, m, db, k, now)) {
        here++;
      } else {
        gone++;
      }
    }
    if (gone == 0) {
      return null;
    }
    return here > 0 ? SPLIT : new Verdict.Ask(slot, m.target());
  }

  /**
   * A request the importing node forwarded after ASKING, decided as Redis's target decides it:
   * several distinct keys, any of them not handed over, TRYAGAIN; otherwise served (null).
   */
  Verdict atTarget(SlotState state, Migration m, int db, byte[][] argv, long now) {
    List<Bytes> keys = keysOf(argv, false);
    if (keys.size() <= 1) {
      return null;
    }
    for (Bytes k : keys) {
      if (!onTarget(state, m, db, k, now)) {
        return SPLIT;
      }
    }
    return null;
  }

  /**
   * After a forwarded write: its keys that are present now and not marked yet are on the target's
   * side from now on (as a key Redis's target writes is there), as one event; null if none.
   */
  SlotEvent.KeysHandedOver marksAfterWrite(
      SlotState state, Migration m, int db, byte[][] argv, long now) {
    List<byte[]> marks = new ArrayList<>();
    for (Bytes k : keysOf(argv, false)) {
      if (onSource(state, m, db, k, now)) {
        marks.add(k.array());
      }
    }
    return marks.isEmpty() ? null : new SlotEvent.KeysHandedOver(m.id(), db, marks);
  }

  /**
   * MIGRATE to the migration's target: the keys still on the source's side, handed over as one
   * event; null when none of them is (Redis's NOKEY).
   */
  SlotEvent.KeysHandedOver handOver(SlotState state, Migration m, int db, List<byte[]> keys, long now) {
    Set<Bytes> distinct = new LinkedHashSet<>();
    for (byte[] k : keys) {
      Bytes key = Bytes.wrap(k);
      if (onSource(state, m, db, key, now)) {
        distinct.add(key);
      }
    }
    if (distinct.isEmpty()) {
      return null;
    }
    List<byte[]> out = new ArrayList<>(distinct.size());
    distinct.forEach(k -> out.add(k.array()));
    return new SlotEvent.KeysHandedOver(m.id(), db, out);
  }

  /**
   * GETKEYSINSLOT: up to {@code count} live keys of {@code db} this slot still answers for (m
   * null: not migrating, all of them). Without a migration the first {@code count} keys met;
   * with one, the head of a queue of the keys not handed over when it was filled: handed-over or
   * deleted keys leave its head as they are met, and an empty queue is filled by one pass, so
   * redis-cli's loop (list, MIGRATE them, list again) looks at each key O(1) times and an empty
   * answer always comes from a fresh pass.
   */
  List<byte[]> keysInSlot(SlotState state, Migration m, int db, int count, long now) {
    List<byte[]> out = new ArrayList<>();
    Keyspace ks = state.db(db);
    if (ks == null || count <= 0) {
      return out;
    }
    if (m == null) {
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
        if (out.size() >= count) {
          break;
        }
        if (!e.getValue().isExpired(now)) {
          out.add(e.getKey().array());
        }
      }
      return out;
    }
    if (queueMigration != m.id() || queueDb != db) {
      queue.clear();
      queueMigration = m.id();
      queueDb = db;
    }
    pending(state, m, db, count, now, out);
    if (out.isEmpty()) {
      queue.clear();
      for (Bytes k : ks.entries().keySet()) {
        if (onSource(state, m, db, k, now)) {
          queue.add(k);
        }
      }
      pending(state, m, db, count, now, out);
    }
    return out;
  }

  private void pending(SlotState state, Migration m, int db, int count, long now, List<byte[]> out) {
    for (Iterator<Bytes> it = queue.iterator(); it.hasNext() && out.size() < count; ) {
      Bytes k = it.next();
      if (onSource(state, m, db, k, now)) {
        out.add(k.array());
      } else {
        it.remove();
      }
    }
  }

  /** COUNTKEYSINSLOT: how many live keys of {@code db} this slot still answers for. */
  long countInSlot(SlotState state, Migration m, int db, long now) {
    Keyspace ks = state.db(db);
    if (ks == null) {
      return 0;
    }
    long n = 0;
    for (Bytes k : ks.entries().keySet()) {
      if (m == null ? !ks.get(k).isExpired(now) : onSource(state, m, db, k, now)) {
        n++;
      }
    }
    return n;
  }

  /** The migration ended or changed: GETKEYSINSLOT's queue is forgotten. */
  void reset() {
    queue.clear();
    queueDb = -1;
    queueMigration = 0;
  }

  private static boolean present(SlotState state, int db, Bytes key, long now) {
    Keyspace ks = state.db(db);
    Keyspace.Entry e = ks == null ? null : ks.get(key);
    return e != null && !e.isExpired(now);
  }

  private static boolean onSource(SlotState state, Migration m, int db, Bytes key, long now) {
    return present(state, db, key, now) && !state.handovers().contains(m.id(), db, key);
  }

  private static boolean onTarget(SlotState state, Migration m, int db, Bytes key, long now) {
    return present(state, db, key, now) && state.handovers().contains(m.id(), db, key);
  }

  /**
   * The request's distinct keys by the command table's key specs; none for a command without
   * keys, and none at the source ({@code servedAnyway}) for a blocking command.
   */
  private static List<Bytes> keysOf(byte[][] argv, boolean servedAnyway) {
    CommandSpec top = argv.length == 0 ? null : TABLE.lookup(argv[0]);
    CommandSpec spec = top == null ? null : TABLE.resolve(argv);
    if (spec == null || (servedAnyway && top.flags().contains(CommandFlags.BLOCKING))) {
      return List.of();
    }
    Set<Bytes> keys = new LinkedHashSet<>();
    for (int pos : TABLE.keyPositions(spec, argv)) {
      keys.add(Bytes.wrap(argv[pos]));
    }
    return new ArrayList<>(keys);
  }
}
