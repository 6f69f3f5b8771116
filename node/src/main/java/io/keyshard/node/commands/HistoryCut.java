package io.keyshard.node.commands;

import io.keyshard.node.commands.SaveCopies.SlotCopy;
import io.keyshard.node.journal.JournalHistory;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.node.tx.TxLog;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotSnapshot;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.TxEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;

/**
 * The dataset of a node's slots as it was at an instant, rebuilt from the journal alone
 * (docs/decisions/2026-12-07-point-in-time.md): per slot its newest snapshot saved before the
 * instant and its events written before it; a cross-slot transaction counts at its commit
 * record's time, so one whose record was written before the instant is in every slot it wrote,
 * even a slot that applied its share after the instant. Nothing is locked and no slot is asked:
 * the journal is read through a consistent view.
 */
final class HistoryCut {
  private HistoryCut() {}

  /** The instant is outside what the journal holds. */
  static final class OutOfWindow extends Exception {
    OutOfWindow(String message) {
      super(message);
    }
  }

  /** The copies of the slots {@code serves} accepts, as they were just before {@code at}. */
  static List<SlotCopy> copies(JournalHistory history, IntPredicate serves, long at) throws Exception {
    KeyshardSerializer serializer = new KeyshardSerializer();
    List<String> ids = history.persistenceIds();
    List<String> missing = new ArrayList<>();
    List<String> read = new ArrayList<>();

    // Transactions committed before the instant whose shares a slot may not have applied by then.
    Map<Integer, List<TxEvent.TxPrepared>> shares = new TreeMap<>();
    for (String id : ids) {
      if (TxLog.nodeOf(id) == null) {
        continue;
      }
      read.add(id);
      TreeMap<Long, TxEvent.TxPrepared> pending = new TreeMap<>();
      boolean held =
          history.read(
              id,
              at,
              new Decoding(serializer, id) {
                @Override
                void snapshot(Object s) {
                  for (TxEvent.TxPrepared p : ((TxEvent.TxLogSnapshot) s).pending()) {
                    pending.put(p.txId(), p);
                  }
                }

                @Override
                void event(Object e) {
                  if (e instanceof TxEvent.TxPrepared p) {
                    pending.put(p.txId(), p);
                  } else if (e instanceof TxEvent.TxCompleted c) {
                    pending.remove(c.txId());
                  }
                }
              });
      if (!held) {
        missing.add(id);
        continue;
      }
      for (TxEvent.TxPrepared p : pending.values()) {
        for (TxEvent.SlotShare share : p.shares()) {
          shares.computeIfAbsent(share.slot(), k -> new ArrayList<>()).add(p);
        }
      }
    }

    TreeMap<Integer, String> slots = new TreeMap<>();
    for (String id : ids) {
      int slot = SlotEntity.standaloneSlotOf(id);
      if (slot >= 0 && serves.test(slot)) {
        slots.put(slot, id);
      }
    }
    for (int slot : shares.keySet()) {
      if (serves.test(slot)) {
        slots.putIfAbsent(slot, null);
      }
    }

    List<SlotCopy> copies = new ArrayList<>();
    for (Map.Entry<Integer, String> e : slots.entrySet()) {
      int slot = e.getKey();
      SlotState[] state = {new SlotState()};
      if (e.getValue() != null) {
        read.add(e.getValue());
        boolean held =
            history.read(
                e.getValue(),
                at,
                new Decoding(serializer, e.getValue()) {
                  @Override
                  void snapshot(Object s) {
                    state[0] = SlotState.fromSnapshot((SlotSnapshot) s, at);
                  }

                  @Override
                  void event(Object ev) {
                    state[0].apply((SlotEvent) ev, at);
                  }
                });
        if (!held) {
          missing.add(e.getValue());
          continue;
        }
      }
      for (TxEvent.TxPrepared p : shares.getOrDefault(slot, List.of())) {
        if (state[0].hasAppliedTx(p.log(), p.txId())) {
          continue;
        }
        for (TxEvent.SlotShare share : p.shares()) {
          if (share.slot() == slot) {
            state[0].apply(new SlotEvent.TxApplied(p.txId(), 0, share.events(), p.log()), at);
          }
        }
      }
      copies.add(SaveCopies.copyOf(slot, state[0], at));
    }
    if (!missing.isEmpty()) {
      long from = 0;
      for (String id : read) {
        from = Math.max(from, history.earliest(id));
      }
      throw new OutOfWindow(
          "the journal no longer holds " + Instant.ofEpochMilli(at) + " (" + missing.size()
              + " of " + read.size() + " slots and logs trimmed past it, " + missing.get(0)
              + " first): it can rebuild "
              + (from == Long.MAX_VALUE ? "no instant" : "from " + Instant.ofEpochMilli(from))
              + " to now (" + Instant.ofEpochMilli(history.now())
              + "); keep a longer window with keyshard.journal.retain");
    }
    return copies;
  }

  /** What changed in one database of a slot since an instant. */
  record Changes(boolean flushed, java.util.Set<io.keyshard.persistence.Bytes> keys) {}

  /**
   * The keys of {@code db} in {@code slot} that a write journaled at or after {@code at} touched
   * (a cross-slot transaction's share counts at the time the slot applied it), and whether the
   * database was flushed since; null when the journal cannot tell (trimmed since).
   */
  static Changes changedSince(JournalHistory history, int slot, int db, long at) throws Exception {
    String id = SlotEntity.persistenceId(slot).id();
    SlotState empty = new SlotState();
    java.util.Set<io.keyshard.persistence.Bytes> keys = new java.util.TreeSet<>();
    boolean[] flushed = {false};
    boolean told =
        history.since(
            id,
            at,
            new Decoding(new KeyshardSerializer(), id) {
              @Override
              void snapshot(Object s) {}

              @Override
              void event(Object e) {
                if (e instanceof SlotEvent.DbFlushed f) {
                  flushed[0] |= f.db() == -1 || f.db() == db;
                } else if (e instanceof SlotEvent ev) {
                  empty.forEachTouchedKey(ev, (d, key) -> {
                    if (d == db) {
                      keys.add(key);
                    }
                  });
                }
              }
            });
    return told ? new Changes(flushed[0], keys) : null;
  }

  /** A visitor that deserializes Keyshard's payloads and refuses anything else. */
  private abstract static class Decoding implements JournalHistory.Visitor {
    private final KeyshardSerializer serializer;
    private final String id;

    Decoding(KeyshardSerializer serializer, String id) {
      this.serializer = serializer;
      this.id = id;
    }

    abstract void snapshot(Object snapshot);

    abstract void event(Object event);

    private Object decode(String what, long seqNr, int serializerId, String manifest, byte[] b, int off, int len) {
      if (serializerId != KeyshardSerializer.ID) {
        throw new IllegalStateException(id + "'s " + what + " " + seqNr + " was not written by Keyshard");
      }
      try {
        return serializer.fromBinary(b, off, len, manifest);
      } catch (Exception e) {
        throw new IllegalStateException(id + "'s " + what + " " + seqNr + " does not decode: " + e, e);
      }
    }

    @Override
    public void snapshot(long seqNr, int serializerId, String manifest, byte[] b, int off, int len) {
      snapshot(decode("snapshot", seqNr, serializerId, manifest, b, off, len));
    }

    @Override
    public void event(long seqNr, int serializerId, String manifest, byte[] b, int off, int len) {
      event(decode("event", seqNr, serializerId, manifest, b, off, len));
    }
  }
}
