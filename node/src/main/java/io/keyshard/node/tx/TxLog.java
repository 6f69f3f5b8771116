package io.keyshard.node.tx;

import io.keyshard.node.CborSerializable;
import io.keyshard.node.slot.EventBytes;
import io.keyshard.node.slot.JournalTrim;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.persistence.TxEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.persistence.typed.DeleteEventsCompleted;
import org.apache.pekko.persistence.typed.DeleteEventsFailed;
import org.apache.pekko.persistence.typed.DeleteSnapshotsCompleted;
import org.apache.pekko.persistence.typed.DeleteSnapshotsFailed;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.JournalPersistRejected;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The node's transaction log: persisting {@link TxEvent.TxPrepared} is a transaction's commit
 * point. Entries stay pending until every slot has applied its share; at start-up the node
 * completes the pending ones before it opens its port.
 *
 * <p>In cluster mode a log may have another writer than its node: a node that completes the
 * log of a node that is gone ({@code cluster/OrphanedLogs}). One writer at a time: a writer
 * journals only behind its own {@link TxEvent.TxLogClaimed} (written in the same journal write
 * as its first records), the journal refuses a second write at a sequence number, and so the
 * previous writer's next write fails once a claim is in; the node's own incarnation claims back
 * whenever it writes, the heir gives up at its first failed write
 * (docs/decisions/2026-12-06-fencing-every-write.md).
 */
public final class TxLog extends EventSourcedBehavior<TxLog.Command, TxEvent, TxLog.State> {

  public sealed interface Command extends CborSerializable {}

  public record Prepare(TxEvent.TxPrepared tx, ActorRef<Done> replyTo) implements Command {}

  public record Complete(long txId, ActorRef<Done> replyTo) implements Command {}

  public record GetPending(ActorRef<Pending> replyTo) implements Command {}

  public record Pending(long maxTxId, List<TxEvent.TxPrepared> pending) implements CborSerializable {}

  /**
   * The slots of each pending transaction, without their events (a share may be larger than a
   * remote message may be): asked of a running node's log by other nodes.
   */
  public record GetPendingSlots(ActorRef<PendingSlots> replyTo) implements Command {}

  public record PendingSlots(List<PendingTx> pending) implements CborSerializable {}

  public record PendingTx(long txId, List<Integer> slots) implements CborSerializable {}

  /** How other nodes find a running node's own log (cluster mode). */
  public static ServiceKey<Command> serviceKey(String nodeId) {
    return ServiceKey.create(Command.class, "tx-log-" + nodeId);
  }

  /** Stops a reader or an heir's log once it is done with it. */
  public enum Stop implements Command {
    INSTANCE
  }

  /** Persists what arrived since the last journal write, as one write (group commit). */
  private enum Flush implements Command {
    INSTANCE
  }

  private record Waiting(TxEvent event, ActorRef<Done> replyTo) {}

  /** Who writes this log through this actor, or null: standalone, the node's log needs no claim. */
  private final String writer;

  private final List<Waiting> batch = new ArrayList<>();
  private final ActorRef<Command> self;
  private final JournalTrim trim;
  /** Records journaled since the last snapshot (recovery replays at most this many). */
  private long sinceSnapshot;

  /** Records between snapshots at most, as under the count-based retention before. */
  static final int SNAPSHOT_EVERY = 1000;

  /**
   * Journal bytes between snapshots at least: the log is one entity per node, and its snapshot
   * (the pending transactions) is small, so a larger floor than a slot's costs nothing.
   */
  static final long SNAPSHOT_MIN_BYTES = 1 << 20;

  /** Mutable, owned by the actor; snapshots copy it into {@link TxEvent.TxLogSnapshot}. */
  public static final class State {
    long maxTxId;
    final TreeMap<Long, TxEvent.TxPrepared> pending = new TreeMap<>();
    /** The writer of the latest claim, or null (never claimed). */
    String writer;
  }

  private static final String PREFIX = "txlog-";

  /** The persistence id of a node's log ("standalone" for a standalone node). */
  public static PersistenceId persistenceId(String nodeId) {
    return PersistenceId.ofUniqueId(PREFIX + nodeId);
  }

  /** The node whose log {@code persistenceId} is, or null if it is no log's. */
  public static String nodeOf(String persistenceId) {
    return persistenceId.startsWith(PREFIX) && persistenceId.length() > PREFIX.length()
        ? persistenceId.substring(PREFIX.length())
        : null;
  }

  /** Standalone: the node's own log, which nothing else ever writes. */
  public static Behavior<Command> create(String nodeId) {
    return Behaviors.setup(ctx -> new TxLog(persistenceId(nodeId), null, true, ctx));
  }

  /**
   * Cluster mode: the node's own log, written by {@code writer} (this incarnation), which
   * claims the log back on any write after another writer's claim.
   */
  public static Behavior<Command> create(String nodeId, String writer) {
    return Behaviors.setup(ctx -> new TxLog(persistenceId(nodeId), writer, true, ctx));
  }

  /**
   * Another node's log, which {@code writer} completes (that node is gone). Its first write
   * claims the log; a failed write stops it for good (another writer claimed the log, or its
   * node is back): it is never retried over someone else's claim.
   */
  public static Behavior<Command> heir(String persistenceId, String writer) {
    return Behaviors.setup(ctx -> new TxLog(PersistenceId.ofUniqueId(persistenceId), writer, false, ctx));
  }

  /** Reads a log (its pending transactions) and never writes it. */
  public static Behavior<Command> reader(String persistenceId) {
    return heir(persistenceId, null);
  }

