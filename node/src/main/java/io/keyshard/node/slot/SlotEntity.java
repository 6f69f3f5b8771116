package io.keyshard.node.slot;

import static io.keyshard.node.slot.SlotEffects.asReply;

import io.keyshard.node.CborSerializable;
import io.keyshard.node.route.Verdict;
import io.keyshard.node.route.Verdict.Retry;
import io.keyshard.node.slot.GroupCommit.Pending;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotSnapshot;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.TxEvent;
import io.keyshard.protocol.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.DeleteEventsCompleted;
import org.apache.pekko.persistence.typed.DeleteEventsFailed;
import org.apache.pekko.persistence.typed.DeleteSnapshotsCompleted;
import org.apache.pekko.persistence.typed.DeleteSnapshotsFailed;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.JournalPersistRejected;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One hash slot: its keys in all 16 databases, as an event-sourced actor under Cluster Sharding.
 *
 * <p>A command body ({@link SlotCommand}) runs against the live state and emits events, which
 * are applied at once (so the body sees its own effects) and then persisted; the reply goes out
 * only after the journal has them. Writes that arrive together are persisted together (group
 * commit, as Redis fsyncs once per event-loop turn), and while a batch is open or in flight
 * every reply waits for it, reads included, so nobody observes a write before it is durable. If
 * a persist fails the slot restarts, dropping the unpersisted state, and recovers it from the
 * journal.
 *
 * <p>This class holds the slot's protocol and dispatches it: plain commands, hand-off and warm
 * start are handled here; the other jobs each have their own class, owned by the entity:
 * {@link CommandRunner} (the one place a body runs), {@link GroupCommit}, {@link
 * IndexRegistration} (the slot in the {@link SlotIndex}), {@link TxParticipant} and {@link
 * Watches} (transactions), {@link BlockedClients}, {@link Expiry} and {@link Eviction}. Which
 * message must wait (stash) while the slot is locked or registering is decided here.
 */
