package io.keyshard.node.slot;

import io.keyshard.node.slot.DormantSlots.LoadedSlot;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotSnapshot;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.rocks.RawRecords;
import io.keyshard.persistence.rocks.RawRecords.PayloadView;
import io.keyshard.persistence.rocks.RocksStore;
import java.lang.management.ManagementFactory;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a standalone node's slots from its RocksDB journal at start, before their entities
 * exist: per slot its newest snapshot and the events after it, applied to a {@link SlotState}
 * as the slot's recovery would apply them, into {@link DormantSlots}. It runs on threads of its
 * own from the moment the store is open, beside the actor system's start, walking the store in
 * key order with one cursor per thread (docs/decisions/2026-12-06-recovery-at-start.md).
 *
 * <p>A slot whose records it cannot read this way (a payload not written by {@link
 * KeyshardSerializer}, an adapter manifest, tags, metadata, or a record that does not decode)
 * is left to its entity, which recovers it from the journal through Pekko as before.
 */
public final class Preload {
  private static final Logger log = LoggerFactory.getLogger(Preload.class);

  /** Slots a thread takes at a time: neighbours in the store, so its cursor walks forward. */
  private static final int CHUNK = 64;

  private static final String SLOT_SNAPSHOT = "SlotSnapshot";

  private final RocksStore store;
  private final DormantSlots dormant;
  private final int threads;
  private volatile int[] order = new int[0];
  /** The slots it reads, once listed; empty if the store could not even list them. */
  private final CompletableFuture<BitSet> listed = new CompletableFuture<>();
  private final AtomicInteger nextChunk = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger(1);
  private volatile boolean failed;
  private final AtomicInteger slotsRead = new AtomicInteger();
  private final AtomicLong keys = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong cpuNanos = new AtomicLong();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final long startedNanos = System.nanoTime();
  private KeyshardSerializer serializer;

  private Preload(RocksStore store, DormantSlots dormant, int threads) {
    this.store = store;
    this.dormant = dormant;
    this.threads = Math.max(1, threads);
  }

  /**
   * Starts reading every slot the store holds a persistence id for, on up to {@code threads}
   * threads of its own, and returns at once: even listing the slots, and loading the serializer's
   * classes, is left to those threads, so that the caller goes on starting the node.
   */
  public static Preload start(RocksStore store, DormantSlots dormant, int threads) {
    Preload preload = new Preload(store, dormant, threads);
    Thread first = new Thread(preload::list, "keyshard-preload-0");
    first.setDaemon(true);
    first.start();
    return preload;
  }

  private void list() {
    try {
      serializer = new KeyshardSerializer();
      BitSet found = new BitSet(16384);
      for (String id : store.persistenceIds()) {
        int slot = SlotEntity.standaloneSlotOf(id);
        if (slot >= 0) {
          found.set(slot);
        }
      }
      // The store orders an id's records by the id's length, then its bytes: for "slot-N" that
      // is N's order.
      order = found.stream().toArray();
      for (int slot : order) {
        dormant.expect(slot);
      }
      listed.complete(found);
    } catch (Exception | Error e) {
      log.warn("Could not list the slots in the journal at start: {}", e.toString());
      listed.complete(new BitSet());
      done.complete(null);
      return;
    }
    progressLog();
    int workers = Math.max(1, Math.min(threads, (order.length + CHUNK - 1) / CHUNK));
    running.set(workers);
    for (int i = 1; i < workers; i++) {
      Thread t = new Thread(this::work, "keyshard-preload-" + i);
      t.setDaemon(true);
      t.start();
    }
    work();
  }

