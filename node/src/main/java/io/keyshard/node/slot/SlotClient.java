package io.keyshard.node.slot;

import io.keyshard.node.Futures;
import io.keyshard.node.route.Verdict;
import io.keyshard.node.route.Verdict.Retry;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.japi.function.Function;

/**
 * The way to reach a slot entity, for everything above the slots (the router, transactions,
 * blocking, eviction, warming, keyspace-wide commands): ask it, tell it, run a command body in
 * it. A slot running in this JVM is reached directly; otherwise through Cluster Sharding, which
 * starts it (and keeps a cache of entity refs per slot and incarnation).
 */
public final class SlotClient {
  /** Which incarnation of a slot this node reaches: standalone the slot itself, epoch 0. */
  public interface Incarnations {
    long epoch(int slot);

    SlotEntityId id(int slot);
  }

  private static final Incarnations STANDALONE =
      new Incarnations() {
        @Override
        public long epoch(int slot) {
          return 0;
        }

        @Override
        public SlotEntityId id(int slot) {
          return SlotEntityId.standalone(slot);
        }
      };

  private final ClusterSharding sharding;
  private final LocalSlots localSlots;
  private final Scheduler scheduler;
  private final Duration timeout;
  private final AtomicReferenceArray<EntityRef<SlotEntity.Command>> refs =
      new AtomicReferenceArray<>(16384);
  /** Cluster mode: the slot epoch each cached ref was made for (a new epoch, a new entity). */
  private final AtomicLongArray refEpochs = new AtomicLongArray(16384);
  /** Requests to each slot still travelling through sharding (see {@link #ask}). */
  private final AtomicIntegerArray viaSharding = new AtomicIntegerArray(16384);
  private volatile Incarnations incarnations = STANDALONE;
  private volatile JournalHealth journal = new JournalHealth();

  public SlotClient(
      ClusterSharding sharding, LocalSlots localSlots, Scheduler scheduler, Duration timeout) {
    this.sharding = sharding;
    this.localSlots = localSlots;
    this.scheduler = scheduler;
    this.timeout = timeout;
  }

  /** Cluster mode: the incarnations this node's slot table names (owner and epoch). */
  public void setIncarnations(Incarnations incarnations) {
    this.incarnations = incarnations;
  }

  /** What the slots report about the journal (docs/decisions/2026-11-22-journal-faults.md). */
  public void setJournal(JournalHealth journal) {
    this.journal = journal;
  }

  public JournalHealth journal() {
    return journal;
  }

  public LocalSlots localSlots() {
    return localSlots;
  }

  private volatile DormantSlots dormant;

  /** A standalone node's slots read at start whose entities have not started (or null). */
  public void setDormant(DormantSlots dormant) {
    this.dormant = dormant;
  }

  // The keyspace-wide reads: a dormant slot answers from its loaded state, without starting
  // its entity (see DormantSlots); any other is asked.

  /** The slot's key and volatile-key counts per database (DBSIZE, INFO keyspace). */
  public CompletionStage<SlotEntity.Stats> stats(int slot) {
    DormantSlots d = dormant;
    SlotEntity.Stats stats = d == null ? null : d.read(slot, SlotReads::stats);
    return stats != null
        ? CompletableFuture.completedFuture(stats)
        : this.<SlotEntity.Stats>ask(slot, SlotEntity.GetStats::new);
  }

  /** Live keys of a database matching a glob (null = all) and a type (null = any). */
  public CompletionStage<SlotEntity.KeyList> listKeys(int slot, int db, byte[] pattern, String type) {
    DormantSlots d = dormant;
    SlotEntity.KeyList keys = d == null ? null : d.read(slot, s -> SlotReads.listKeys(s, db, pattern, type));
    return keys != null
        ? CompletableFuture.completedFuture(keys)
        : this.<SlotEntity.KeyList>ask(slot, replyTo -> new SlotEntity.ListKeys(db, pattern, type, replyTo));
  }

  /** One live key of the database at random, or an empty list. */
  public CompletionStage<SlotEntity.KeyList> randomKey(int slot, int db) {
    DormantSlots d = dormant;
    SlotEntity.KeyList key = d == null ? null : d.read(slot, s -> SlotReads.randomKey(s, db));
    return key != null
        ? CompletableFuture.completedFuture(key)
        : this.<SlotEntity.KeyList>ask(slot, replyTo -> new SlotEntity.RandomKey(db, replyTo));
  }

  /**
   * Starts the entities of those of {@code slots} that are still dormant, {@link Warmer#AT_ONCE}
   * at a time; completes when they answered (at once if none is).
   */
  public CompletionStage<Void> startDormant(Collection<Integer> slots) {
    DormantSlots d = dormant;
    if (d == null) {
      return CompletableFuture.completedFuture(null);
    }
    List<Integer> sleeping = slots.stream().filter(d::isDormant).toList();
    return sleeping.isEmpty()
        ? CompletableFuture.completedFuture(null)
        : Warmer.warm(this, sleeping, d::isDormant).handle((v, t) -> null);
  }

  /** Runs one command body in one slot and returns its reply (or a timeout error). */
  public CompletionStage<Reply> execInSlot(
      int slot, String name, int db, byte[][] argv, boolean write) {
    return execInSlot(slot, name, db, argv, write, 0, null);
  }

