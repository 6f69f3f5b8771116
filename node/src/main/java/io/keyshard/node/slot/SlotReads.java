package io.keyshard.node.slot;

import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.Glob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The keyspace-wide reads of one slot's state (DBSIZE and INFO keyspace, KEYS and SCAN,
 * RANDOMKEY): answered by a running slot entity, or, for a slot loaded at start whose entity has
 * not started yet, straight from its loaded state ({@link DormantSlots}).
 */
final class SlotReads {
  private SlotReads() {}

  static SlotEntity.Stats stats(SlotState state) {
    long[] keys = new long[SlotState.DATABASES];
    long[] expires = new long[SlotState.DATABASES];
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = state.db(db);
      if (ks != null) {
        keys[db] = ks.size();
        expires[db] = ks.volatileCount();
      }
    }
    return new SlotEntity.Stats(keys, expires);
  }

  /** Live keys of a database matching a glob (null = all) and a type (null = any). */
  static SlotEntity.KeyList listKeys(SlotState state, int db, byte[] pattern, String type) {
    Keyspace ks = state.db(db);
    List<byte[]> out = new ArrayList<>();
    if (ks != null) {
      long now = System.currentTimeMillis();
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
        Keyspace.Entry entry = e.getValue();
        byte[] key = e.getKey().array();
        if (entry.isExpired(now)
            || (type != null && !type.equalsIgnoreCase(entry.value.typeName()))
            || (pattern != null && !Glob.match(pattern, key, false))) {
          continue;
        }
        out.add(key);
      }
    }
    return new SlotEntity.KeyList(out);
  }

  /** One live key of the database chosen at random, or an empty list. */
  static SlotEntity.KeyList randomKey(SlotState state, int db) {
    Keyspace ks = state.db(db);
    if (ks == null || ks.size() == 0) {
      return new SlotEntity.KeyList(List.of());
    }
    long now = System.currentTimeMillis();
    List<byte[]> live = new ArrayList<>();
    for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
      if (!e.getValue().isExpired(now)) {
        live.add(e.getKey().array());
      }
    }
    return new SlotEntity.KeyList(
        live.isEmpty() ? List.of() : List.of(live.get(ThreadLocalRandom.current().nextInt(live.size()))));
  }
}