  /** A line a second while it reads: slots read, keys, rate. */
  private void progressLog() {
    CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)
        .execute(
            () -> {
              if (done.isDone()) {
                return;
              }
              long ms = Math.max(1, (System.nanoTime() - startedNanos) / 1_000_000);
              log.info(
                  "Reading the journal: {} of {} slots, {} keys ({} keys/s)",
                  slotsRead.get(), order.length, keys.get(), keys.get() * 1000 / ms);
              progressLog();
            });
  }

  /** The slots it reads (those with a persistence id in the store); waits until they are listed. */
  public BitSet slots() {
    return (BitSet) listed.join().clone();
  }

  /** Completes when every slot is read (or left to its entity). */
  public CompletableFuture<Void> done() {
    return done;
  }

  public int slotsRead() {
    return slotsRead.get();
  }

  public long keys() {
    return keys.get();
  }

  private void work() {
    int[] order = this.order;
    try (RocksStore.RecoveryCursor cursor = store.recoveryCursor()) {
      int chunk;
      while (!failed && (chunk = nextChunk.getAndIncrement()) * CHUNK < order.length) {
        for (int i = chunk * CHUNK; i < Math.min(order.length, (chunk + 1) * CHUNK); i++) {
          readSlot(cursor, order[i]);
        }
      }
    } catch (RuntimeException | Error e) {
      // The journal could not be read (it is reopening after a failed write, say): every slot
      // not read yet recovers through its entity, which retries.
      failed = true;
      log.warn("Reading the journal at start stopped: {}; the slots not read recover one by one", e.toString());
      for (int slot : order) {
        dormant.unread(slot); // no-op for a slot already delivered
      }
    } finally {
      cpuNanos.addAndGet(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
      if (running.decrementAndGet() == 0) {
        log.info(
            "Read {} slots ({} keys, {} events after their snapshots) from the journal in {} ms ({} ms CPU)",
            slotsRead.get(), keys.get(), events.get(), (System.nanoTime() - startedNanos) / 1_000_000,
            cpuNanos.get() / 1_000_000);
        done.complete(null);
      }
    }
  }

  private void readSlot(RocksStore.RecoveryCursor cursor, int slot) {
    SlotReader reader = new SlotReader();
    try {
      cursor.read(SlotEntity.persistenceId(slot).id(), reader);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    if (reader.unreadable != null) {
      log.debug("Slot {} recovers through its entity: {}", slot, reader.unreadable);
      dormant.unread(slot);
      return;
    }
    slotsRead.incrementAndGet();
    keys.addAndGet(reader.state.keyCount());
    events.addAndGet(reader.events);
    dormant.loaded(slot, new LoadedSlot(reader.state, reader.seqNr, reader.bytesSinceSnapshot));
  }

  /** One slot's recovery, as SlotEntity's event handler and snapshot adapter would run it. */
  private final class SlotReader implements RocksStore.RecoveryVisitor {
    SlotState state = new SlotState();
    long seqNr;
    long bytesSinceSnapshot;
    long events;
    String unreadable;

    @Override
    public void snapshot(long seqNr, byte[] record, int length) {
      PayloadView view = RawRecords.snapshotPayload(record, length);
      if (view == null || view.serializerId() != KeyshardSerializer.ID
          || !view.manifest().equals(SLOT_SNAPSHOT)) {
        unreadable = "snapshot " + seqNr + " is not a plain SlotSnapshot";
        return;
      }
      try {
        SlotSnapshot snapshot = (SlotSnapshot) serializer.fromBinary(view.record(), view.offset(), view.length(), view.manifest());
        state = SlotState.fromSnapshot(snapshot, System.currentTimeMillis());
      } catch (Exception e) {
        unreadable = "snapshot " + seqNr + ": " + e;
        return;
      }
      this.seqNr = seqNr;
    }

    @Override
    public void event(long seqNr, byte[] record, int length) {
      if (unreadable != null) {
        return;
      }
      PayloadView view = RawRecords.eventPayload(record, length);
      if (view == null || view.serializerId() != KeyshardSerializer.ID) {
        unreadable = "event " + seqNr + " is not a plain Keyshard event";
        return;
      }
      try {
        if (!(serializer.fromBinary(view.record(), view.offset(), view.length(), view.manifest())
            instanceof SlotEvent event)) {
          unreadable = "event " + seqNr + " is a " + view.manifest();
          return;
        }
        state.apply(event, System.currentTimeMillis());
        bytesSinceSnapshot += EventBytes.of(event);
      } catch (Exception e) {
        unreadable = "event " + seqNr + ": " + e;
        return;
      }
      events++;
      this.seqNr = seqNr;
    }
  }
}