public final class SlotEntity
    extends EventSourcedBehaviorWithEnforcedReplies<SlotEntity.Command, SlotEvent, SlotState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "slot");

  public sealed interface Command extends CborSerializable {}

  /** Runs a command body; {@code name} is the table's lowercase name, {@code write} its flag. */
  public record Exec(String name, int db, byte[][] argv, boolean write, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * {@link Exec} for a client that tracks keys (docs/decisions/2026-12-07-client-tracking.md):
   * {@code client} wrote or read; {@code tracked}, the keys its read saw (null: none), are
   * remembered as its reply is released, after the invalidations of every write before it.
   */
  public record ClientExec(
      String name, int db, byte[][] argv, boolean write, long client, byte[][] tracked, ActorRef<Reply> replyTo)
      implements Command {}

  /** Per-database key and volatile-key counts (DBSIZE, INFO keyspace). */
  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  public record Stats(long[] keys, long[] expires) implements CborSerializable {}

  /** Live keys of a database matching a glob (null = all) and a type (null = any). */
  public record ListKeys(int db, byte[] pattern, String type, ActorRef<KeyList> replyTo)
      implements Command {}

  public record KeyList(List<byte[]> keys) implements CborSerializable {}

  /** One live key of the database chosen at random, or an empty list. */
  public record RandomKey(int db, ActorRef<KeyList> replyTo) implements Command {}

  // ---- Slot migration inside one cluster (docs/decisions/2026-12-06-slot-migration-protocol.md) ----

  /**
   * A request the node importing this slot forwarded after its client's ASKING: while
   * {@code migration} is the slot's current migration it is decided as the importer would
   * decide it (and the keys a write leaves are handed over); otherwise as a plain {@link Exec}.
   */
  public record Asked(
      String name, int db, byte[][] argv, boolean write, long migration, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * MIGRATE to the target of migration {@code migration}: hands over those of the keys still on
   * this side. Answers OK once journaled, NOKEY if none was, or an error if the migration is not
   * the slot's current one.
   */
  public record HandOver(long migration, int db, List<byte[]> keys, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * CLUSTER GETKEYSINSLOT: up to {@code count} keys of the database that this slot still answers
   * for (while it migrates, those not handed over).
   */
  public record KeysInSlot(int db, int count, ActorRef<KeyList> replyTo) implements Command {}

  /** CLUSTER COUNTKEYSINSLOT: how many keys of the database this slot still answers for. */
  public record CountInSlot(int db, ActorRef<Long> replyTo) implements Command {}


  // ---- Atomic multi-slot transactions (docs/decisions/2026-11-22-atomic-multi-slot-writes.md) ----

  /**
   * Locks the slot for a transaction: until it applies or aborts, everything else waits.
   * {@code log}: the persistence id of the transaction log it commits to (ids are numbered per
   * log); null from a sender that names none.
   */
  public record TxLock(long txId, ActorRef<Done> replyTo, String log) implements Command {
    public TxLock(long txId, ActorRef<Done> replyTo) {
      this(txId, replyTo, null);
    }
  }

  /**
   * Locks the slot for a running transaction only if no other transaction holds it (true), else
   * answers false at once: a transaction that already holds slots may take more this way, out of
   * ascending order, without ever waiting on another (a script's undeclared keys).
   */
  public record TxTryLock(long txId, ActorRef<Boolean> replyTo, String log) implements Command {}

  /**
   * Runs a command body of the locking transaction tentatively: applied, not persisted. {@code
   * seq} orders its keyspace notifications among the transaction's commands ({@link
   * Notifications}).
   */
  public record TxExec(
      long txId, String name, int db, byte[][] argv, boolean write, ActorRef<Reply> replyTo, long seq)
      implements Command {
    public TxExec(long txId, String name, int db, byte[][] argv, boolean write, ActorRef<Reply> replyTo) {
      this(txId, name, db, argv, write, replyTo, 0);
    }
  }

  /** Asks for the events the locking transaction produced here. */
  public record TxPrepare(long txId, ActorRef<TxShare> replyTo) implements Command {}

  /**
   * A slot's events for the commit record; {@code denied} when the slot could not register in
   * the index (a keyspace-wide transaction holds its barrier): the transaction must undo and
   * run again.
   */
  public record TxShare(int slot, List<TxEvent.Nested> events, boolean denied)
      implements CborSerializable {}

  /**
   * Persists this slot's share of a committed transaction and unlocks. Idempotent: a share
   * already applied (recovery after a crash) is acknowledged without applying it again. The
   * transaction is named by {@code log} (its log's persistence id, null: none named) and
   * {@code txId}; {@code completedBelow} speaks of that log's ids.
   */
  public record TxApply(
      long txId, long completedBelow, List<TxEvent.Nested> events, ActorRef<Done> replyTo, String log)
      implements Command {
    public TxApply(long txId, long completedBelow, List<TxEvent.Nested> events, ActorRef<Done> replyTo) {
      this(txId, completedBelow, events, replyTo, null);
    }
  }

  /** Undoes the locking transaction's tentative events and unlocks. */
  public record TxAbort(long txId, ActorRef<Done> replyTo) implements Command {}

  /**
   * The transaction stopped waiting for this slot's lock (its TxLock timed out): if the lock was
   * granted meanwhile, undo and unlock; if the TxLock is still waiting here, drop it when its turn
   * comes, so the slot is never locked for a transaction that is gone.
   */
  public record TxLockAbandoned(long txId) implements Command {}

  /** WATCH: remember these keys for this watcher; any change to them makes it dirty. */
  public record Watch(long watcherId, int db, List<byte[]> keys, ActorRef<Done> replyTo)
      implements Command {}

  public record Unwatch(long watcherId) implements Command {}

  /** Under the transaction's lock: true if none of the watcher's keys changed here. */
  public record CheckWatch(long txId, long watcherId, ActorRef<Boolean> replyTo)
      implements Command {}

  // ---- Blocking commands (docs/decisions/2026-11-22-blocking-commands.md) ----

  /**
   * Serves the waiter from these keys (in order) if one has data, else queues it on each of them.
   * Answers true if the waiter was served (or had ended), false if it now waits here. Local only:
   * a {@link Waiter} is never serialized.
   */
  public record Block(Waiter waiter, List<byte[]> keys, ActorRef<Boolean> replyTo)
      implements Command, NoSerializationVerificationNeeded {}

  /** The waiter ended (served elsewhere, timed out, closed): forget it. */
  public record Unblock(Waiter waiter)
      implements Command, NoSerializationVerificationNeeded {}

  /**
   * Cluster mode: the slot is given to another node. Persists what is open, answers blocked
   * clients with {@code redirect} (a MOVED to the new owner), replies, and stops; the new owner's
   * entity recovers the slot from the shared journal.
   */
  public record Handoff(String redirect, ActorRef<Done> replyTo) implements Command {}

  /**
   * Starts the slot (its recovery registers it in the index if it holds keys), then stops it
   * again if it is empty and idle: how a node finds the non-empty slots it does not know of yet
   * (data written by another topology, slots just received).
   */
  public record Warm(ActorRef<Done> replyTo) implements Command {}

  /**
   * The shard's stop message (Entity#withStopMessage): after a passivation the incarnation asked
   * for ({@link Retirement}), or the shard's own hand-off. Stops once nothing is in the middle.
   */
  public enum Stop implements Command {
    INSTANCE
  }

  // ---- maxmemory (docs/decisions/2026-11-22-maxmemory.md) ----

  /**
   * Up to {@code samples} of this slot's keys that {@code policy} may evict, each with its
   * score (lower goes first): the last access for the LRU policies, the expiry time for
   * volatile-ttl, a random number for the random ones.
   */
  public record SampleForEviction(String policy, int samples, ActorRef<EvictionCandidates> replyTo)
      implements Command {}

  public record EvictionCandidate(int db, byte[] key, long score) implements CborSerializable {}

  public record EvictionCandidates(List<EvictionCandidate> candidates) implements CborSerializable {}

  /**
   * Evicts a sampled key if it still has the score it was sampled with (an LRU candidate read
   * since is spared); answers the bytes freed, 0 if nothing was evicted.
   */
  public record EvictKey(
      String policy, int db, byte[] key, long score, ActorRef<Long> replyTo) implements Command {}

  private enum ExpireTick implements Command {
    INSTANCE
  }

  private record Registered(SlotIndex.Answer answer) implements Command {}

  /** The pending shares of committed transactions found for this slot after its recovery. */
  record SharesFound(long ask, List<PendingShares.Share> shares, Throwable failure) implements Command {}

  /** Ask for the pending shares again (the read failed, or the node was paused). */
  private enum ReadSharesAgain implements Command {
    INSTANCE
  }

  private enum FlushBatch implements Command {
    INSTANCE
  }

  /** What every slot shares on a node: the command bodies, the index, tuning. */
  public record Settings(
      Map<String, SlotCommand> commands,
      ActorRef<SlotIndex.Command> index,
      int snapshotEvery,
      int expireBatch,
      Duration expireInterval,
      int maxBatch,
      LocalSlots localSlots,
      Fence notServedHere,
      JournalHealth journal,
      PendingShares pendingShares) {

    public Settings(
        Map<String, SlotCommand> commands,
        ActorRef<SlotIndex.Command> index,
        int snapshotEvery,
        int expireBatch,
        Duration expireInterval,
        int maxBatch,
        LocalSlots localSlots,
        Fence notServedHere,
        JournalHealth journal) {
      this(commands, index, snapshotEvery, expireBatch, expireInterval, maxBatch, localSlots, notServedHere, journal, PendingShares.NONE);
    }

    public Settings(
        Map<String, SlotCommand> commands,
        ActorRef<SlotIndex.Command> index,
        int snapshotEvery,
        int expireBatch,
        Duration expireInterval,
        int maxBatch,
        LocalSlots localSlots,
        Fence notServedHere) {
      this(commands, index, snapshotEvery, expireBatch, expireInterval, maxBatch, localSlots, notServedHere, new JournalHealth());
    }

    /** Standalone: every slot is served here. */
    public Settings(
        Map<String, SlotCommand> commands,
        ActorRef<SlotIndex.Command> index,
        int snapshotEvery,
        int expireBatch,
        Duration expireInterval,
        int maxBatch,
        LocalSlots localSlots) {
      this(commands, index, snapshotEvery, expireBatch, expireInterval, maxBatch, localSlots, (slot, epoch) -> null);
    }
  }

  /**
   * Cluster mode: whether the incarnation of a slot named by {@code epoch} may act here. Null
   * if it may (the common answer allocates nothing); otherwise the verdict to answer (MOVED,
   * CLUSTERDOWN, or TRYAGAIN for an incarnation of an older epoch), after which it stops.
   */
  @FunctionalInterface
  public interface Fence {
    Verdict refusal(int slot, long epoch);

    /**
     * Non-null while the node serves no slot for now (cut off from the cluster's majority, or
     * just back from a long pause): the verdict to answer; the incarnation stays.
     */
    default Verdict paused() {
      return null;
    }

    /**
     * The slot's migration from this node to another (CLUSTER SETSLOT MIGRATING), or null when
     * it has none: then the slot answers for all of its keys
     * (docs/decisions/2026-12-06-slot-migration-protocol.md).
     */
    default Migration migration(int slot) {
      return null;
    }
  }

  public static PersistenceId persistenceId(int slot) {
    return PersistenceId.ofUniqueId("slot-" + slot);
  }

  /** The slot whose {@link #persistenceId} {@code id} is, or -1 if it is none's. */
  public static int standaloneSlotOf(String id) {
    if (!id.startsWith("slot-") || id.length() < 6 || id.length() > 10) {
      return -1;
    }
    int slot = 0;
    for (int i = 5; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < '0' || c > '9' || (i == 5 && c == '0' && id.length() > 6)) {
        return -1;
      }
      slot = slot * 10 + (c - '0');
    }
    return slot < 16384 ? slot : -1;
  }

  public static Behavior<Command> create(int slot, Settings settings) {
    return create(slot, 0, settings);
  }

  /** Cluster mode: the incarnation of the slot given to this node at {@code epoch}. */
  public static Behavior<Command> create(int slot, long epoch, Settings settings) {
    return create(slot, epoch, settings, persistenceId(slot), null);
  }

  /** Started by Cluster Sharding in {@code shard}, which it asks to passivate it. */
  public static Behavior<Command> create(
      int slot, long epoch, Settings settings, ActorRef<ClusterSharding.ShardCommand> shard) {
    return create(slot, epoch, settings, persistenceId(slot), shard);
  }

  /**
   * A slot entity journaled under another persistence id: a replica's takeover rehearsal
   * ({@code cluster/Rehearsal}), which must never touch a real slot's journal.
   */
  public static Behavior<Command> create(
      int slot,
      long epoch,
      Settings settings,
      PersistenceId id,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  SlotEntity entity = new SlotEntity(slot, epoch, settings, ctx, timers, id, shard);
                  return entity.directReads.guard(entity, entity::quiet);
                }));
  }

  /** Restart delays after a journal failure (also used by the index and the transaction log). */
  public static final BackoffSupervisorStrategy JOURNAL_BACKOFF =
      SupervisorStrategy.restartWithBackoff(
          Duration.ofMillis(200), Duration.ofSeconds(2), 0.2);

  private final int slot;
  /** The slot epoch this incarnation acts for (cluster mode; 0 standalone). */
  private final long epoch;
  private final Settings settings;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;

  /** Whether recovery is over (events seen before are replayed ones, counted for INFO). */
  private boolean recovered;

  // The jobs this entity dispatches to; each keeps the state of its job, which outlives a restart
  // after a journal failure (the behaviour instance does) and is reset in journalFailed.
  private final CommandRunner runner;
  private final GroupCommit groupCommit;
  private final IndexRegistration registration;
  private final Eviction eviction;
  private final Expiry expiry;
  private final BlockedClients blockedClients;
  private final Watches watches;
  private final TxParticipant tx;
  private final JournalTrim trim;
  private final DirectReads directReads;
  private final Handover handover;
  private final ShareGate gate;
  private final Ownership ownership;
  private final Retirement retirement;
  /**
   * Once this incarnation may neither answer nor journal (handed off, not the owner any more,
   * or its state holds what it could not journal): what a request that still reaches it gets.
   */
  private Reply retiredAnswer;
  /** Whether a retired incarnation's stash was given one last turn before it stops. */
  private boolean drained;

  private SlotEntity(
      int slot,
      long epoch,
      Settings settings,
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      PersistenceId id,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    // A failed journal write restarts the slot, which recovers from the journal what it really
    // holds; while the journal stays down, recovery is retried with these delays.
    super(id, JOURNAL_BACKOFF);
    this.slot = slot;
    this.epoch = epoch;
    this.settings = settings;
    this.ctx = ctx;
    this.timers = timers;
    EffectFactories<SlotEvent, SlotState> effects = Effect();
    MemoryAccountant memory = settings.localSlots().memory();
    // Every job below that journals asks it first (docs/decisions/2026-12-06-fencing-every-write.md).
    this.ownership = new Ownership(slot, epoch, settings.notServedHere(), ctx.getLog());
    this.retirement = new Retirement(slot, settings.localSlots(), ctx, shard);
    this.runner = new CommandRunner(settings.commands(), slot, settings.localSlots().notifications(), ctx.getLog());
    this.groupCommit =
        new GroupCommit(
            slot,
            settings.maxBatch(),
            effects,
            () -> ctx.getSelf().tell(FlushBatch.INSTANCE),
            settings.journal(),
            memory,
            this::afterWrite,
            ownership,
            verdict -> retireWith(verdict.reply(), verdict),
            ctx.getLog());
    this.registration =
        new IndexRegistration(
            slot, settings.index(), ctx.messageAdapter(SlotIndex.Answer.class, Registered::new), effects);
    this.eviction = new Eviction(slot, memory, groupCommit, ownership, settings.localSlots().notifications());
    this.expiry =
        new Expiry(
            timers,
            ExpireTick.INSTANCE,
            settings.expireBatch(),
            settings.expireInterval(),
            effects,
            groupCommit,
            eviction,
            ownership,
            settings.localSlots().notifications(),
            settings.localSlots()::activeExpire);
    this.blockedClients = new BlockedClients(effects, runner, groupCommit, eviction);
    this.watches = new Watches(effects);
    this.tx =
        new TxParticipant(
            slot, effects, runner, groupCommit, registration, blockedClients, eviction, this::afterWrite,
            ownership);
    this.trim = new JournalTrim(id, ctx);
    this.directReads = new DirectReads(runner);
    this.handover = new Handover(slot);
    // A rehearsal's copy of a slot (another persistence id) applies nothing it did not replay.
    this.gate =
        new ShareGate(
            slot,
            id.equals(persistenceId(slot)) ? settings.pendingShares() : PendingShares.NONE,
            effects,
            ctx,
            timers,
            ReadSharesAgain.INSTANCE,
            groupCommit,
            registration,
            ownership,
            this::afterWrite);
    settings.localSlots().started(slot, epoch, ctx.getSelf(), directReads);
  }

  @Override
  public SlotState emptyState() {
    return new SlotState();
  }

  @Override
  public CommandHandlerWithReply<Command, SlotEvent, SlotState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Exec.class, this::onExec)
        .onCommand(ClientExec.class, this::onClientExec)
        .onCommand(Asked.class, this::onAsked)
        .onCommand(HandOver.class, (state, c) -> busy() ? Effect().stash() : onHandOver(state, c))
        .onCommand(KeysInSlot.class, (state, c) -> busy() ? Effect().stash() : onKeysInSlot(state, c))
        .onCommand(CountInSlot.class, (state, c) -> busy() ? Effect().stash() : onCountInSlot(state, c))
        .onCommand(GetStats.class, (state, c) -> busy() ? Effect().stash() : onStats(state, c))
        .onCommand(ListKeys.class, (state, c) -> busy() ? Effect().stash() : onListKeys(state, c))
        .onCommand(RandomKey.class, (state, c) -> busy() ? Effect().stash() : onRandomKey(state, c))
        .onCommand(ExpireTick.class, (state, t) -> expiry.run(state, busy()))
        .onCommand(FlushBatch.class, (state, f) -> groupCommit.flush())
        .onCommand(Registered.class, (state, r) -> onRegistered(state, r.answer()))
        .onCommand(SharesFound.class, (state, f) -> gate.found(state, f.ask(), f.shares(), f.failure()))
        .onCommand(
            ReadSharesAgain.class,
            (state, r) -> {
              gate.ask();
              return Effect().noReply();
            })
        // A share sent by its coordinator or an heir waits behind those found at recovery.
        .onCommand(TxLock.class, (state, c) -> gate.open() ? tx.lock(state, c) : Effect().stash())
        .onCommand(TxTryLock.class, (state, c) -> gate.open() ? tx.tryLock(state, c) : Effect().stash())
        .onCommand(TxExec.class, tx::exec)
        .onCommand(TxPrepare.class, tx::prepare)
        .onCommand(TxApply.class, (state, c) -> gate.open() ? tx.apply(state, c) : Effect().stash())
        .onCommand(TxAbort.class, tx::abort)
        .onCommand(TxLockAbandoned.class, tx::lockAbandoned)
        .onCommand(Watch.class, (state, c) -> gate.open() ? watches.watch(state, c) : Effect().stash())
        .onCommand(Unwatch.class, watches::unwatch)
        .onCommand(CheckWatch.class, (state, c) -> gate.open() ? watches.check(state, c) : Effect().stash())
        .onCommand(Block.class, this::onBlock)
        .onCommand(Handoff.class, this::onHandoff)
        .onCommand(Warm.class, this::onWarm)
        .onCommand(Stop.class, (state, c) -> onStop())
        .onCommand(Unblock.class, (state, c) -> blockedClients.unblock(c))
        .onCommand(
            SampleForEviction.class,
            (state, c) -> busy() ? Effect().stash() : eviction.sample(state, c))
        .onCommand(EvictKey.class, this::onEvictKey)
        .build();
  }

  /**
   * Whether a read may run directly against the state now ({@link DirectReads}): it holds only
   * acknowledged writes (nothing open or in flight, no transaction's tentative events) and no
   * message that reads must wait behind (a lock, a registration).
   */
  private boolean quiet() {
    return recovered && groupCommit.isDurable() && !busy();
  }

  /**
   * Locked by a transaction, waiting for the index, or not serving yet (pending shares to apply
   * first): nothing may read or change the slot.
   */
  private boolean busy() {
    return registration.registering() || tx.locked() || !gate.open();
  }

  private ReplyEffect<SlotEvent, SlotState> onExec(SlotState state, Exec cmd) {
    return exec(state, cmd.name(), cmd.db(), cmd.argv(), cmd.write(), cmd.replyTo(), 0, 0, null);
  }

  private ReplyEffect<SlotEvent, SlotState> onClientExec(SlotState state, ClientExec cmd) {
    if (!cmd.replyTo().path().address().hasLocalScope()) {
      // Sent from another node (through sharding): client ids are that node's, and tracking is
      // node-local, so it runs as a plain Exec.
      return exec(state, cmd.name(), cmd.db(), cmd.argv(), cmd.write(), cmd.replyTo(), 0, 0, null);
    }
    return exec(
        state, cmd.name(), cmd.db(), cmd.argv(), cmd.write(), cmd.replyTo(), 0, cmd.client(), cmd.tracked());
  }

  private ReplyEffect<SlotEvent, SlotState> onAsked(SlotState state, Asked cmd) {
    return exec(state, cmd.name(), cmd.db(), cmd.argv(), cmd.write(), cmd.replyTo(), cmd.migration(), 0, null);
  }

  /**
   * A command body, {@code asked} for migration {@code asked} (0: a plain request);
   * {@code client}: a tracking client's id (0: none), {@code tracked}: the keys its read saw.
   */
  private ReplyEffect<SlotEvent, SlotState> exec(
      SlotState state,
      String name,
      int db,
      byte[][] argv,
      boolean write,
      ActorRef<Reply> replyTo,
      long asked,
      long client,
      byte[][] tracked) {
    if (retiredAnswer != null) {
      return Effect().reply(replyTo, retiredAnswer);
    }
    if (tx.locked()) {
      return Effect().stash();
    }
    Verdict paused = settings.notServedHere().paused();
    if (paused != null) {
      return Effect().reply(replyTo, paused.reply());
    }
    Verdict elsewhere = settings.notServedHere().refusal(slot, epoch);
    if (elsewhere != null) {
      // Cluster mode: this node's table gives the slot to another node (a late request started
      // this incarnation after a move): it must neither answer nor write, and it retires.
      ctx.getLog().info("Slot {} is not served here any more: {}", slot, elsewhere.text());
      retireWith(elsewhere.reply(), elsewhere);
      return Effect().reply(replyTo, elsewhere.reply());
    }
    if (!gate.open()) {
      return Effect().stash();
    }
    long now = System.currentTimeMillis();
    Migration migration = settings.notServedHere().migration(slot);
    boolean forwarded = migration != null && asked == migration.id();
    if (migration != null) {
      // Migrating from here: ASK or TRYAGAIN unless this side (or, forwarded, the importer's
      // side) has the keys.
      Verdict redirect =
          forwarded
              ? handover.atTarget(state, migration, db, argv, now)
              : handover.atSource(state, migration, db, argv, now);
      if (redirect != null) {
        return Effect().reply(replyTo, redirect.reply());
      }
    }
    if (registration.registering() || (write && !registration.registered())) {
      // Everything waits behind the registration, reads too, so that a read pipelined after a
      // write on the same connection still sees that write.
      return registration.await();
    }
    CommandRunner.Outcome ran = runner.run(state, name, db, argv, write, now);
    List<SlotEvent> events = ran.events();
    List<Notifications.Notice> notices = ran.notices();
    if (!ran.expiredSeen().isEmpty() && ownership.check("a read's expiry") == null) {
      // Lazy expiry, as Redis deletes an expired key a read meets (and notifies "expired").
      events = new ArrayList<>(events);
      notices = runner.expire(state, ran.expiredSeen(), events, now);
    }
    if (forwarded && write) {
      // What a forwarded write leaves is on the importer's side, journaled with the write.
      SlotEvent.KeysHandedOver marks = handover.marksAfterWrite(state, migration, db, argv, now);
      if (marks != null) {
        state.apply(marks, now);
        events = new ArrayList<>(events);
        events.add(marks);
      }
    }
    if (!events.isEmpty()) {
      eviction.publishMemory(state);
    }
    Notifications n = runner.notifications();
    // Invalidations of this command's writes, then its read remembered: every write answered
    // before it has invalidated already, every later one will (docs/decisions/2026-12-07-client-tracking.md).
    Runnable remember = tracked == null ? null : () -> n.remember(client, tracked);
    Pending answer = Pending.of(replyTo, ran.reply()).after(Notifications.both(n.publishing(notices, client), remember));
    return blockedClients.answerServing(state, events, List.of(answer));
  }

  private ReplyEffect<SlotEvent, SlotState> onHandOver(SlotState state, HandOver c) {
    Migration migration = settings.notServedHere().migration(slot);
    if (settings.notServedHere().refusal(slot, epoch) != null
        || migration == null
        || migration.id() != c.migration()) {
      return Effect().reply(c.replyTo(), Reply.error("ERR slot " + slot + " is not migrating to that node any more"));
    }
    SlotEvent.KeysHandedOver marks =
        handover.handOver(state, migration, c.db(), c.keys(), System.currentTimeMillis());
    if (marks == null) {
      return groupCommit.answer(List.of(), c.replyTo(), NOKEY);
    }
    state.apply(marks, System.currentTimeMillis());
    return groupCommit.answer(List.of(marks), c.replyTo(), Reply.OK);
  }

  private static final Reply NOKEY = Reply.simple("NOKEY");

  private ReplyEffect<SlotEvent, SlotState> onKeysInSlot(SlotState state, KeysInSlot c) {
    Migration migration = settings.notServedHere().migration(slot);
    if (migration == null) {
      handover.reset();
    }
    return groupCommit.answer(
        List.of(),
        c.replyTo(),
        new KeyList(handover.keysInSlot(state, migration, c.db(), c.count(), System.currentTimeMillis())));
  }

  private ReplyEffect<SlotEvent, SlotState> onCountInSlot(SlotState state, CountInSlot c) {
    Migration migration = settings.notServedHere().migration(slot);
    return groupCommit.answer(
        List.of(), c.replyTo(), handover.countInSlot(state, migration, c.db(), System.currentTimeMillis()));
  }

  private ReplyEffect<SlotEvent, SlotState> onEvictKey(SlotState state, EvictKey c) {
    if (busy()) {
      return Effect().stash();
    }
    if (!registration.registered()) {
      return registration.await();
    }
    return eviction.evict(state, c);
  }

  private ReplyEffect<SlotEvent, SlotState> onWarm(SlotState state, Warm c) {
    boolean idle =
        gate.open() && state.isEmpty() && !tx.locked() && !registration.registering() && groupCommit.isEmpty()
            && blockedClients.isEmpty() && watches.isEmpty();
    if (idle) {
      retirement.begin();
    }
    return Effect().reply(c.replyTo(), Done.getInstance());
  }

  private ReplyEffect<SlotEvent, SlotState> onHandoff(SlotState state, Handoff c) {
    if (tx.locked() || registration.registering() || !gate.open()) {
      return Effect().stash();
    }
    Reply moved = Reply.error(c.redirect());
    blockedClients.redirectAll(moved);
    timers.cancelAll();
    // The new owner replays the journal up to the last batch: nothing may follow it, and a
    // request that still arrives goes where the blocked clients went.
    return groupCommit.flushLast(
        c.replyTo(), () -> retireWith(moved, Verdict.tryAgain(Retry.EPOCH_CHANGED, String.valueOf(slot))));
  }

  /**
   * From now on this incarnation answers requests {@code answer}, refuses every journal write
   * with {@code refusal}, and stops as soon as its shard lets it ({@link Retirement}).
   */
  private void retireWith(Reply answer, Verdict refusal) {
    if (retiredAnswer == null) {
      retiredAnswer = answer;
      ownership.retire(refusal);
    }
    retirement.begin();
  }

  private ReplyEffect<SlotEvent, SlotState> onBlock(SlotState state, Block c) {
    Verdict elsewhere = retiredAnswer == null ? settings.notServedHere().refusal(slot, epoch) : null;
    if (elsewhere != null) {
      // A block that raced a move into an incarnation started after the table switched.
      ctx.getLog().info("Slot {} is not served here any more: {}", slot, elsewhere.text());
      retireWith(elsewhere.reply(), elsewhere);
    }
    if (retiredAnswer != null) {
      // Nothing may wait here any more: the command runs again through the router.
      if (c.waiter().claim()) {
        c.waiter().complete(Waiter.RETRY);
      }
      return Effect().reply(c.replyTo(), true);
    }
    return busy() ? Effect().stash() : blockedClients.block(state, c);
  }

  private ReplyEffect<SlotEvent, SlotState> onStop() {
    if (!retirement.retiring()) {
      // The shard stops it on its own (its hand-off): a direct send may have followed this
      // message into the mailbox until the close; it is answered before the stop.
      retirement.closed();
      ctx.getSelf().tell(Stop.INSTANCE);
      return Effect().noReply();
    }
    if (busy()) {
      if (retiredAnswer == null) {
        // A transaction's lock, a registration or pending shares end soon; the stash empties then.
        timers.startSingleTimer(Stop.INSTANCE, Retirement.RETRY);
        return Effect().noReply();
      }
      if (!drained) {
        // Retired while locked or gated: that may never end here (the lock's transaction is the
        // new owner's to finish). The requests waiting in the stash get the retired answer now;
        // what waits again after that (keyspace-wide reads) goes with the incarnation.
        drained = true;
        ctx.getSelf().tell(Stop.INSTANCE);
        return asReply(Effect().unstashAll());
      }
    }
    timers.cancelAll();
    blockedClients.retryAll();
    return groupCommit.flushAndStop();
  }

  private ReplyEffect<SlotEvent, SlotState> onRegistered(SlotState state, SlotIndex.Answer answer) {
    if (!registration.answered(answer)) {
      return Effect().noReply();
    }
    // Pending shares found at recovery waited for the registration; what is stashed waits for them.
    return gate.waiting() ? gate.apply(state) : asReply(Effect().unstashAll());
  }

  /** After a persisted write: keep the index and the expiry timer in step with the state. */
  private void afterWrite(SlotState state) {
    eviction.publishMemory(state);
    registration.unregisterIfEmpty(state);
    expiry.schedule(state);
  }

  /**
   * A journal write of this slot failed; Pekko restarts the slot after this (with
   * {@link #JOURNAL_BACKOFF}), and its recovery reads what the journal really holds. The waiting
   * replies get their errors, and this instance forgets what the lost state implied (it outlives
   * the restart).
   */
  private void journalFailed(Throwable failure, boolean rejected) {
    // What the state holds is unknown until recovery has read the journal again.
    directReads.serve(null);
    groupCommit.journalFailed(failure, rejected);
    tx.journalFailed();
    watches.journalFailed();
    expiry.cancel();
    trim.restart();
  }

  private ReplyEffect<SlotEvent, SlotState> onStats(SlotState state, GetStats cmd) {
    return groupCommit.answer(List.of(), cmd.replyTo(), SlotReads.stats(state));
  }

  private ReplyEffect<SlotEvent, SlotState> onListKeys(SlotState state, ListKeys cmd) {
    return groupCommit.answer(
        List.of(), cmd.replyTo(), SlotReads.listKeys(state, cmd.db(), cmd.pattern(), cmd.type()));
  }

  private ReplyEffect<SlotEvent, SlotState> onRandomKey(SlotState state, RandomKey cmd) {
    return groupCommit.answer(List.of(), cmd.replyTo(), SlotReads.randomKey(state, cmd.db()));
  }

  @Override
  public EventHandler<SlotState, SlotEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(
            (state, event) -> {
              if (!recovered) {
                settings.localSlots().replayed();
              }
              if (!groupCommit.skipApply()) {
                // Not applied yet: a replayed event (those a command emitted were applied then).
                state.apply(event, System.currentTimeMillis());
              }
              // Replayed events are counted too: they are the ones after the recovered snapshot.
              trim.journaled(EventBytes.of(event));
              return state;
            });
  }

  @Override
  public SignalHandler<SlotState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              recovered = true;
              directReads.serve(state);
              settings.localSlots().recovered();
              settings.journal().recovered(slot);
              watches.recovered(state); // a new state after a restart
              lastSnapshotAt = lastSequenceNumber(ctx);
              eviction.publishMemory(state);
              sizeSnapshotInterval(state);
              expiry.schedule(state);
              if (!state.isEmpty()) {
                // The index may not know this slot (it came from another node, or from a
                // standalone journal): keyspace-wide commands must find it.
                registration.register(0);
              }
              gate.recovered();
            })
        .onSignal(JournalPersistFailed.class, (state, f) -> journalFailed(f.getFailure(), false))
        .onSignal(JournalPersistRejected.class, (state, f) -> journalFailed(f.getFailure(), true))
        .onSignal(
            RecoveryFailed.class,
            (state, f) -> {
              ctx.getLog().warn("Recovery of slot {} failed, retrying: {}", slot, String.valueOf(f.getFailure()));
              settings.journal().recoveryFailed(slot);
              trim.restart();
            })
        .onSignal(SnapshotCompleted.class, (state, s) -> trim.snapshotSaved(s.metadata()))
        .onSignal(
            SnapshotFailed.class,
            (state, s) ->
                ctx.getLog().warn("Snapshot of slot {} failed: {}", slot, String.valueOf(s.getFailure())))
        .onSignal(DeleteEventsCompleted.class, (state, d) -> trim.eventsDeleted(d.toSequenceNr()))
        .onSignal(DeleteEventsFailed.class, (state, d) -> trim.deleteFailed("events", d.getFailure()))
        .onSignal(
            DeleteSnapshotsFailed.class, (state, d) -> trim.deleteFailed("snapshots", d.getFailure()))
        // Handled, so that Pekko does not report the answer as an unhandled message.
        .onSignal(DeleteSnapshotsCompleted.class, (state, d) -> {})
        .onSignal(
            PostStop.instance(),
            state -> {
              directReads.serve(null); // a reader that still holds this incarnation declines
              settings.localSlots().stopped(slot, ctx.getSelf());
            })
        .build();
  }

  /**
   * A slot snapshots when the events it journaled since its last snapshot outweigh its state
   * (by {@link EventBytes}' estimate against the state's maxmemory estimate, with a floor: the
   * slot's share of {@code keyshard.journal.events-budget}, at least {@code snapshot-min-bytes}),
   * so its journal holds about a snapshot plus as
   * many bytes of events whatever the key distribution, and a snapshot costs O(1) amortized per
   * journaled byte (docs/decisions/2026-12-06-bounded-journal.md). It also snapshots after
   * {@code max(snapshot-every, elements / 8)} events (the earlier rule, docs/decisions/
   * 2026-11-22-events-snapshots-and-formats.md), which bounds how many events a recovery replays
   * when they are tiny. Once the snapshot is saved, {@link JournalTrim} deletes what it covers.
   */
  @Override
  public boolean shouldSnapshot(SlotState state, SlotEvent event, long sequenceNr) {
    long floor = trim.retention().slotFloor(settings.localSlots().memory().slotsWithData());
    if (sequenceNr - lastSnapshotAt < snapshotInterval && !trim.outweighs(state.usedBytes(), floor)) {
      return false;
    }
    lastSnapshotAt = sequenceNr;
    trim.snapshotting();
    return true;
  }

  /** Sequence number of the event after which this slot last snapshotted. */
  private long lastSnapshotAt;

  private long snapshotInterval;

  private void sizeSnapshotInterval(SlotState state) {
    snapshotInterval = Math.max(settings.snapshotEvery(), state.elementCount() / 8);
  }

  @Override
  public SnapshotAdapter<SlotState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(SlotState state) {
        sizeSnapshotInterval(state);
        // Marks of a migration that ended are void for good (its id never comes back): they
        // need not outlive this snapshot.
        Migration migration = settings.notServedHere().migration(slot);
        state.handovers().keepOnly(migration == null ? 0 : migration.id());
        return state.toSnapshot();
      }

      @Override
      public SlotState fromJournal(Object from) {
        trim.restart(); // recovery counts the events after this snapshot
        if (from instanceof DormantSlots.LoadedSlot loaded) {
          // Read at start by the node's preload: the state after the stored snapshot and the
          // events after it, which that read counted as this recovery would have.
          trim.journaled(loaded.bytesSinceSnapshot());
          return loaded.state();
        }
        return SlotState.fromSnapshot((SlotSnapshot) from, System.currentTimeMillis());
      }
    };
  }
}