  private TxLog(PersistenceId id, String writer, boolean own, ActorContext<Command> ctx) {
    // The node's own log: a failed journal write restarts it (recovery shows what was written);
    // what was not sent yet is dropped, and its transactions time out and abort, having
    // changed nothing. An heir's log stops instead.
    super(id, own ? SlotEntity.JOURNAL_BACKOFF : null);
    this.writer = writer;
    this.self = ctx.getSelf();
    this.trim = new JournalTrim(id, ctx);
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
        .onCommand(Flush.class, (state, f) -> flush(state))
        .onCommand(Stop.class, (state, f) -> Effect().stop())
        .onCommand(
            GetPending.class,
            (state, c) ->
                Effect()
                    .reply(
                        c.replyTo(),
                        new Pending(state.maxTxId, new ArrayList<>(state.pending.values()))))
        .onCommand(
            GetPendingSlots.class,
            (state, c) -> {
              List<PendingTx> out = new ArrayList<>(state.pending.size());
              for (TxEvent.TxPrepared p : state.pending.values()) {
                List<Integer> slots = new ArrayList<>(p.shares().size());
                p.shares().forEach(share -> slots.add(share.slot()));
                out.add(new PendingTx(p.txId(), slots));
              }
              return Effect().reply(c.replyTo(), new PendingSlots(out));
            })
        .build();
  }

  private Effect<TxEvent, State> enqueue(TxEvent event, ActorRef<Done> replyTo) {
    if (batch.isEmpty()) {
      self.tell(Flush.INSTANCE);
    }
    batch.add(new Waiting(event, replyTo));
    return Effect().none();
  }

  private Effect<TxEvent, State> flush(State state) {
    if (batch.isEmpty()) {
      return Effect().none();
    }
    List<Waiting> written = List.copyOf(batch);
    batch.clear();
    List<TxEvent> events = new ArrayList<>(written.size() + 1);
    if (writer != null && !writer.equals(state.writer)) {
      // In the same journal write as the records: they are stored behind the claim or not at all.
      events.add(new TxEvent.TxLogClaimed(writer));
    }
    written.forEach(w -> events.add(w.event()));
    return Effect()
        .persist(events)
        .thenRun(s -> written.forEach(w -> w.replyTo().tell(Done.getInstance())));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(JournalPersistFailed.class, (state, f) -> journalFailed())
        .onSignal(JournalPersistRejected.class, (state, f) -> journalFailed())
        // A snapshot holds every pending transaction, so the records it covers may go (with
        // keyshard.journal.retain, once it is old enough): recovery needs nothing else.
        .onSignal(SnapshotCompleted.class, (state, s) -> trim.snapshotSaved(s.metadata()))
        .onSignal(DeleteEventsCompleted.class, (state, d) -> trim.eventsDeleted(d.toSequenceNr()))
        .onSignal(DeleteEventsFailed.class, (state, d) -> trim.deleteFailed("events", d.getFailure()))
        .onSignal(
            DeleteSnapshotsFailed.class, (state, d) -> trim.deleteFailed("snapshots", d.getFailure()))
        // Handled, so that Pekko does not report the answer as an unhandled message.
        .onSignal(DeleteSnapshotsCompleted.class, (state, d) -> {})
        .build();
  }

  private void journalFailed() {
    batch.clear();
    trim.restart();
    sinceSnapshot = 0;
  }

  @Override
  public EventHandler<State, TxEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            TxEvent.TxPrepared.class,
            (state, e) -> {
              count(e);
              state.pending.put(e.txId(), e);
              state.maxTxId = Math.max(state.maxTxId, e.txId());
              return state;
            })
        .onEvent(
            TxEvent.TxCompleted.class,
            (state, e) -> {
              count(e);
              state.pending.remove(e.txId());
              return state;
            })
        .onEvent(
            TxEvent.TxLogClaimed.class,
            (state, e) -> {
              count(e);
              state.writer = e.writer();
              return state;
            })
        .build();
  }

  private void count(TxEvent e) {
    sinceSnapshot++;
    trim.journaled(EventBytes.of(e));
  }

  /**
   * Every {@link #SNAPSHOT_EVERY} records, or sooner when the records since the last snapshot
   * outweigh the pending transactions (and {@link #SNAPSHOT_MIN_BYTES}): large transactions must
   * not pile up a thousand at a time (docs/decisions/2026-12-06-bounded-journal.md).
   */
  @Override
  public boolean shouldSnapshot(State state, TxEvent event, long sequenceNr) {
    if (sinceSnapshot < SNAPSHOT_EVERY
        && !trim.outweighs(pendingBytes(state), SNAPSHOT_MIN_BYTES)) {
      return false;
    }
    sinceSnapshot = 0;
    trim.snapshotting();
    return true;
  }

  private static long pendingBytes(State state) {
    long n = 0;
    for (TxEvent.TxPrepared p : state.pending.values()) {
      n += EventBytes.of(p);
    }
    return n;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return new TxEvent.TxLogSnapshot(state.maxTxId, List.copyOf(state.pending.values()), state.writer);
      }

      @Override
      public State fromJournal(Object from) {
        trim.restart(); // recovery counts the records after this snapshot
        sinceSnapshot = 0;
        TxEvent.TxLogSnapshot snap = (TxEvent.TxLogSnapshot) from;
        State s = new State();
        s.maxTxId = snap.maxTxId();
        s.writer = snap.writer();
        snap.pending().forEach(p -> s.pending.put(p.txId(), p));
        return s;
      }
    };
  }
}
