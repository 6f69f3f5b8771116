package io.keyshard.node.tx;

import io.keyshard.node.CborSerializable;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.persistence.TxEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.JournalPersistRejected;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The node's transaction log: persisting {@link TxEvent.TxPrepared} is a transaction's commit
 * point. Entries stay pending until every slot has applied its share; at start-up the node
 * completes the pending ones before it opens its port.
 */
public final class TxLog extends EventSourcedBehavior<TxLog.Command, TxEvent, TxLog.State> {

  public sealed interface Command extends CborSerializable {}

  public record Prepare(TxEvent.TxPrepared tx, ActorRef<Done> replyTo) implements Command {}

  public record Complete(long txId, ActorRef<Done> replyTo) implements Command {}

  public record GetPending(ActorRef<Pending> replyTo) implements Command {}

  public record Pending(long maxTxId, List<TxEvent.TxPrepared> pending) implements CborSerializable {}

  /** Persists what arrived since the last journal write, as one write (group commit). */
  private enum Flush implements Command {
    INSTANCE
  }

  private record Waiting(TxEvent event, ActorRef<Done> replyTo) {}

  private final List<Waiting> batch = new ArrayList<>();
  private final ActorRef<Command> self;

  /** Mutable, owned by the actor; snapshots copy it into {@link TxEvent.TxLogSnapshot}. */
  public static final class State {
    long maxTxId;
    final TreeMap<Long, TxEvent.TxPrepared> pending = new TreeMap<>();
  }

  public static Behavior<Command> create(String nodeId) {
    return Behaviors.setup(
        ctx -> new TxLog(PersistenceId.ofUniqueId("txlog-" + nodeId), ctx.getSelf()));
  }

  private TxLog(PersistenceId id, ActorRef<Command> self) {
    // A failed journal write restarts the log (recovery shows what was written); what was not
    // sent yet is dropped, and its transactions time out and abort, having changed nothing.
    super(id, SlotEntity.JOURNAL_BACKOFF);
    this.self = self;
  }

  @Override
  public State emptyState() {
    return new State();
  }

  @Override
  public CommandHandler<Command, TxEvent, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        // Every transaction of the node passes through here twice: one journal write per
        // record would cap the node at one transaction per journal round trip.
        .onCommand(Prepare.class, (state, c) -> enqueue(c.tx(), c.replyTo()))
        .onCommand(
            Complete.class,
            (state, c) ->
                state.pending.containsKey(c.txId())
                    ? enqueue(new TxEvent.TxCompleted(c.txId()), c.replyTo())
                    : Effect().reply(c.replyTo(), Done.getInstance()))
        .onCommand(Flush.class, (state, f) -> flush())
        .onCommand(
            GetPending.class,
            (state, c) ->
                Effect()
                    .reply(
                        c.replyTo(),
                        new Pending(state.maxTxId, new ArrayList<>(state.pending.values()))))
        .build();
  }

  private Effect<TxEvent, State> enqueue(TxEvent event, ActorRef<Done> replyTo) {
    if (batch.isEmpty()) {
      self.tell(Flush.INSTANCE);
    }
    batch.add(new Waiting(event, replyTo));
    return Effect().none();
  }

  private Effect<TxEvent, State> flush() {
    if (batch.isEmpty()) {
      return Effect().none();
    }
    List<Waiting> written = List.copyOf(batch);
    batch.clear();
    return Effect()
        .persist(written.stream().map(Waiting::event).toList())
        .thenRun(s -> written.forEach(w -> w.replyTo().tell(Done.getInstance())));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            JournalPersistFailed.class, (state, f) -> batch.clear())
        .onSignal(
            JournalPersistRejected.class, (state, f) -> batch.clear())
        .build();
  }

  @Override
  public EventHandler<State, TxEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            TxEvent.TxPrepared.class,
            (state, e) -> {
              state.pending.put(e.txId(), e);
              state.maxTxId = Math.max(state.maxTxId, e.txId());
              return state;
            })
        .onEvent(
            TxEvent.TxCompleted.class,
            (state, e) -> {
              state.pending.remove(e.txId());
              return state;
            })
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(1000, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return new TxEvent.TxLogSnapshot(state.maxTxId, List.copyOf(state.pending.values()));
      }

      @Override
      public State fromJournal(Object from) {
        TxEvent.TxLogSnapshot snap = (TxEvent.TxLogSnapshot) from;
        State s = new State();
        s.maxTxId = snap.maxTxId();
        snap.pending().forEach(p -> s.pending.put(p.txId(), p));
        return s;
      }
    };
  }
}
