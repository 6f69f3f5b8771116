package io.keyshard.node.slot;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The node's used memory for maxmemory: each running slot entity publishes its estimate (the
 * bytes of its keys and values, {@code SlotState.usedBytes}) after every change, and this sums
 * them. Only a slot's own actor writes its entry, so the total is kept by differences.
 */
public final class MemoryAccountant {
  private final AtomicLongArray bytes = new AtomicLongArray(16384);
  private final AtomicLongArray volatileKeys = new AtomicLongArray(16384);
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong evicted = new AtomicLong();
  private final AtomicInteger slotsWithData = new AtomicInteger();
  private final AtomicLong expired = new AtomicLong();

  /**
   * What the node counts for itself before any key, as Redis's used_memory_startup (about
   * 0.9 MB for 7.0 on x86-64): with an empty data set, `CONFIG SET maxmemory 1` refuses writes
   * with OOM in Redis, and clients and Redis's own tests rely on that. Not the JVM's real
   * footprint (INFO's allocator and rss fields show that); a fixed part of maxmemory.
   */
  public static final long STARTUP_BYTES = 1L << 20;

  /** What maxmemory is compared with: {@link #STARTUP_BYTES} plus {@link #dataset}. */
  public long used() {
    return STARTUP_BYTES + total.get();
  }

  /** Estimated bytes of every key and value held by the slots running here. */
  public long dataset() {
    return total.get();
  }

  public long evictedKeys() {
    return evicted.get();
  }

  void countEvicted(long keys) {
    evicted.addAndGet(keys);
  }

  /** Keys removed because their time passed (INFO stats expired_keys), by any path. */
  public long expiredKeys() {
    return expired.get();
  }

  void countExpired(long keys) {
    expired.addAndGet(keys);
  }

  /**
   * Slot events journaled by the slots running here since the start: what INFO persistence's
   * rdb_changes_since_last_save counts from (one per write command or transaction share in a
   * slot, where Redis counts per key or element changed). CONFIG RESETSTAT leaves it, as Redis's.
   */
  public long changes() {
    return changes.get();
  }

  void countChanges(long events) {
    changes.addAndGet(events);
  }

  private final AtomicLong changes = new AtomicLong();

  /** CONFIG RESETSTAT. */
  public void resetStats() {
    evicted.set(0);
    expired.set(0);
  }

  void publish(int slot, long used, long volatileCount) {
    long before = bytes.getAndSet(slot, used);
    total.addAndGet(used - before);
    if ((before > 0) != (used > 0)) {
      slotsWithData.addAndGet(used > 0 ? 1 : -1);
    }
    volatileKeys.set(slot, volatileCount);
  }

  /** Running slots that hold data: how many share the journal's budget for events. */
  public int slotsWithData() {
    return slotsWithData.get();
  }

  /**
   * Up to {@code n} slots that hold data (only slots with keys that have an expiry when
   * {@code volatileOnly}), drawn at random with weight proportional to their used bytes, so a
   * slot's keys are about as likely to be sampled as any other's. May repeat a slot.
   */
  public int[] pickSlots(int n, boolean volatileOnly) {
    long[] prefix = new long[16384];
    long sum = 0;
    for (int slot = 0; slot < 16384; slot++) {
      boolean eligible = volatileOnly ? volatileKeys.get(slot) > 0 : bytes.get(slot) > 0;
      if (eligible) {
        sum += Math.max(1, bytes.get(slot));
      }
      prefix[slot] = sum;
    }
    if (sum == 0) {
      return new int[0];
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      long r = ThreadLocalRandom.current().nextLong(sum);
      int lo = 0;
      int hi = 16383;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (prefix[mid] > r) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      out[i] = lo;
    }
    return out;
  }
}
