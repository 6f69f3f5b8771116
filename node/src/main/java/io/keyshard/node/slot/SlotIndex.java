package io.keyshard.node.slot;

import io.keyshard.node.CborSerializable;
import io.keyshard.persistence.IndexEvent;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.JournalPersistRejected;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The node's durable index of non-empty slots, so keyspace-wide commands (DBSIZE, KEYS, SCAN,
 * FLUSHALL, INFO keyspace) and start-up warming never wake the thousands of empty slots.
 *
 * <p>Invariant: every slot holding a key is in the index. A slot registers, and waits for the
 * registration to be persisted, before it persists its first write; it unregisters after a
 * persisted write left it empty. Both messages come from the slot's single actor, and Pekko
 * keeps per-sender order, so the index ends in the state of the slot's last message. A crash
 * can only leave an empty slot registered, which costs one wasted wake-up.
 *
 * <p>The barrier: a transaction with keyspace-wide commands (DBSIZE, FLUSHALL... inside EXEC)
 * takes it before any lock and gets the set of non-empty slots, which then cannot grow until it
 * releases the barrier: a plain write's registration waits (that slot holds no lock, so nobody
 * waits on it), another transaction's registration is denied (it undoes itself and runs again
 * later, so it never holds locks while waiting on the barrier holder), and the barrier holder's
 * own registrations go through. See docs/decisions/2026-11-22-atomic-multi-slot-writes.md.
 */
public final class SlotIndex extends EventSourcedBehavior<SlotIndex.Command, IndexEvent, BitSet> {

  public sealed interface Command extends CborSerializable {}

  /**
   * Registers a slot before its first write. {@code txId} is the transaction that writes there,
   * or 0 for a plain write; {@code seq} comes back in the answer, so a slot can tell a late answer
   * to an old request from the answer it waits for.
   */
  public record Register(int slot, long txId, long seq, ActorRef<Answer> replyTo) implements Command {}

  /** The answer to a Register: registered, or denied to a transaction during a barrier. */
  public record Answer(long seq, boolean registered) implements CborSerializable {}

  /** Takes the barrier for a transaction; answers the non-empty slots once it holds it. */
  public record AcquireBarrier(long txId, ActorRef<Slots> replyTo) implements Command {}

  public record ReleaseBarrier(long txId) implements Command {}

  public record Unregister(int slot) implements Command {}

  public record GetSlots(ActorRef<Slots> replyTo) implements Command {}

  /** The registered slots, ascending. */
  public record Slots(int[] slots) implements CborSerializable {}

  /** Persists the registrations gathered since the last one (group commit, as in slots). */
  private enum Flush implements Command {
    INSTANCE
  }

  private final List<Register> pending = new ArrayList<>();
  private ActorRef<Command> self;
  /** The transaction holding the barrier, or 0. */
  private long barrier;

  public static Behavior<Command> create(String nodeId) {
    return create(nodeId, new JournalHealth());
  }

  public static Behavior<Command> create(String nodeId, JournalHealth journal) {
    return Behaviors.setup(
        ctx -> new SlotIndex(PersistenceId.ofUniqueId("slot-index-" + nodeId), ctx.getSelf(), journal));
  }

  private final JournalHealth journal;

  private SlotIndex(PersistenceId id, ActorRef<Command> self, JournalHealth journal) {
    super(id, SlotEntity.JOURNAL_BACKOFF); // a failed write restarts the index, see signalHandler
    this.self = self;
    this.journal = journal;
  }

  /** The registrations whose journal write is in flight. */
  private List<Register> persisting = List.of();

