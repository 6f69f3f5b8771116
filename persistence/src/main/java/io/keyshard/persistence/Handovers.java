package io.keyshard.persistence;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keys of a slot handed over to the target of its current migration ({@link
 * SlotEvent.KeysHandedOver}), by database. Only one migration's marks are kept: a mark of a newer
 * migration drops the older ones. Whether the kept migration is still the slot's is the slot
 * table's to say, so every question names the migration it asks about.
 */
public final class Handovers {
  private long migration;
  private final Map<Integer, Set<Bytes>> byDb = new HashMap<>();

  void add(SlotEvent.KeysHandedOver e) {
    if (e.migration() < migration) {
      return; // an older migration's: void already
    }
    if (e.migration() > migration) {
      byDb.clear();
      migration = e.migration();
    }
    Set<Bytes> keys = byDb.computeIfAbsent(e.db(), d -> new HashSet<>());
    for (byte[] k : e.keys()) {
      keys.add(Bytes.wrap(k));
    }
  }

  /** Whether the key was handed over in migration {@code id}. */
  public boolean contains(long id, int db, Bytes key) {
    if (id != migration || byDb.isEmpty()) {
      return false;
    }
    Set<Bytes> keys = byDb.get(db);
    return keys != null && keys.contains(key);
  }

  /** The keys of {@code db} handed over in migration {@code id} (empty for another migration). */
  public Set<Bytes> keys(long id, int db) {
    Set<Bytes> keys = id == migration ? byDb.get(db) : null;
    return keys == null ? Set.of() : keys;
  }

  public boolean isEmpty() {
    return byDb.isEmpty();
  }

  /** Drops the marks unless they are migration {@code id}'s (the slot's current one, or 0). */
  public void keepOnly(long id) {
    if (id != migration) {
      byDb.clear();
      migration = 0;
    }
  }

  /** The marks as a snapshot holds them: one event per database; null when there are none. */
  List<SlotEvent.KeysHandedOver> toSnapshot() {
    if (byDb.isEmpty()) {
      return null;
    }
    List<SlotEvent.KeysHandedOver> out = new ArrayList<>();
    byDb.forEach(
        (db, keys) -> {
          List<byte[]> list = new ArrayList<>(keys.size());
          keys.forEach(k -> list.add(k.array()));
          out.add(new SlotEvent.KeysHandedOver(migration, db, list));
        });
    out.sort((a, b) -> Integer.compare(a.db(), b.db()));
    return out;
  }
}
