package io.keyshard.node.slot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone node's load of its data set at start: which slots are not served yet, waiting
 * for them within a bound, and progress for the log and INFO persistence
 * (docs/decisions/2026-12-06-recovery-at-start.md).
 *
 * <p>Redis answers {@code -LOADING} to every command not flagged ok-loading until its data set is
 * in memory. Here the router lets such a command wait for what it touches, its keys' slots or,
 * without keys, the whole data set, for at most {@code keyshard.loading-wait}, and answers
 * LOADING only if that passes; so no request runs against a slot whose data is not there yet,
 * and none times out in a slot (TRYAGAIN, or an ERR that cannot say whether it wrote).
 *
 * <p>A slot is loaded once the preload read it ({@link Preload}, RocksDB) or once its entity,
 * woken by the node, answered (other journals, and slots the preload left to their entity).
 */
public final class Loading {
  private static final Logger log = LoggerFactory.getLogger(Loading.class);

  private final Duration wait;
  private final Executor executor;
  private final AtomicReferenceArray<CompletableFuture<Void>> pending =
      new AtomicReferenceArray<>(16384);
  /** 1 once the slot's entity was asked to start (by the loader or a waiting request). */
  private final AtomicIntegerArray woken = new AtomicIntegerArray(16384);
  private final CompletableFuture<Void> all = new CompletableFuture<>();
  private final AtomicInteger left = new AtomicInteger();
  private final AtomicLong keys = new AtomicLong();
  private volatile boolean active;
  private volatile int total;
  private volatile long startedAtMillis;
  private volatile long startedNanos;
  private volatile long tookMillis = -1;
  private volatile IntFunction<CompletableFuture<Long>> wake;

  public Loading(Duration wait, Executor executor) {
    this.wait = wait;
    this.executor = executor;
  }

  /** Cluster mode: slots come and go with the slot table, and are not loaded at start. */
  public static Loading none() {
    Loading l = new Loading(Duration.ZERO, Runnable::run);
    l.all.complete(null);
    return l;
  }

  /**
   * Starts the load of {@code slots}. Those of {@code preload} are loaded as it reads them into
   * {@code dormant}, except those it leaves to their entity and those holding keys that
   * {@code indexed} (the index of non-empty slots) does not list; every other one is loaded by
   * {@code wake} (start its entity, answer its key count), at most {@code atOnce} at a time once
   * the preload is done.
   */
  public void begin(
      BitSet slots,
      Preload preload,
      DormantSlots dormant,
      BitSet indexed,
      IntFunction<CompletableFuture<Long>> wake,
      int atOnce) {
    this.wake = wake;
    startedAtMillis = System.currentTimeMillis();
    startedNanos = System.nanoTime();
    total = slots.cardinality();
    left.set(total);
    for (int slot = slots.nextSetBit(0); slot >= 0; slot = slots.nextSetBit(slot + 1)) {
      pending.set(slot, new CompletableFuture<>());
    }
    active = total > 0;
    if (!active) {
      finish();
      return;
    }
    BitSet preloaded = preload == null ? new BitSet() : preload.slots();
    preloaded.and(slots);
    this.preloaded = preloaded;
    this.dormant = dormant;
    List<Integer> toWake = new ArrayList<>();
    for (int slot = slots.nextSetBit(0); slot >= 0; slot = slots.nextSetBit(slot + 1)) {
      if (!preloaded.get(slot)) {
        toWake.add(slot);
      }
    }
    for (int slot = preloaded.nextSetBit(0); slot >= 0; slot = preloaded.nextSetBit(slot + 1)) {
      int s = slot;
      dormant
          .whenRead(s)
          .thenRun(
              () -> {
                long count = dormant.keyCount(s);
                // Unread: its entity recovers it. Keys the index does not know of: its entity
                // registers them, or keyspace-wide commands would not find them.
                if (count < 0 || (count > 0 && !indexed.get(s))) {
                  synchronized (toWake) {
                    toWake.add(s);
                  }
                } else {
                  loaded(s, count);
                }
              });
    }
    CompletableFuture<Void> read = preload == null ? CompletableFuture.completedFuture(null) : preload.done();
    read.thenRun(
        () -> {
          List<Integer> list;
          synchronized (toWake) {
            list = List.copyOf(toWake);
          }
          wakeAll(list, atOnce);
        });
    progressLog();
  }

  private volatile BitSet preloaded = new BitSet();
  private volatile DormantSlots dormant;