  /**
   * A journal write failed and the index restarts: the slots whose registration was lost are
   * told so (as a denial, after which a plain write registers again), or they would wait forever.
   */
  @Override
  public SignalHandler<BitSet> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            JournalPersistFailed.class,
            (state, f) -> lost())
        .onSignal(
            JournalPersistRejected.class,
            (state, f) -> lost())
        .onSignal(
            RecoveryFailed.class, (state, f) -> journal.failed())
        .build();
  }

  private void lost() {
    journal.failed();
    List<Register> lost = new ArrayList<>(persisting);
    lost.addAll(pending);
    persisting = List.of();
    pending.clear();
    // Lost unregistrations leave empty slots registered: one wasted wake-up each, as after a crash.
    unregistering.clear();
    unregisteringSet.clear();
    for (Register r : lost) {
      r.replyTo().tell(new Answer(r.seq(), false));
    }
  }


  @Override
  public BitSet emptyState() {
    return new BitSet(16384);
  }

  @Override
  public CommandHandler<Command, IndexEvent, BitSet> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Register.class, this::onRegister)
        .onCommand(Flush.class, (state, f) -> flush())
        .onCommand(AcquireBarrier.class, this::onAcquireBarrier)
        .onCommand(
            ReleaseBarrier.class,
            (state, c) -> {
              if (barrier != c.txId()) {
                return Effect().none();
              }
              barrier = 0;
              return Effect().unstashAll();
            })
        .onCommand(Unregister.class, this::onUnregister)
        .onCommand(
            GetSlots.class,
            (state, c) -> Effect().reply(c.replyTo(), new Slots(state.stream().toArray())))
        .build();
  }

  /**
   * Slots register on their first write, often thousands at once (a fresh node under load):
   * they are persisted together, one journal write for all that arrived meanwhile.
   */
  private Effect<IndexEvent, BitSet> onRegister(BitSet state, Register c) {
    if (state.get(c.slot()) && !unregisteringSet.get(c.slot())) {
      return Effect().none().thenReply(c.replyTo(), s -> new Answer(c.seq(), true));
    }
    if (barrier != 0 && barrier != c.txId()) {
      return c.txId() == 0
          ? Effect().stash()
          : Effect().reply(c.replyTo(), new Answer(c.seq(), false));
    }
    if (pending.isEmpty() && unregistering.isEmpty()) {
      self.tell(Flush.INSTANCE);
    }
    pending.add(c);
    return Effect().none();
  }

  /**
   * Slots unregister after a write emptied them, all of them at once after a FLUSHALL: persisted
   * together like registrations. One persist each kept the index busy for seconds (12,700 slots
   * one fsync at a time), and everything else, GetSlots included, waited behind them.
   */
  private Effect<IndexEvent, BitSet> onUnregister(BitSet state, Unregister c) {
    if (!state.get(c.slot())) {
      return Effect().none();
    }
    if (pending.isEmpty() && unregistering.isEmpty()) {
      self.tell(Flush.INSTANCE);
    }
    if (!unregisteringSet.get(c.slot())) {
      unregisteringSet.set(c.slot());
      unregistering.add(c.slot());
    }
    return Effect().none();
  }

  /**
   * Slots whose unregistration is not persisted yet, in arrival order. Such a slot counts as
   * unregistered: a Register from it waits for the same write, after the unregistration.
   */
  private final List<Integer> unregistering = new ArrayList<>();

  private final BitSet unregisteringSet = new BitSet();

  private Effect<IndexEvent, BitSet> flush() {
    if (pending.isEmpty() && unregistering.isEmpty()) {
      return Effect().none();
    }
    List<Register> batch = List.copyOf(pending);
    pending.clear();
    List<IndexEvent> events = new ArrayList<>();
    // A slot's Unregister arrived after its last Register was persisted (it is sent only by a
    // registered slot, after a write), so the unregistrations go first; a Register in this
    // batch came after them.
    for (int slot : unregistering) {
      events.add(new IndexEvent.SlotUnregistered(slot));
    }
    unregistering.clear();
    unregisteringSet.clear();
    BitSet seen = new BitSet();
    for (Register r : batch) {
      if (!seen.get(r.slot())) {
        seen.set(r.slot());
        events.add(new IndexEvent.SlotRegistered(r.slot()));
      }
    }
    persisting = batch;
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              persisting = List.of();
              batch.forEach(r -> r.replyTo().tell(new Answer(r.seq(), true)));
            })
        // A barrier request may be waiting for this batch.
        .thenUnstashAll();
  }

  private Effect<IndexEvent, BitSet> onAcquireBarrier(BitSet state, AcquireBarrier c) {
    if (barrier == c.txId()) {
      return Effect().reply(c.replyTo(), new Slots(state.stream().toArray()));
    }
    if (barrier != 0 || !pending.isEmpty()) {
      // Registrations in the batch are promised: they must be in the set the holder gets.
      return Effect().stash();
    }
    barrier = c.txId();
    return Effect().reply(c.replyTo(), new Slots(state.stream().toArray()));
  }

  @Override
  public EventHandler<BitSet, IndexEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            IndexEvent.SlotRegistered.class,
            (state, e) -> {
              state.set(e.slot());
              return state;
            })
        .onEvent(
            IndexEvent.SlotUnregistered.class,
            (state, e) -> {
              state.clear(e.slot());
              return state;
            })
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(1000, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SnapshotAdapter<BitSet> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(BitSet state) {
        return new IndexEvent.IndexSnapshot(state.toLongArray());
      }

      @Override
      public BitSet fromJournal(Object from) {
        return BitSet.valueOf(((IndexEvent.IndexSnapshot) from).bits());
      }
    };
  }
}
