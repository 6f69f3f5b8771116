package io.keyshard.node.slot;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The slot entities running in this JVM, by slot: each registers itself when it starts and
 * removes itself when it stops. The router uses them to send straight to a running slot
 * instead of through the shard region and shard (two fewer hops, and the thread wake-ups that
 * come with them), see {@code SlotClient.ask}.
 */
public final class LocalSlots {
  private record Running(ActorRef<SlotEntity.Command> ref, long epoch, DirectReads reads) {}

  private final AtomicReferenceArray<Running> refs = new AtomicReferenceArray<>(16384);
  private final AtomicLong recoveredSlots = new AtomicLong();
  private final AtomicLong replayedEvents = new AtomicLong();

  /** Slot incarnations that finished recovery on this node since it started. */
  public long recoveredSlots() {
    return recoveredSlots.get();
  }

  /** Events replayed from the journal by those recoveries (after their snapshot). */
  public long replayedEvents() {
    return replayedEvents.get();
  }

  void replayed() {
    replayedEvents.incrementAndGet();
  }

  void recovered() {
    recoveredSlots.incrementAndGet();
  }

  private final MemoryAccountant memory = new MemoryAccountant();

  /** The used memory of the slots running here (maxmemory). */
  public MemoryAccountant memory() {
    return memory;
  }

  /** The slot's running entity, whatever its epoch; null if none. */
  public ActorRef<SlotEntity.Command> get(int slot) {
    Running r = refs.get(slot);
    return r == null ? null : r.ref();
  }

  /** The slot's running entity if it is the incarnation of {@code epoch}; null otherwise. */
  public ActorRef<SlotEntity.Command> get(int slot, long epoch) {
    Running r = refs.get(slot);
    return r == null || r.epoch() != epoch ? null : r.ref();
  }

  /** The running incarnation of {@code epoch}'s direct reads; null if none. */
  public DirectReads directReads(int slot, long epoch) {
    Running r = refs.get(slot);
    return r == null || r.epoch() != epoch ? null : r.reads();
  }

  void started(int slot, long epoch, ActorRef<SlotEntity.Command> self, DirectReads reads) {
    refs.set(slot, new Running(self, epoch, reads));
  }

  void stopped(int slot, ActorRef<SlotEntity.Command> self) {
    Running r = refs.get(slot);
    if (r != null && r.ref().equals(self)) {
      refs.compareAndSet(slot, r, null);
      // Its data leaves the heap with it; a later incarnation publishes again on recovery.
      memory.publish(slot, 0, 0);
    }
  }
}