  /**
   * Wakes {@code slots}, {@code atOnce} at a time; those that did not answer (a journal outage)
   * again a second after the pass, until every one is loaded.
   */
  private void wakeAll(List<Integer> slots, int atOnce) {
    Warmer.inWindow(slots.size(), atOnce, i -> hurry(slots.get(i)))
        .thenRun(
            () -> {
              List<Integer> left = slots.stream().filter(slot -> pending.get(slot) != null).toList();
              if (!left.isEmpty()) {
                CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)
                    .execute(() -> wakeAll(left, atOnce));
              }
            });
  }

  /** Whether the load is still going on. */
  public boolean active() {
    return active;
  }

  public boolean ready(int slot) {
    return pending.get(slot) == null;
  }

  /** Whether every one of {@code slots} is loaded; with none, whether the whole load is done. */
  public boolean ready(Collection<Integer> slots) {
    if (!active) {
      return true;
    }
    if (slots.isEmpty()) {
      return false;
    }
    for (int slot : slots) {
      if (pending.get(slot) != null) {
        return false;
      }
    }
    return true;
  }

  /**
   * Completes with true (on the node's executor) once every one of {@code slots} is loaded (with
   * none: the whole data set), with false if that takes longer than the wait bound. Slots that
   * load through their entity are woken now, ahead of the others.
   */
  public CompletableFuture<Boolean> await(Collection<Integer> slots) {
    List<CompletableFuture<Void>> waits = new ArrayList<>();
    if (slots.isEmpty()) {
      waits.add(all);
    } else {
      for (int slot : slots) {
        CompletableFuture<Void> f = pending.get(slot);
        if (f != null) {
          waits.add(f);
          DormantSlots d = dormant;
          if (!preloaded.get(slot) || d.whenRead(slot).isDone()) {
            hurry(slot); // the preload delivers the others soon, with nothing to wake
          }
        }
      }
    }
    CompletableFuture<Boolean> answer = new CompletableFuture<>();
    CompletableFuture.allOf(waits.toArray(new CompletableFuture[0]))
        .whenComplete((v, t) -> answer.complete(true));
    answer.completeOnTimeout(false, wait.toMillis(), TimeUnit.MILLISECONDS);
    return answer.thenApplyAsync(ok -> ok, executor);
  }

  /** Completes when the whole data set is loaded. */
  public CompletableFuture<Void> whenDone() {
    return all;
  }

  /** Starts the entity of a slot that loads through it, once; completes when it answered. */
  private CompletableFuture<?> hurry(int slot) {
    IntFunction<CompletableFuture<Long>> w = wake;
    if (w == null || pending.get(slot) == null || !woken.compareAndSet(slot, 0, 1)) {
      return CompletableFuture.completedFuture(null);
    }
    return w.apply(slot)
        .whenComplete(
            (count, failure) -> {
              if (failure == null) {
                loaded(slot, count);
              } else {
                // It did not answer in time (a journal outage, say): the next waiting request,
                // or the loader's next pass, wakes it again.
                woken.set(slot, 0);
              }
            });
  }

  void loaded(int slot, long keyCount) {
    CompletableFuture<Void> f = pending.getAndSet(slot, null);
    if (f == null) {
      return;
    }
    keys.addAndGet(keyCount);
    f.complete(null);
    if (left.decrementAndGet() == 0) {
      finish();
    }
  }

  private void finish() {
    long took = startedNanos == 0 ? 0 : (System.nanoTime() - startedNanos) / 1_000_000;
    tookMillis = took;
    active = false;
    if (total > 0) {
      log.info(
          "Loaded {} keys in {} slots in {} ms ({} keys/s)",
          keys.get(), total, took, took == 0 ? keys.get() : keys.get() * 1000 / took);
    }
    all.complete(null);
  }

  /** A line a second while the load goes on: slots loaded, keys, rate. */
  private void progressLog() {
    CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)
        .execute(
            () -> {
              if (!active) {
                return;
              }
              long ms = Math.max(1, (System.nanoTime() - startedNanos) / 1_000_000);
              log.info(
                  "Loading: {} of {} slots, {} keys ({} keys/s)",
                  total - left.get(), total, keys.get(), keys.get() * 1000 / ms);
              progressLog();
            });
  }

  // ---- INFO persistence (Redis's loading_* fields) ----

  /** Epoch seconds the load started. */
  public long startedAtSeconds() {
    return startedAtMillis / 1000;
  }

  public int slotsTotal() {
    return total;
  }

  public int slotsLoaded() {
    return total - left.get();
  }

  /** Keys loaded so far (the whole count once done). */
  public long keysLoaded() {
    return keys.get();
  }

  /** Seconds until the load is done at its rate so far (1 when there is no rate yet, as Redis). */
  public long etaSeconds() {
    long elapsed = (System.currentTimeMillis() - startedAtMillis) / 1000;
    int loaded = slotsLoaded();
    if (elapsed == 0 || loaded == 0) {
      return 1;
    }
    return elapsed * (total - loaded) / loaded;
  }
}
