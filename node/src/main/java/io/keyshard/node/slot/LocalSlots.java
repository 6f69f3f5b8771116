package io.keyshard.node.slot;

import io.keyshard.node.Futures;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.function.Function;

/**
 * The slot entities running in this JVM, by slot: each registers itself when it starts and
 * removes itself when it stops. The router uses them to send straight to a running slot
 * instead of through the shard region and shard (two fewer hops, and the thread wake-ups that
 * come with them), see {@code SlotClient.ask}.
 */
public final class LocalSlots {
  /**
   * A running incarnation and the direct sends in progress to it. An incarnation that is about
   * to stop first {@link #close closes} itself: from then on every request takes the shard's
   * path, which holds requests while an entity passivates and starts it again if any arrived, so
   * none lands in a stopped entity's mailbox and waits there for its timeout (see
   * docs/decisions/2026-12-07-slot-retirement.md).
   */
  private static final class Running {
    private static final int CLOSED = Integer.MIN_VALUE;

    final ActorRef<SlotEntity.Command> ref;
    final long epoch;
    final DirectReads reads;
    /** Senders in the middle of a direct send; CLOSED once the incarnation takes no more. */
    private final AtomicInteger senders = new AtomicInteger();

    Running(ActorRef<SlotEntity.Command> ref, long epoch, DirectReads reads) {
      this.ref = ref;
      this.epoch = epoch;
      this.reads = reads;
    }

    boolean enter() {
      for (int n = senders.get(); n >= 0; n = senders.get()) {
        if (senders.compareAndSet(n, n + 1)) {
          return true;
        }
      }
      return false;
    }

    void exit() {
      senders.decrementAndGet();
    }

    /** Waits out the sends in progress (each is a mailbox enqueue) and refuses later ones. */
    void close() {
      while (!senders.compareAndSet(0, CLOSED)) {
        if (senders.get() == CLOSED) {
          return;
        }
        Thread.onSpinWait();
      }
    }
  }

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

  private final Notifications notifications = new Notifications();

  /** DEBUG SET-ACTIVE-EXPIRE: whether the slots' active expiry cycles run (Redis's switch). */
  private volatile boolean activeExpire = true;

  public boolean activeExpire() {
    return activeExpire;
  }

  public void setActiveExpire(boolean on) {
    activeExpire = on;
  }

  /** This node's keyspace notifications (notify-keyspace-events and their publisher). */
  public Notifications notifications() {
    return notifications;
  }

  /** The used memory of the slots running here (maxmemory). */
  public MemoryAccountant memory() {
    return memory;
  }

  /** Whether the slot has an entity running here that takes direct sends, whatever its epoch. */
  public boolean running(int slot) {
    return refs.get(slot) != null;
  }

  /**
   * Asks the slot's running incarnation of {@code epoch} directly; null (nothing sent) if there
   * is none or it is closing.
   */
  public <T> CompletionStage<T> ask(
      int slot,
      long epoch,
      Function<ActorRef<T>, SlotEntity.Command> message,
      Duration timeout,
      Scheduler scheduler) {
    Running r = refs.get(slot);
    if (r == null || r.epoch != epoch || !r.enter()) {
      return null;
    }
    CompletionStage<T> answer;
    try {
      answer = AskPattern.ask(r.ref, message, timeout, scheduler);
    } finally {
      r.exit();
    }
    return Futures.plain(answer);
  }

  /** Tells the slot's running incarnation of {@code epoch} directly; false if not sent. */
  public boolean tell(int slot, long epoch, SlotEntity.Command message) {
    Running r = refs.get(slot);
    if (r == null || r.epoch != epoch || !r.enter()) {
      return false;
    }
    try {
      r.ref.tell(message);
      return true;
    } finally {
      r.exit();
    }
  }

  /** The running incarnation of {@code epoch}'s direct reads; null if none. */
  public DirectReads directReads(int slot, long epoch) {
    Running r = refs.get(slot);
    return r == null || r.epoch != epoch ? null : r.reads;
  }

  void started(int slot, long epoch, ActorRef<SlotEntity.Command> self, DirectReads reads) {
    refs.set(slot, new Running(self, epoch, reads));
  }

  /**
   * The incarnation is about to stop: once this returns, no direct send reaches it any more
   * (those already under way are in its mailbox), and the slot's requests go through the shard.
   */
  void close(int slot, ActorRef<SlotEntity.Command> self) {
    Running r = refs.get(slot);
    if (r != null && r.ref.equals(self)) {
      r.close();
      refs.compareAndSet(slot, r, null);
    }
  }

  void stopped(int slot, ActorRef<SlotEntity.Command> self) {
    close(slot, self);
    if (refs.get(slot) == null) {
      // Its data leaves the heap with it; a later incarnation publishes again on recovery.
      memory.publish(slot, 0, 0);
    }
  }
}
