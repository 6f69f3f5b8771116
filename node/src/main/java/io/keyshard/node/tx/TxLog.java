package io.keyshard.node.tx;

import io.keyshard.node.CborSerializable;
import io.keyshard.persistence.TxEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

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

  /** Mutable, owned by the actor; snapshots copy it into {@link TxEvent.TxLogSnapshot}. */
  public static final class State {
    long maxTxId;
    final TreeMap<Long, TxEvent.TxPrepared> pending = new TreeMap<>();
  }

  public static Behavior<Command> create(String nodeId) {
    return new TxLog(PersistenceId.ofUniqueId("txlog-" + nodeId));
  }

  private TxLog(PersistenceId id) {
    super(id);
  }

  @Override
  public State emptyState() {
    return new State();
  }

  @Override
  public CommandHandler<Command, TxEvent, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(
            Prepare.class,
            (state, c) -> Effect().persist(c.tx()).thenReply(c.replyTo(), s -> Done.getInstance()))
        .onCommand(
            Complete.class,
            (state, c) ->
                state.pending.containsKey(c.txId())
                    ? Effect()
                        .persist(new TxEvent.TxCompleted(c.txId()))
                        .thenReply(c.replyTo(), s -> Done.getInstance())
                    : Effect().reply(c.replyTo(), Done.getInstance()))
        .onCommand(
            GetPending.class,
            (state, c) ->
                Effect()
                    .reply(
                        c.replyTo(),
                        new Pending(state.maxTxId, new ArrayList<>(state.pending.values()))))
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