  /**
   * {@link #execInSlot} for a tracking client ({@code client}, 0: none): its writes' invalidations
   * know who wrote (NOLOOP), and {@code tracked}, the keys a read saw (null: none), are
   * remembered in the slot's order (docs/decisions/2026-12-07-client-tracking.md).
   */
  public CompletionStage<Reply> execInSlot(
      int slot, String name, int db, byte[][] argv, boolean write, long client, byte[][] tracked) {
    JournalHealth journal = this.journal;
    if (journal.isRecovering(slot)) {
      // Its last journal write failed and it has not recovered yet: what it holds is unknown
      // until then, so nothing runs there, reads included (other slots serve as usual).
      return CompletableFuture.completedFuture(JournalHealth.RECOVERING);
    }
    if (write && !journal.admitsWrite()) {
      // The journal is failing: fail at once, certainly unwritten, instead of each write
      // waiting for the journal to fail it (one write per interval still goes, as a probe).
      return CompletableFuture.completedFuture(JournalHealth.NOT_APPLIED);
    }
    return this.<Reply>ask(
            slot,
            replyTo ->
                client == 0
                    ? new SlotEntity.Exec(name, db, argv, write, replyTo)
                    : new SlotEntity.ClientExec(name, db, argv, write, client, tracked, replyTo))
        .exceptionally(t -> failure(t, write));
  }

  /**
   * Runs a request forwarded by the node importing the slot (ASKING there) in this node's slot:
   * decided as the importer would, while {@code migration} is the slot's current migration
   * (docs/decisions/2026-12-06-slot-migration-protocol.md). Never a direct read.
   */
  public CompletionStage<Reply> execAsked(
      int slot, String name, int db, byte[][] argv, boolean write, long migration) {
    JournalHealth journal = this.journal;
    if (journal.isRecovering(slot)) {
      return CompletableFuture.completedFuture(JournalHealth.RECOVERING);
    }
    if (write && !journal.admitsWrite()) {
      return CompletableFuture.completedFuture(JournalHealth.NOT_APPLIED);
    }
    return this.<Reply>ask(
            slot, replyTo -> new SlotEntity.Asked(name, db, argv, write, migration, replyTo))
        .exceptionally(t -> failure(t, write));
  }

  /**
   * Runs a read-only command in one slot, for a connection none of whose earlier requests is
   * unanswered: on this thread if the slot allows it now ({@link DirectReads}), otherwise
   * through its mailbox as {@link #execInSlot}. Standalone only for now: in cluster mode a
   * slot's owner and epoch are checked in the entity, which a direct read would skip, and so is
   * whether a migrating slot still answers for the key (ASK, TRYAGAIN: SlotEntity, Handover).
   */
  public CompletionStage<Reply> readInSlot(int slot, String name, int db, byte[][] argv) {
    return readInSlot(slot, name, db, argv, 0, null);
  }

  /** {@link #readInSlot} remembering {@code tracked} for tracking client {@code client} (0: none). */
  public CompletionStage<Reply> readInSlot(
      int slot, String name, int db, byte[][] argv, long client, byte[][] tracked) {
    if (incarnations == STANDALONE && viaSharding.get(slot) == 0 && !journal.isRecovering(slot)) {
      DirectReads reads = localSlots.directReads(slot, 0);
      Reply reply = reads == null ? null : reads.tryRead(name, db, argv, client, tracked);
      if (reply != null) {
        return CompletableFuture.completedFuture(reply);
      }
    }
    return execInSlot(slot, name, db, argv, false, client, tracked);
  }

  /** Sends a slot a message that has no reply. */
  public void tell(int slot, SlotEntity.Command message) {
    if (viaSharding.get(slot) != 0 || !localSlots.tell(slot, incarnations.epoch(slot), message)) {
      entity(slot).tell(message);
    }
  }

  /**
   * Asks a slot. A slot running in this JVM is asked directly; otherwise (not started yet, or
   * elsewhere) through Cluster Sharding, which starts it. A connection's requests must reach a
   * slot in the order they were sent, so a slot is asked directly only while no request to it
   * is still on its way through sharding (which may hold messages while the slot starts), and a
   * slot that is about to stop takes none directly ({@link LocalSlots#close}).
   */
  public <T> CompletionStage<T> ask(int slot, Function<ActorRef<T>, SlotEntity.Command> message) {
    if (viaSharding.get(slot) == 0) {
      CompletionStage<T> direct = localSlots.ask(slot, incarnations.epoch(slot), message, timeout, scheduler);
      if (direct != null) {
        return direct;
      }
    }
    viaSharding.incrementAndGet(slot);
    return Futures.plain(entity(slot).ask(message, timeout))
        .whenComplete((r, t) -> viaSharding.decrementAndGet(slot));
  }

  private EntityRef<SlotEntity.Command> entity(int slot) {
    EntityRef<SlotEntity.Command> ref = refs.get(slot);
    Incarnations in = incarnations;
    long epoch = in.epoch(slot);
    if (ref == null || refEpochs.get(slot) != epoch) {
      // In cluster mode the entity id names its owner and the slot's epoch (see
      // RequesterAllocation and SlotEntityId).
      ref = sharding.entityRefFor(SlotEntity.TYPE_KEY, in.id(slot).toString());
      refEpochs.set(slot, epoch);
      refs.set(slot, ref);
    }
    return ref;
  }

  /**
   * The answer to a slot that failed to answer. A timed-out read changed nothing: TRYAGAIN,
   * which clients may resend. A timed-out write may or may not be in the journal: a plain ERR,
   * which no client resends by itself (a second INCR would count twice).
   */
  public static Reply failure(Throwable t, boolean write) {
    Throwable cause = t.getCause() != null && t instanceof CompletionException ? t.getCause() : t;
    if (cause instanceof TimeoutException) {
      return write
          ? Err.err("slot did not answer in time; the write may or may not have been applied")
          : Verdict.tryAgain(Retry.SLOT_TIMEOUT).reply();
    }
    return Err.err("internal error: " + cause.getClass().getSimpleName());
  }
}
