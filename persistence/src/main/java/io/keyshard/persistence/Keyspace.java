package io.keyshard.persistence;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/** The keys of one database within one slot. Mutable; owned by a single slot actor. */
public final class Keyspace {

  /** A stored value with its absolute expiry (epoch ms, 0 = none). */
  public static final class Entry {
    public Value value;
    public long expireAt;
    /**
     * Last access, for OBJECT IDLETIME and the LRU eviction policies; not persisted (Redis does
     * not persist it either).
     */
    public long lastAccess;

    /** What this entry adds to {@link #usedBytes} as last measured. */
    long charged;

    Entry(Value value, long expireAt, long now) {
      this.value = value;
      this.expireAt = expireAt;
      this.lastAccess = now;
    }

    public boolean isExpired(long now) {
      return expireAt != 0 && expireAt <= now;
    }
  }

  /** A key with an expiry, ordered by time: the active cycle pops due keys from the front. */
  private record Expiring(long at, Bytes key) {}

  private static final Comparator<Expiring> BY_TIME =
      Comparator.comparingLong(Expiring::at).thenComparing(Expiring::key);

  /**
   * A key's own cost besides its value: the map node, the entry, the key's wrapper and array
   * header (docs/decisions/2026-11-22-maxmemory.md).
   */
  static final int PER_KEY = 80;

  final Map<Bytes, Entry> entries = new HashMap<>();
  private long usedBytes;

  /** Estimated heap bytes of this database's keys and values: the sum of every entry's charge. */
  public long usedBytes() {
    return usedBytes;
  }

  private void charge(Bytes key, Entry e) {
    long now = PER_KEY + key.length() + e.value.memoryBytes();
    usedBytes += now - e.charged;
    e.charged = now;
  }

  /** Measures a key again after its collection changed in place. */
  void remeasure(Bytes key) {
    Entry e = entries.get(key);
    if (e != null) {
      charge(key, e);
    }
  }
  private final NavigableSet<Expiring> byExpiry = new TreeSet<>(BY_TIME);

  public Entry get(Bytes key) {
    return entries.get(key);
  }

  public int size() {
    return entries.size();
  }

  public int volatileCount() {
    return byExpiry.size();
  }

  public Map<Bytes, Entry> entries() {
    return entries;
  }

  /** The earliest expiry time in this database, or 0 if no key has one. */
  public long nextExpiry() {
    return byExpiry.isEmpty() ? 0 : byExpiry.first().at();
  }

  /** Up to {@code limit} keys that have an expiry, earliest first (volatile-ttl). */
  public List<Bytes> soonestExpiring(int limit) {
    List<Bytes> out = new ArrayList<>(Math.min(limit, byExpiry.size()));
    for (Expiring x : byExpiry) {
      if (out.size() >= limit) {
        break;
      }
      out.add(x.key());
    }
    return out;
  }

  /** Up to {@code limit} keys whose time is at or before {@code now}, earliest first. */
  public List<byte[]> dueKeys(long now, int limit) {
    List<byte[]> out = new ArrayList<>();
    for (Expiring x : byExpiry) {
      if (x.at() > now || out.size() >= limit) {
        break;
      }
      out.add(x.key().array());
    }
    return out;
  }

  void put(Bytes key, Value value, long expireAt, long now) {
    Entry e = entries.get(key);
    if (e == null) {
      e = new Entry(value, expireAt, now);
      entries.put(key, e);
      track(key, 0, expireAt);
    } else {
      track(key, e.expireAt, expireAt);
      e.value = value;
      e.expireAt = expireAt;
      e.lastAccess = now;
    }
    charge(key, e);
  }

  void setExpiry(Bytes key, long expireAt) {
    Entry e = entries.get(key);
    if (e != null) {
      track(key, e.expireAt, expireAt);
      e.expireAt = expireAt;
    }
  }

  Entry remove(Bytes key) {
    Entry e = entries.remove(key);
    if (e != null) {
      track(key, e.expireAt, 0);
      usedBytes -= e.charged;
    }
    return e;
  }

  /** Puts back what {@link #get} returned before a transaction (null: the key did not exist). */
  void restore(Bytes key, Value value, long expireAt, boolean existed, long now) {
    if (existed) {
      put(key, value, expireAt, now);
    } else {
      remove(key);
    }
  }

  void clear() {
    entries.clear();
    byExpiry.clear();
    usedBytes = 0;
  }

  private void track(Bytes key, long oldAt, long newAt) {
    if (oldAt == newAt) {
      return;
    }
    if (oldAt != 0) {
      byExpiry.remove(new Expiring(oldAt, key));
    }
    if (newAt != 0) {
      byExpiry.add(new Expiring(newAt, key));
    }
  }
}
