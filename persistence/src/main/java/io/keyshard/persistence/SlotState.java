package io.keyshard.persistence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The live keyspace of one slot: one {@link Keyspace} per database, created on first use.
 *
 * <p>Mutable on purpose: copying a map per write would make writes O(keys). The slot actor is the
 * only thread that touches it, and snapshots are taken as an immutable {@link SlotSnapshot} copy.
 * {@link #apply} is the one place where events change state, during recovery and live alike.
 */
public final class SlotState {
  public static final int DATABASES = 16;

  private static final KeyshardSerializer FORMAT = new KeyshardSerializer();

  private final Keyspace[] dbs = new Keyspace[DATABASES];

  /**
   * Transactions whose share this slot applied, above the completed watermark: those of events
   * that name no log (written before logs were named), and per transaction log, since a
   * transaction id is unique only within its log.
   */
  private final TreeSet<Long> appliedTx = new TreeSet<>();

  private final TreeMap<String, TreeSet<Long>> appliedTxByLog = new TreeMap<>();

  /** Keys handed over to a migration's target (slot migration inside one cluster). */
  private final Handovers handovers = new Handovers();

  /** What a transaction's tentative events replaced, to put back if it aborts (null: none open). */
  private Map<Integer, Map<Bytes, Saved>> undo;

  /** Told about every key an applied event touches (WATCH). */
  private BiConsumer<Integer, Bytes> touchListener;

  private record Saved(Value value, long expireAt, boolean existed) {}

  /** The database, or null if it never held a key in this slot. */
  public Keyspace db(int db) {
    return dbs[db];
  }

  public Keyspace dbForWrite(int db) {
    Keyspace k = dbs[db];
    if (k == null) {
      k = new Keyspace();
      dbs[db] = k;
    }
    return k;
  }

  /**
   * The collection of {@code type} at key, its access time touched, or null if the key is missing
   * or holds another type. Changed in place: undo and snapshots hold their own copies.
   */
  public <T extends Value> T existing(int db, byte[] key, Class<T> type, long now) {
    Keyspace ks = dbs[db];
    Keyspace.Entry e = ks == null ? null : ks.get(Bytes.wrap(key));
    if (e != null && type.isInstance(e.value)) {
      e.lastAccess = now;
      return type.cast(e.value);
    }
    return null;
  }

  /**
   * The collection of {@code type} at key to add to: the existing one, or a new empty one that
   * replaces what the key held and keeps the key's expiry.
   */
  public <T extends Value> T collectionForWrite(
      int db, byte[] key, Class<T> type, Supplier<T> empty, long now) {
    T found = existing(db, key, type, now);
    if (found != null) {
      return found;
    }
    Keyspace ks = dbForWrite(db);
    Bytes k = Bytes.wrap(key);
    Keyspace.Entry old = ks.get(k);
    T made = empty.get();
    ks.put(k, made, old == null ? 0 : old.expireAt, now);
    return made;
  }

  /** Removes the key if its collection is now empty: Redis never keeps an empty one. */
  public void removeIfEmpty(int db, byte[] key) {
    Keyspace ks = dbs[db];
    Bytes k = Bytes.wrap(key);
    Keyspace.Entry e = ks == null ? null : ks.get(k);
    if (e != null && !(e.value instanceof StringValue) && e.value.elementCount() == 0) {
      ks.remove(k);
    }
  }

  public long keyCount() {
    long n = 0;
    for (Keyspace k : dbs) {
      if (k != null) {
        n += k.size();
      }
    }
    return n;
  }

  /** Keys plus the members of every collection beyond its first: what a snapshot must write. */
  public long elementCount() {
    long n = 0;
    for (Keyspace k : dbs) {
      if (k != null) {
        for (Keyspace.Entry e : k.entries().values()) {
          n += e.value.elementCount();
        }
      }
    }
    return n;
  }

  public boolean isEmpty() {
    for (Keyspace k : dbs) {
      if (k != null && k.size() > 0) {
        return false;
      }
    }
    return true;
  }

  /** Estimated heap bytes of every key and value here (maxmemory's used memory). */
  public long usedBytes() {
    long n = 0;
    for (Keyspace k : dbs) {
      if (k != null) {
        n += k.usedBytes();
      }
    }
    return n;
  }

  /** How many keys have an expiry, over all databases. */
  public long volatileCount() {
    long n = 0;
    for (Keyspace k : dbs) {
      if (k != null) {
        n += k.volatileCount();
      }
    }
    return n;
  }

  public boolean hasVolatileKeys() {
    for (Keyspace k : dbs) {
      if (k != null && k.volatileCount() > 0) {
        return true;
      }
    }
    return false;
  }

  /** The earliest expiry time over all databases, or 0 if no key has one. */
  public long nextExpiry() {
    long next = 0;
    for (Keyspace k : dbs) {
      long n = k == null ? 0 : k.nextExpiry();
      if (n != 0 && (next == 0 || n < next)) {
        next = n;
      }
    }
    return next;
  }

  public void setTouchListener(BiConsumer<Integer, Bytes> listener) {
    this.touchListener = listener;
  }

  /** The keys handed over in this slot's migrations (see {@link SlotEvent.KeysHandedOver}). */
  public Handovers handovers() {
    return handovers;
  }

  /** Whether this slot applied transaction {@code txId} of an event that names no log. */
  public boolean hasAppliedTx(long txId) {
    return hasAppliedTx(null, txId);
  }

  /** Whether this slot applied its share of transaction {@code txId} of {@code log} (null: none). */
  public boolean hasAppliedTx(String log, long txId) {
    TreeSet<Long> ids = log == null ? appliedTx : appliedTxByLog.get(log);
    return ids != null && ids.contains(txId);
  }

  /**
   * Records that this slot applied its share of a transaction of {@code log} (see {@link
   * SlotEvent.TxApplied}); the ids of that log below {@code completedBelow} are forgotten, never
   * another log's.
   */
  public void markTxApplied(String log, long txId, long completedBelow) {
    TreeSet<Long> ids = log == null ? appliedTx : appliedTxByLog.computeIfAbsent(log, l -> new TreeSet<>());
    ids.headSet(completedBelow).clear();
    if (txId >= completedBelow) {
      ids.add(txId);
    }
    if (log != null && ids.isEmpty()) {
      appliedTxByLog.remove(log);
    }
  }

  /** Starts recording what events change, so {@link #rollback} can undo them. */
  public void beginUndo() {
    undo = new HashMap<>();
  }

  /** Keeps the changes made since {@link #beginUndo}. */
  public void commitUndo() {
    undo = null;
  }

  /** Puts back every key changed since {@link #beginUndo}. */
  public void rollback(long now) {
    Map<Integer, Map<Bytes, Saved>> saved = undo;
    undo = null;
    if (saved == null) {
      return;
    }
    saved.forEach(
        (db, keys) ->
            keys.forEach(
                (key, s) -> dbForWrite(db).restore(key, s.value(), s.expireAt(), s.existed(), now)));
  }

  /** Calls {@code action} with every (db, key) the event changes, before it is applied. */
  public void forEachTouchedKey(SlotEvent event, BiConsumer<Integer, Bytes> action) {
    if (event instanceof SlotEvent.ValueSet e) {
      action.accept(e.db(), Bytes.wrap(e.key()));
    } else if (event instanceof SlotEvent.Appended e) {
      action.accept(e.db(), Bytes.wrap(e.key()));
    } else if (event instanceof SlotEvent.RangeSet e) {
      action.accept(e.db(), Bytes.wrap(e.key()));
    } else if (event instanceof SlotEvent.ExpirySet e) {
      action.accept(e.db(), Bytes.wrap(e.key()));
    } else if (event instanceof SlotEvent.KeyRestored e) {
      action.accept(e.db(), Bytes.wrap(e.key()));
    } else if (event instanceof SlotEvent.HashFieldsSet e) {
      action.accept(e.db(), Bytes.wrap(e.key()));
    } else if (event instanceof SlotEvent.HashFieldsDeleted e) {
      action.accept(e.db(), Bytes.wrap(e.key()));
    } else if (event instanceof SlotEvent.KeyChange e) {
      action.accept(e.db(), Bytes.wrap(e.key()));
    } else if (event instanceof SlotEvent.KeysDeleted e) {
      e.keys().forEach(k -> action.accept(e.db(), Bytes.wrap(k)));
    } else if (event instanceof SlotEvent.KeysExpired e) {
      e.keys().forEach(k -> action.accept(e.db(), Bytes.wrap(k)));
    } else if (event instanceof SlotEvent.KeysEvicted e) {
      e.keys().forEach(k -> action.accept(e.db(), Bytes.wrap(k)));
    } else if (event instanceof SlotEvent.KeyRenamed e) {
      action.accept(e.db(), Bytes.wrap(e.from()));
      action.accept(e.db(), Bytes.wrap(e.to()));
    } else if (event instanceof SlotEvent.KeyCopied e) {
      action.accept(e.toDb(), Bytes.wrap(e.to()));
    } else if (event instanceof SlotEvent.KeyMoved e) {
      action.accept(e.db(), Bytes.wrap(e.key()));
      action.accept(e.toDb(), Bytes.wrap(e.key()));
    } else if (event instanceof SlotEvent.DbFlushed e) {
      for (int i = 0; i < DATABASES; i++) {
        if (dbs[i] != null && (e.db() == -1 || e.db() == i)) {
          int db = i;
          new ArrayList<>(dbs[i].entries().keySet()).forEach(k -> action.accept(db, k));
        }
      }
    } else if (event instanceof SlotEvent.TxApplied e) {
      e.events().forEach(n -> forEachTouchedKey(FORMAT.unnest(n), action));
    }
  }

  private void save(int db, Bytes key) {
    Map<Bytes, Saved> keys = undo.computeIfAbsent(db, d -> new HashMap<>());
    if (!keys.containsKey(key)) {
      Keyspace ks = dbs[db];
      Keyspace.Entry e = ks == null ? null : ks.get(key);
      keys.put(
          key, e == null ? new Saved(null, 0, false) : new Saved(copyOf(e.value), e.expireAt, true));
    }
  }

  /** Applies one event. {@code now} only stamps access times; it never changes what is stored. */
  public void apply(SlotEvent event, long now) {
    if (undo != null) {
      forEachTouchedKey(event, this::save);
    }
    if (touchListener != null) {
      forEachTouchedKey(event, touchListener);
    }
    applyOnly(event, now);
  }

  private void applyOnly(SlotEvent event, long now) {
    if (event instanceof SlotEvent.ValueSet e) {
      dbForWrite(e.db())
          .put(Bytes.wrap(e.key()), new StringValue(e.value(), false, e.hints()), e.expireAt(), now);
    } else if (event instanceof SlotEvent.Appended e) {
      Keyspace ks = dbForWrite(e.db());
      Bytes key = Bytes.wrap(e.key());
      Keyspace.Entry old = ks.get(key);
      byte[] prefix = old == null ? new byte[0] : ((StringValue) old.value).bytes();
      byte[] joined = Arrays.copyOf(prefix, prefix.length + e.suffix().length);
      System.arraycopy(e.suffix(), 0, joined, prefix.length, e.suffix().length);
      ks.put(key, new StringValue(joined, true), old == null ? 0 : old.expireAt, now);
    } else if (event instanceof SlotEvent.RangeSet e) {
      Keyspace ks = dbForWrite(e.db());
      Bytes key = Bytes.wrap(e.key());
      Keyspace.Entry old = ks.get(key);
      byte[] prev = old == null ? new byte[0] : ((StringValue) old.value).bytes();
      int end = Math.toIntExact(e.offset() + e.bytes().length);
      byte[] next = Arrays.copyOf(prev, Math.max(prev.length, end));
      System.arraycopy(e.bytes(), 0, next, (int) e.offset(), e.bytes().length);
      ks.put(key, new StringValue(next, true), old == null ? 0 : old.expireAt, now);
    } else if (event instanceof SlotEvent.HashFieldsSet e) {
      HashValue hash = collectionForWrite(e.db(), e.key(), HashValue.class, HashValue::new, now);
      List<byte[]> fv = e.fieldsAndValues();
      for (int i = 0; i + 1 < fv.size(); i += 2) {
        hash.put(fv.get(i), fv.get(i + 1));
      }
      remeasure(e.db(), e.key());
    } else if (event instanceof SlotEvent.HashFieldsDeleted e) {
      HashValue h = existing(e.db(), e.key(), HashValue.class, now);
      if (h != null) {
        e.fields().forEach(h::remove);
        removeIfEmpty(e.db(), e.key());
        remeasure(e.db(), e.key());
      }
    } else if (event instanceof SlotEvent.KeyChange e) {
      e.applyTo(this, now);
      // Collections change in place: the key's size is measured again (O(1), see Value).
      remeasure(e.db(), e.key());
    } else if (event instanceof SlotEvent.KeysDeleted e) {
      removeAll(e.db(), e.keys());
    } else if (event instanceof SlotEvent.KeysEvicted e) {
      removeAll(e.db(), e.keys());
    } else if (event instanceof SlotEvent.KeysExpired e) {
      removeAll(e.db(), e.keys());
    } else if (event instanceof SlotEvent.ExpirySet e) {
      Keyspace ks = dbs[e.db()];
      if (ks != null) {
        ks.setExpiry(Bytes.wrap(e.key()), e.expireAt());
      }
    } else if (event instanceof SlotEvent.KeyRenamed e) {
      Keyspace ks = dbForWrite(e.db());
      Keyspace.Entry from = ks.remove(Bytes.wrap(e.from()));
      if (from != null) {
        ks.put(Bytes.wrap(e.to()), from.value, from.expireAt, now);
      }
    } else if (event instanceof SlotEvent.KeyCopied e) {
      Keyspace src = dbs[e.db()];
      Keyspace.Entry from = src == null ? null : src.get(Bytes.wrap(e.from()));
      if (from != null) {
        dbForWrite(e.toDb()).put(Bytes.wrap(e.to()), copied(from.value), from.expireAt, now);
      }
    } else if (event instanceof SlotEvent.KeyMoved e) {
      Keyspace src = dbs[e.db()];
      Keyspace.Entry from = src == null ? null : src.remove(Bytes.wrap(e.key()));
      if (from != null) {
        dbForWrite(e.toDb()).put(Bytes.wrap(e.key()), from.value, from.expireAt, now);
      }
    } else if (event instanceof SlotEvent.DbFlushed e) {
      for (int i = 0; i < DATABASES; i++) {
        if (dbs[i] != null && (e.db() == -1 || e.db() == i)) {
          dbs[i].clear();
        }
      }
    } else if (event instanceof SlotEvent.KeyRestored e) {
      dbForWrite(e.db()).put(Bytes.wrap(e.key()), copyOf(e.value()), e.expireAt(), now);
    } else if (event instanceof SlotEvent.TxApplied e) {
      for (TxEvent.Nested n : e.events()) {
        applyOnly(FORMAT.unnest(n), now);
      }
      markTxApplied(e.log(), e.txId(), e.completedBelow());
    } else if (event instanceof SlotEvent.KeysHandedOver e) {
      handovers.add(e); // no value changes: who answers for the keys does
    } else {
      throw new IllegalArgumentException("Unknown event " + event.getClass());
    }
  }

  private void remeasure(int db, byte[] key) {
    Keyspace ks = dbs[db];
    if (ks != null) {
      ks.remeasure(Bytes.wrap(key));
    }
  }

  private void removeAll(int db, List<byte[]> keys) {
    Keyspace ks = dbs[db];
    if (ks != null) {
      for (byte[] k : keys) {
        ks.remove(Bytes.wrap(k));
      }
    }
  }

  /**
   * Values that are mutable in place must be copied when a key is copied, snapshotted or saved
   * for undo. Strings are immutable; collections are deep-copied.
   */
  public static Value copyOf(Value v) {
    return v.copy();
  }

  /** What COPY creates: a new object, so never a shared small integer. */
  static Value copied(Value v) {
    return v instanceof StringValue s ? s.with(StringValue.UNSHARED) : copyOf(v);
  }

  public SlotSnapshot toSnapshot() {
    List<SlotSnapshot.DbEntries> out = new ArrayList<>();
    for (int i = 0; i < DATABASES; i++) {
      Keyspace ks = dbs[i];
      if (ks == null || ks.size() == 0) {
        continue;
      }
      List<SlotSnapshot.Entry> entries = new ArrayList<>(ks.size());
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries.entrySet()) {
        entries.add(
            new SlotSnapshot.Entry(e.getKey().array(), copyOf(e.getValue().value), e.getValue().expireAt));
      }
      out.add(new SlotSnapshot.DbEntries(i, entries));
    }
    List<SlotSnapshot.LogTx> byLog = null;
    if (!appliedTxByLog.isEmpty()) {
      byLog = new ArrayList<>(appliedTxByLog.size());
      for (Map.Entry<String, TreeSet<Long>> e : appliedTxByLog.entrySet()) {
        byLog.add(new SlotSnapshot.LogTx(e.getKey(), List.copyOf(e.getValue())));
      }
    }
    return new SlotSnapshot(
        out, appliedTx.isEmpty() ? null : List.copyOf(appliedTx), byLog, handovers.toSnapshot());
  }

  public static SlotState fromSnapshot(SlotSnapshot snapshot, long now) {
    SlotState s = new SlotState();
    for (SlotSnapshot.DbEntries db : snapshot.dbs()) {
      Keyspace ks = s.dbForWrite(db.db());
      for (SlotSnapshot.Entry e : db.entries()) {
        // The snapshot may be shared (TransferCommands builds one per key): keep our own copy.
        ks.put(Bytes.wrap(e.key()), copyOf(e.value()), e.expireAt(), now);
      }
    }
    if (snapshot.appliedTx() != null) {
      s.appliedTx.addAll(snapshot.appliedTx());
    }
    if (snapshot.appliedTxByLog() != null) {
      for (SlotSnapshot.LogTx l : snapshot.appliedTxByLog()) {
        if (!l.txIds().isEmpty()) {
          s.appliedTxByLog.computeIfAbsent(l.log(), k -> new TreeSet<>()).addAll(l.txIds());
        }
      }
    }
    if (snapshot.handedOver() != null) {
      snapshot.handedOver().forEach(s.handovers::add);
    }
    return s;
  }
}
