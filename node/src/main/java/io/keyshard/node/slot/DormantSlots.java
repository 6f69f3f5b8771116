package io.keyshard.node.slot;

import io.keyshard.persistence.SlotState;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import org.apache.pekko.actor.ActorSystem;

/**
 * The slots a standalone node read from its journal at start ({@link Preload}) whose entities
 * have not started yet. A slot's state waits here until its entity starts and takes it as its
 * recovery ({@link DormantSnapshotStore}); meanwhile keyspace-wide reads (DBSIZE, KEYS, SCAN,
 * RANDOMKEY, INFO keyspace, through {@link SlotClient}) read it in place. Starting the 16,384
 * slot entities of a node that holds keys everywhere costs several times what reading their data
 * does, so a slot's entity starts when something needs it (a command on its keys, a
 * transaction, an eviction), or after the load if it holds keys with an expiry, which its entity
 * expires (docs/decisions/2026-12-06-recovery-at-start.md).
 *
 * <p>A state is read under its slot's lock and handed over under it, once: after that the entity
 * owns it and is asked instead. Nothing changes a dormant state, since only the slot's entity
 * writes to its slot.
 */
public final class DormantSlots {
  /** What a slot's entity recovers from instead of its journal: its state at {@code seqNr}. */
  public record LoadedSlot(SlotState state, long seqNr, long bytesSinceSnapshot) {}

  private static final class Slot {
    final CompletableFuture<Void> read = new CompletableFuture<>();
    boolean decided; // guarded by this: the preload delivered the slot or gave it up, once
    LoadedSlot loaded; // guarded by this; null when unread, taken, or left to the journal
  }

  private static final Map<ActorSystem, DormantSlots> BY_SYSTEM = new ConcurrentHashMap<>();

  private final AtomicReferenceArray<Slot> slots = new AtomicReferenceArray<>(16384);
  /** Loaded states not taken yet: once none is left, every call here answers at once. */
  private final AtomicInteger dormant = new AtomicInteger();
  private volatile MemoryAccountant memory;

  /** The registry of a node's actor system (its snapshot store finds it here), or null. */
  static DormantSlots of(ActorSystem system) {
    return BY_SYSTEM.get(system);
  }

  /**
   * Makes this the registry of {@code system} until it terminates, and publishes the loaded
   * states' memory (maxmemory, INFO memory) there as the entities would.
   */
  public void attach(ActorSystem system, MemoryAccountant memory) {
    BY_SYSTEM.put(system, this);
    system.registerOnTermination(() -> BY_SYSTEM.remove(system, this));
    this.memory = memory;
    for (int slot = 0; slot < slots.length(); slot++) {
      Slot s = slots.get(slot);
      if (s != null) {
        synchronized (s) {
          if (s.loaded != null) {
            publish(memory, slot, s.loaded.state());
          }
        }
      }
    }
  }

  /** The preload will deliver this slot (before any entity can ask for it). */
  void expect(int slot) {
    slots.set(slot, new Slot());
  }

  /** The preload read the slot (ignored if it gave the slot up already). */
  void loaded(int slot, LoadedSlot loaded) {
    Slot s = slots.get(slot);
    synchronized (s) {
      if (s.decided) {
        return;
      }
      s.decided = true;
      s.loaded = loaded;
      dormant.incrementAndGet();
    }
    // After the store above: attach either sees the state or this sees the accountant.
    MemoryAccountant m = memory;
    if (m != null) {
      publish(m, slot, loaded.state());
    }
    s.read.complete(null);
  }

  /** The preload could not read the slot: its entity recovers from the journal. */
  void unread(int slot) {
    Slot s = slots.get(slot);
    synchronized (s) {
      if (s.decided) {
        return;
      }
      s.decided = true;
    }
    s.read.complete(null);
  }

  /** Completes when the preload is done with the slot (at once if it never expected it). */
  CompletableFuture<Void> whenRead(int slot) {
    Slot s = slots.get(slot);
    return s == null ? CompletableFuture.completedFuture(null) : s.read;
  }

  /**
   * For the slot's recovery: its loaded state, once the preload read it, handed over once; empty
   * if there is none (never expected, unread, or taken by an earlier incarnation), and the
   * entity recovers from the journal.
   */
  CompletableFuture<Optional<LoadedSlot>> take(int slot) {
    Slot s = slots.get(slot);
    if (s == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return s.read.thenApply(
        v -> {
          synchronized (s) {
            LoadedSlot loaded = s.loaded;
            if (loaded != null) {
              s.loaded = null;
              dormant.decrementAndGet();
            }
            return Optional.ofNullable(loaded);
          }
        });
  }

  /** {@code read} of the slot's state while it is dormant; null if it is not (ask its entity). */
  <T> T read(int slot, Function<SlotState, T> read) {
    if (dormant.get() == 0) {
      return null; // every slot read at start has its entity (the common case, soon after it)
    }
    Slot s = slots.get(slot);
    if (s == null || !s.read.isDone()) {
      return null;
    }
    synchronized (s) {
      return s.loaded == null ? null : read.apply(s.loaded.state());
    }
  }

  /** Whether the slot's loaded state still waits for its entity. */
  boolean isDormant(int slot) {
    return read(slot, state -> Boolean.TRUE) != null;
  }

  /** The loaded state's key count, or -1 if the slot is not dormant. */
  long keyCount(int slot) {
    Long keys = read(slot, SlotState::keyCount);
    return keys == null ? -1 : keys;
  }

  /** Whether the slot is dormant and holds keys with an expiry (which its entity expires). */
  boolean holdsVolatileKeys(int slot) {
    return Boolean.TRUE.equals(read(slot, SlotState::hasVolatileKeys));
  }

  private static void publish(MemoryAccountant memory, int slot, SlotState state) {
    memory.publish(slot, state.usedBytes(), state.volatileCount());
  }
}
