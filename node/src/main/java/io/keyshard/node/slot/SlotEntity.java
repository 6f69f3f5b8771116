package io.keyshard.node.slot;

import io.keyshard.node.CborSerializable;
import io.keyshard.node.route.Verdict;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotSnapshot;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.TxEvent;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Glob;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.persistence.typed.SnapshotAdapter;

/**
 * One hash slot: its keys in all 16 databases, as an event-sourced actor under Cluster Sharding.
 *
 * <p>A command body ({@link SlotCommand}) runs against the live state and emits events, which
 * are applied at once (so the body sees its own effects) and then persisted; the reply goes out
 * only after the journal has them. Writes that arrive together are persisted together (group
 * commit, as Redis fsyncs once per event-loop turn), and while a batch is open or in flight
 * every reply waits for it, reads included, so nobody observes a write before it is durable. If
 * a persist fails the actor stops, dropping the unpersisted state; the next message recovers it
 * from the journal.
 *
 * <p>The slot keeps the node's {@link SlotIndex} exact enough: it registers (durably) before its
 * first write and unregisters after a write that left it empty. Active expiry runs on a timer
 * aimed at the earliest expiry, at most ten times a second, and persists what it removes.
 */
public final class SlotEntity
    extends EventSourcedBehaviorWithEnforcedReplies<SlotEntity.Command, SlotEvent, SlotState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "slot");

  public sealed interface Command extends CborSerializable {}

  /** Runs a command body; {@code name} is the table's lowercase name, {@code write} its flag. */
  public record Exec(String name, int db, byte[][] argv, boolean write, ActorRef<Reply> replyTo)
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


  // ---- Atomic multi-slot transactions (docs/decisions/2026-11-22-atomic-multi-slot-writes.md) ----

  /** Locks the slot for a transaction: until it applies or aborts, everything else waits. */
  public record TxLock(long txId, ActorRef<Done> replyTo) implements Command {}

  /** Runs a command body of the locking transaction tentatively: applied, not persisted. */
  public record TxExec(
      long txId, String name, int db, byte[][] argv, boolean write, ActorRef<Reply> replyTo)
      implements Command {}

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
   * already applied (recovery after a crash) is acknowledged without applying it again.
   */
  public record TxApply(
      long txId, long completedBelow, List<TxEvent.Nested> events, ActorRef<Done> replyTo)
      implements Command {}

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
      implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** The waiter ended (served elsewhere, timed out, closed): forget it. */
  public record Unblock(Waiter waiter)
      implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

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
      JournalHealth journal) {

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
  }

  public static PersistenceId persistenceId(int slot) {
    return PersistenceId.ofUniqueId("slot-" + slot);
  }

  public static Behavior<Command> create(int slot, Settings settings) {
    return create(slot, 0, settings);
  }

  /** Cluster mode: the incarnation of the slot given to this node at {@code epoch}. */
  public static Behavior<Command> create(int slot, long epoch, Settings settings) {
    return create(slot, epoch, settings, persistenceId(slot));
  }

  /**
   * A slot entity journaled under another persistence id: a replica's takeover rehearsal
   * ({@code cluster/Rehearsal}), which must never touch a real slot's journal.
   */
  public static Behavior<Command> create(int slot, long epoch, Settings settings, PersistenceId id) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new SlotEntity(slot, epoch, settings, ctx, timers, id)));
  }

  private static final KeyshardSerializer FORMAT = new KeyshardSerializer();

  /** Restart delays after a journal failure (also used by the index and the transaction log). */
  public static final org.apache.pekko.actor.typed.BackoffSupervisorStrategy JOURNAL_BACKOFF =
      org.apache.pekko.actor.typed.SupervisorStrategy.restartWithBackoff(
          Duration.ofMillis(200), Duration.ofSeconds(2), 0.2);
  private static final long MAX_EXPIRE_TIMER_MS = 3_600_000;

  private final int slot;
  /** The slot epoch this incarnation acts for (cluster mode; 0 standalone). */
  private final long epoch;
  private final Settings settings;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<SlotIndex.Answer> registeredAdapter;

  /** Events applied by a command body and not yet passed through the event handler. */
  private int preApplied;

  /** Whether recovery is over (events seen before are replayed ones, counted for INFO). */
  private boolean recovered;

  /** Whether this incarnation has seen its slot's registration in the index acknowledged. */
  private boolean registered;

  private boolean registering;

  /** Numbers registration requests, so a late answer to an old one is recognised. */
  private long regSeq;

  /** The transaction whose registration request is out, and the one that was denied. */
  private long txRegistering;
  private long deniedTx;

  /**
   * Group commit: events emitted since the last persist, and the replies that must wait for
   * them. Replies to reads wait too while a batch is open, so nobody sees a write before it is
   * durable. A {@link FlushBatch} sent to self persists the batch after the mailbox's current
   * contents have joined it.
   */
  private final List<SlotEvent> batchEvents = new ArrayList<>();
  private final List<Pending> batchReplies = new ArrayList<>();

  /** The replies waiting for the journal write in flight (answered with an error if it fails). */
  private List<Pending> persisting = List.of();

  /** A reply that waits for the journal: sent once the events are in, or replaced by an error. */
  private record Pending(Runnable ok, java.util.function.Consumer<Reply> failed) {
    static Pending of(ActorRef<Reply> replyTo, Reply reply) {
      return new Pending(() -> replyTo.tell(reply), replyTo::tell);
    }

    /** A reply that is not a client's (Done, Boolean...): its asker times out instead. */
    static Pending internal(Runnable ok) {
      return new Pending(ok, error -> {});
    }
  }
  private boolean flushScheduled;

  /** The transaction holding this slot's lock, or 0. */
  private long lockedBy;

  /** Events the locking transaction applied tentatively. */
  private final List<SlotEvent> txEvents = new ArrayList<>();

  /** Transactions that gave up on this slot's lock while their TxLock was still waiting. */
  private final java.util.Set<Long> abandonedLocks = new java.util.HashSet<>();

  /** WATCH: watchers by key, keys by watcher, and watchers whose keys changed. */
  private final Map<WatchedKey, java.util.Set<Long>> watchers = new java.util.HashMap<>();
  private final Map<Long, List<WatchedKey>> watchedBy = new java.util.HashMap<>();
  private final java.util.Set<Long> dirtyWatchers = new java.util.HashSet<>();

  private record WatchedKey(int db, Bytes key) {}

  /**
   * WATCHes of keys that were already expired, though still stored, when watched. As in Redis,
   * such a key going away is no change and its passed time does not fail EXEC; writing it is a
   * change. Its first touch may be the removal or an overwrite, which the state afterwards tells:
   * the watch then moves to {@code staleTouched}, a second touch makes it dirty, and CheckWatch
   * calls it dirty if the key is there again.
   */
  private record StaleWatch(long watcherId, WatchedKey key) {}

  private final java.util.Set<StaleWatch> staleWatches = new java.util.HashSet<>();
  private final java.util.Set<StaleWatch> staleTouched = new java.util.HashSet<>();

  private long expireTimerAt;
  private long lastExpireRun;

  private SlotEntity(
      int slot,
      long epoch,
      Settings settings,
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      PersistenceId id) {
    // A failed journal write restarts the slot, which recovers from the journal what it really
    // holds; while the journal stays down, recovery is retried with these delays.
    super(id, JOURNAL_BACKOFF);
    this.slot = slot;
    this.epoch = epoch;
    this.settings = settings;
    this.ctx = ctx;
    this.timers = timers;
    this.registeredAdapter = ctx.messageAdapter(SlotIndex.Answer.class, Registered::new);
    settings.localSlots().started(slot, epoch, ctx.getSelf());
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
        .onCommand(GetStats.class, this::onStats)
        .onCommand(ListKeys.class, this::onListKeys)
        .onCommand(RandomKey.class, this::onRandomKey)
        .onCommand(ExpireTick.class, (state, t) -> onExpireTick(state))
        .onCommand(FlushBatch.class, (state, f) -> flushBatch())
        .onCommand(Registered.class, (state, r) -> onRegistered(r.answer()))
        .onCommand(TxLock.class, this::onTxLock)
        .onCommand(TxExec.class, this::onTxExec)
        .onCommand(TxPrepare.class, this::onTxPrepare)
        .onCommand(TxApply.class, this::onTxApply)
        .onCommand(TxAbort.class, this::onTxAbort)
        .onCommand(TxLockAbandoned.class, this::onTxLockAbandoned)
        .onCommand(Watch.class, this::onWatch)
        .onCommand(Unwatch.class, this::onUnwatch)
        .onCommand(CheckWatch.class, this::onCheckWatch)
        .onCommand(Block.class, this::onBlock)
        .onCommand(Handoff.class, this::onHandoff)
        .onCommand(Warm.class, this::onWarm)
        .onCommand(Unblock.class, this::onUnblock)
        .onCommand(SampleForEviction.class, this::onSampleForEviction)
        .onCommand(EvictKey.class, this::onEvictKey)
        .build();
  }

  private ReplyEffect<SlotEvent, SlotState> onExec(SlotState state, Exec cmd) {
    if (lockedBy != 0) {
      return Effect().stash();
    }
    Verdict paused = settings.notServedHere().paused();
    if (paused != null) {
      return Effect().reply(cmd.replyTo(), paused.reply());
    }
    Verdict elsewhere = settings.notServedHere().refusal(slot, epoch);
    if (elsewhere != null) {
      // Cluster mode: this node's table gives the slot to another node (a late request started
      // this incarnation after a move): it must neither answer nor write.
      ctx.getLog().info("Slot {} is not served here any more: {}", slot, elsewhere.text());
      cmd.replyTo().tell(elsewhere.reply());
      return batchEvents.isEmpty() ? Effect().stop().thenNoReply() : Effect().noReply();
    }
    if (registering || (cmd.write() && !registered)) {
      // Everything waits behind the registration, reads too, so that a read pipelined after a
      // write on the same connection still sees that write.
      return awaitRegistration();
    }
    SlotCommand body = settings.commands().get(cmd.name());
    if (body == null) {
      return Effect().reply(cmd.replyTo(), Err.err("unknown command '" + cmd.name() + "'"));
    }
    long now = System.currentTimeMillis();
    SlotContext c = new SlotContext(state, cmd.db(), cmd.argv(), now, cmd.write());
    Reply reply;
    try {
      reply = body.run(c);
    } catch (RedisException e) {
      reply = e.reply();
    } catch (RuntimeException e) {
      // A bug in a body must not take the slot down; what it emitted so far is still consistent.
      ctx.getLog().error("Command {} failed in slot {}", cmd.name(), slot, e);
      reply = Err.err("internal error: " + e.getClass().getSimpleName());
    }
    if (!c.events().isEmpty()) {
      publishMemory(state);
    }
    if (waiting.isEmpty() || c.events().isEmpty()) {
      return answer(c.events(), cmd.replyTo(), reply);
    }
    // Clients blocked on keys this write made ready are served now, before anything else runs
    // here, and their pops join the same batch, after the write.
    List<SlotEvent> events = new ArrayList<>(c.events());
    List<Pending> replies = new ArrayList<>();
    replies.add(Pending.of(cmd.replyTo(), reply));
    serveBlocked(state, c.events(), events, replies);
    return answerAll(events, replies);
  }

  /** Like {@link #answer}, for several replies that all wait for the same events. */
  private ReplyEffect<SlotEvent, SlotState> answerAll(
      List<SlotEvent> events, List<Pending> replies) {
    if (events.isEmpty() && batchEvents.isEmpty()) {
      replies.forEach(p -> p.ok().run());
      return Effect().noReply();
    }
    batchEvents.addAll(events);
    batchReplies.addAll(replies);
    if (batchEvents.size() >= settings.maxBatch()) {
      return flushBatch();
    }
    if (!flushScheduled) {
      flushScheduled = true;
      ctx.getSelf().tell(FlushBatch.INSTANCE);
    }
    return Effect().noReply();
  }

  /**
   * Replies at once when nothing is waiting to be persisted; otherwise joins the open batch and
   * replies once the batch is in the journal.
   */
  private <T> ReplyEffect<SlotEvent, SlotState> answer(
      List<SlotEvent> events, ActorRef<T> replyTo, T reply) {
    if (events.isEmpty() && batchEvents.isEmpty()) {
      return Effect().reply(replyTo, reply);
    }
    batchEvents.addAll(events);
    batchReplies.add(pending(replyTo, reply));
    if (batchEvents.size() >= settings.maxBatch()) {
      return flushBatch();
    }
    if (!flushScheduled) {
      flushScheduled = true;
      ctx.getSelf().tell(FlushBatch.INSTANCE);
    }
    return Effect().noReply();
  }

  @SuppressWarnings("unchecked")
  private static <T> Pending pending(ActorRef<T> replyTo, T reply) {
    return reply instanceof Reply r
        ? Pending.of((ActorRef<Reply>) (ActorRef<?>) replyTo, r)
        : Pending.internal(() -> replyTo.tell(reply));
  }

  private ReplyEffect<SlotEvent, SlotState> flushBatch() {
    flushScheduled = false;
    if (batchEvents.isEmpty()) {
      return Effect().noReply();
    }
    List<SlotEvent> events = List.copyOf(batchEvents);
    List<Pending> replies = List.copyOf(batchReplies);
    batchEvents.clear();
    batchReplies.clear();
    preApplied += events.size();
    persisting = replies;
    countExpired(events);
    // Unstash afterwards: a transaction's lock may be waiting for this batch.
    return asReply(
        Effect()
            .persist(events)
            .thenRun(
                s -> {
                  persisting = List.of();
                  settings.journal().writeSucceeded();
                  replies.forEach(p -> p.ok().run());
                  afterWrite(s);
                })
            .thenUnstashAll());
  }

  /**
   * A journal write of this slot failed; Pekko restarts the slot after this (with
   * {@link #JOURNAL_BACKOFF}), and its recovery reads what the journal really holds. Until then
   * nothing applied in memory may be seen: every waiting reply gets an error now, MAYBE_APPLIED
   * for the write that was tried, NOT_APPLIED for what had not been sent yet, and this instance
   * forgets what the lost state implied (it outlives the restart).
   */
  private void journalFailed(Throwable failure, boolean rejected) {
    boolean nothingWritten = rejected || JournalHealth.certainlyNotWritten(failure);
    ctx.getLog()
        .warn("Journal write of slot {} failed ({}): {}", slot,
            nothingWritten ? "not written" : "outcome unknown", String.valueOf(failure));
    settings.journal().writeFailed(slot);
    Reply tried = nothingWritten ? JournalHealth.NOT_APPLIED : JournalHealth.MAYBE_APPLIED;
    persisting.forEach(p -> p.failed().accept(tried));
    persisting = List.of();
    batchReplies.forEach(p -> p.failed().accept(JournalHealth.NOT_APPLIED));
    batchReplies.clear();
    batchEvents.clear();
    flushScheduled = false;
    preApplied = 0;
    // A transaction's tentative events were in the lost state: it finds the lock gone.
    lockedBy = 0;
    txEvents.clear();
    // The watched keys may have changed in ways the recovered state does not show.
    dirtyWatchers.addAll(watchedBy.keySet());
    staleWatches.clear();
    staleTouched.clear();
    timers.cancel(ExpireTick.INSTANCE);
    expireTimerAt = 0;
  }

  /** The javadsl offers no unstash that is also a ReplyEffect; Pekko's effects implement both. */
  @SuppressWarnings("unchecked")
  private static ReplyEffect<SlotEvent, SlotState> asReply(
      org.apache.pekko.persistence.typed.javadsl.Effect<SlotEvent, SlotState> effect) {
    return (ReplyEffect<SlotEvent, SlotState>) effect;
  }

  private boolean blocked() {
    return registering || lockedBy != 0;
  }

  private ReplyEffect<SlotEvent, SlotState> onTxLock(SlotState state, TxLock c) {
    if (abandonedLocks.remove(c.txId())) {
      // Its transaction has given up and will never unlock: nobody waits for this reply.
      return Effect().reply(c.replyTo(), Done.getInstance());
    }
    if (lockedBy == c.txId()) {
      return Effect().reply(c.replyTo(), Done.getInstance());
    }
    if (lockedBy != 0) {
      return Effect().stash();
    }
    // A slot waiting for a plain write's registration may be locked: that write stays stashed
    // and runs after the transaction, and the registration may be waiting on the transaction.
    if (!batchEvents.isEmpty()) {
      // Let the open batch reach the journal first; the lock is unstashed after it.
      if (!flushScheduled) {
        flushScheduled = true;
        ctx.getSelf().tell(FlushBatch.INSTANCE);
      }
      return Effect().stash();
    }
    lockedBy = c.txId();
    txEvents.clear();
    state.beginUndo();
    return Effect().reply(c.replyTo(), Done.getInstance());
  }

  private ReplyEffect<SlotEvent, SlotState> onTxExec(SlotState state, TxExec c) {
    if (lockedBy != c.txId()) {
      return Effect().reply(c.replyTo(), Err.err("transaction " + c.txId() + " does not hold slot " + slot));
    }
    SlotCommand body = settings.commands().get(c.name());
    if (body == null) {
      return Effect().reply(c.replyTo(), Err.err("unknown command '" + c.name() + "'"));
    }
    SlotContext sc = new SlotContext(state, c.db(), c.argv(), System.currentTimeMillis(), c.write());
    Reply reply;
    try {
      reply = body.run(sc);
    } catch (RedisException e) {
      reply = e.reply();
    } catch (RuntimeException e) {
      ctx.getLog().error("Command {} failed in slot {}", c.name(), slot, e);
      reply = Err.err("internal error: " + e.getClass().getSimpleName());
    }
    txEvents.addAll(sc.events());
    if (!sc.events().isEmpty()) {
      publishMemory(state);
    }
    return Effect().reply(c.replyTo(), reply);
  }

  private ReplyEffect<SlotEvent, SlotState> onTxPrepare(SlotState state, TxPrepare c) {
    if (lockedBy == c.txId() && !txEvents.isEmpty() && !registered) {
      // Register before the commit point, so a refusal can still undo the transaction.
      if (deniedTx == c.txId()) {
        return Effect().reply(c.replyTo(), new TxShare(slot, List.of(), true));
      }
      if (txRegistering != c.txId()) {
        txRegistering = c.txId();
        sendRegister(c.txId());
      }
      return Effect().stash();
    }
    List<TxEvent.Nested> nested = new ArrayList<>(txEvents.size());
    if (lockedBy == c.txId()) {
      for (SlotEvent e : txEvents) {
        nested.add(FORMAT.nest(e));
      }
    }
    return Effect().reply(c.replyTo(), new TxShare(slot, nested, false));
  }

  private ReplyEffect<SlotEvent, SlotState> onTxApply(SlotState state, TxApply c) {
    if (lockedBy == c.txId()) {
      // Registered at prepare (only if it writes here: a read-only visit, an MGET of a missing
      // key, must not leave an empty slot in the index).
      state.commitUndo();
      txEvents.clear();
      lockedBy = 0;
      if (c.events().isEmpty()) {
        return asReply(Effect().reply(c.replyTo(), Done.getInstance()).thenUnstashAll());
      }
      // The events are already in the state; only the bookkeeping is left to apply.
      state.markTxApplied(c.txId(), c.completedBelow());
      List<SlotEvent> events = new ArrayList<>();
      events.add(new SlotEvent.TxApplied(c.txId(), c.completedBelow(), c.events()));
      List<Pending> served = new ArrayList<>();
      if (!waiting.isEmpty()) {
        // A push inside MULTI/EXEC, or the destination half of an LMOVE, wakes blocked clients.
        serveBlocked(state, unnested(c.events()), events, served);
      }
      preApplied += events.size();
      return asReply(
          Effect()
              .persist(events)
              .thenRun(
                  s -> {
                    afterWrite(s);
                    c.replyTo().tell(Done.getInstance());
                    served.forEach(p -> p.ok().run());
                  })
              .thenUnstashAll());
    }
    if (state.hasAppliedTx(c.txId()) || c.events().isEmpty()) {
      return Effect().reply(c.replyTo(), Done.getInstance());
    }
    if (blocked()) {
      return Effect().stash();
    }
    if (!registered) {
      return awaitRegistration();
    }
    // Roll-forward after a crash: the share was never applied here. Nobody can be blocked on
    // its keys yet (recovery runs before the port opens).
    return Effect()
        .persist(new SlotEvent.TxApplied(c.txId(), c.completedBelow(), c.events()))
        .thenRun(this::afterWrite)
        .thenReply(c.replyTo(), s -> Done.getInstance());
  }

  private ReplyEffect<SlotEvent, SlotState> onTxAbort(SlotState state, TxAbort c) {
    if (lockedBy != c.txId()) {
      return Effect().reply(c.replyTo(), Done.getInstance());
    }
    state.rollback(System.currentTimeMillis());
    txEvents.clear();
    lockedBy = 0;
    publishMemory(state);
    return asReply(Effect().reply(c.replyTo(), Done.getInstance()).thenUnstashAll());
  }

  private ReplyEffect<SlotEvent, SlotState> onTxLockAbandoned(SlotState state, TxLockAbandoned c) {
    if (lockedBy == c.txId()) {
      // Granted after the transaction stopped waiting: it never ran anything here.
      state.rollback(System.currentTimeMillis());
      txEvents.clear();
      lockedBy = 0;
      publishMemory(state);
      return asReply(Effect().unstashAll());
    }
    abandonedLocks.add(c.txId());
    return Effect().noReply();
  }

  private ReplyEffect<SlotEvent, SlotState> onWatch(SlotState state, Watch c) {
    List<WatchedKey> keys = watchedBy.computeIfAbsent(c.watcherId(), w -> new ArrayList<>());
    long now = System.currentTimeMillis();
    Keyspace ks = state.db(c.db());
    for (byte[] k : c.keys()) {
      WatchedKey wk = new WatchedKey(c.db(), Bytes.wrap(k));
      if (!watchers.computeIfAbsent(wk, x -> new java.util.HashSet<>()).add(c.watcherId())) {
        continue; // already watched by this connection: Redis keeps the first WATCH
      }
      keys.add(wk);
      Keyspace.Entry e = ks == null ? null : ks.get(wk.key());
      if (e != null && e.isExpired(now)) {
        staleWatches.add(new StaleWatch(c.watcherId(), wk));
      }
    }
    state.setTouchListener(this::touched);
    return Effect().reply(c.replyTo(), Done.getInstance());
  }

  private ReplyEffect<SlotEvent, SlotState> onUnwatch(SlotState state, Unwatch c) {
    List<WatchedKey> keys = watchedBy.remove(c.watcherId());
    if (keys != null) {
      for (WatchedKey wk : keys) {
        java.util.Set<Long> set = watchers.get(wk);
        if (set != null) {
          set.remove(c.watcherId());
          if (set.isEmpty()) {
            watchers.remove(wk);
          }
        }
      }
    }
    dirtyWatchers.remove(c.watcherId());
    staleWatches.removeIf(w -> w.watcherId() == c.watcherId());
    staleTouched.removeIf(w -> w.watcherId() == c.watcherId());
    if (watchers.isEmpty()) {
      state.setTouchListener(null);
    }
    return Effect().noReply();
  }

  private ReplyEffect<SlotEvent, SlotState> onCheckWatch(SlotState state, CheckWatch c) {
    boolean clean = !dirtyWatchers.contains(c.watcherId());
    if (clean) {
      // A watched key whose time passed since WATCH counts as changed, as in Redis 7.
      long now = System.currentTimeMillis();
      for (WatchedKey wk : watchedBy.getOrDefault(c.watcherId(), List.of())) {
        StaleWatch stale = new StaleWatch(c.watcherId(), wk);
        Keyspace ks = state.db(wk.db());
        Keyspace.Entry e = ks == null ? null : ks.get(wk.key());
        if (staleWatches.contains(stale)) {
          continue; // expired before WATCH and untouched since
        }
        if (staleTouched.contains(stale) ? e != null : e != null && e.isExpired(now)) {
          // For a stale key: touched once and there again, so it was overwritten, not removed.
          clean = false;
        }
      }
    }
    return Effect().reply(c.replyTo(), clean);
  }

  private void touched(int db, Bytes key) {
    WatchedKey wk = new WatchedKey(db, key);
    java.util.Set<Long> set = watchers.get(wk);
    if (set == null) {
      return;
    }
    for (long watcher : set) {
      StaleWatch stale = new StaleWatch(watcher, wk);
      if (staleWatches.remove(stale)) {
        // Removal or overwrite of a key stale at WATCH: CheckWatch or a second touch decides.
        staleTouched.add(stale);
      } else {
        staleTouched.remove(stale);
        dirtyWatchers.add(watcher);
      }
    }
  }

  private List<SlotEvent> unnested(List<TxEvent.Nested> events) {
    List<SlotEvent> out = new ArrayList<>(events.size());
    for (TxEvent.Nested n : events) {
      out.add(FORMAT.unnest(n));
    }
    return out;
  }

  /** Blocked clients by the key they wait for, first come first served. */
  private final Map<WatchedKey, java.util.ArrayDeque<Waiter>> waiting = new java.util.HashMap<>();

  private ReplyEffect<SlotEvent, SlotState> onBlock(SlotState state, Block c) {
    if (lockedBy != 0 || registering) {
      return Effect().stash();
    }
    Waiter w = c.waiter();
    if (w.isDone()) {
      return Effect().reply(c.replyTo(), true);
    }
    long now = System.currentTimeMillis();
    boolean anyReady = false;
    for (byte[] key : c.keys()) {
      anyReady |= ready(state, w, w.db(), Bytes.wrap(key), now);
    }
    if (anyReady && w.claim()) {
      if (w.retry()) {
        w.complete(Waiter.RETRY);
        return Effect().reply(c.replyTo(), true);
      }
      // Data came between the router's first try and this: serve it as that try would have.
      SlotContext sc = new SlotContext(state, w.db(), w.argvFor(c.keys()), now, true);
      Reply reply = runBody(w.name(), sc);
      if (!Waiter.isNothing(reply)) {
        List<SlotEvent> events = new ArrayList<>(sc.events());
        publishMemory(state);
        List<Pending> replies = new ArrayList<>();
        replies.add(new Pending(() -> w.complete(reply), w::complete));
        replies.add(Pending.internal(() -> c.replyTo().tell(true)));
        serveBlocked(state, sc.events(), events, replies);
        return answerAll(events, replies);
      }
      w.release();
      if (w.isDone()) {
        return Effect().reply(c.replyTo(), true);
      }
    }
    for (byte[] key : c.keys()) {
      waiting.computeIfAbsent(new WatchedKey(w.db(), Bytes.wrap(key)), k -> new java.util.ArrayDeque<>()).add(w);
    }
    return Effect().reply(c.replyTo(), false);
  }

  private ReplyEffect<SlotEvent, SlotState> onWarm(SlotState state, Warm c) {
    boolean idle =
        state.isEmpty() && lockedBy == 0 && !registering && batchEvents.isEmpty()
            && waiting.isEmpty() && watchers.isEmpty();
    if (idle) {
      return Effect().stop().thenReply(c.replyTo(), s -> Done.getInstance());
    }
    return Effect().reply(c.replyTo(), Done.getInstance());
  }

  private ReplyEffect<SlotEvent, SlotState> onHandoff(SlotState state, Handoff c) {
    if (lockedBy != 0 || registering) {
      return Effect().stash();
    }
    Reply moved = Reply.error(c.redirect());
    for (java.util.ArrayDeque<Waiter> queue : waiting.values()) {
      for (Waiter w : queue) {
        if (w.claim()) {
          w.complete(moved);
        }
      }
    }
    waiting.clear();
    timers.cancelAll();
    if (batchEvents.isEmpty()) {
      return Effect().stop().thenReply(c.replyTo(), s -> Done.getInstance());
    }
    List<SlotEvent> events = List.copyOf(batchEvents);
    List<Pending> replies = List.copyOf(batchReplies);
    batchEvents.clear();
    batchReplies.clear();
    preApplied += events.size();
    persisting = replies;
    countExpired(events);
    return Effect()
        .persist(events)
        .thenRun(s -> replies.forEach(p -> p.ok().run()))
        .thenStop()
        .thenReply(c.replyTo(), s -> Done.getInstance());
  }

  private ReplyEffect<SlotEvent, SlotState> onUnblock(SlotState state, Unblock c) {
    waiting.values().removeIf(q -> q.removeIf(w -> w == c.waiter()) && q.isEmpty());
    return Effect().noReply();
  }

  /** Whether the key holds data of the type the waiter pops. */
  private static boolean ready(SlotState state, Waiter w, int db, Bytes key, long now) {
    Keyspace ks = state.db(db);
    Keyspace.Entry e = ks == null ? null : ks.get(key);
    return e != null && !e.isExpired(now) && e.value.typeName().equals(w.wants());
  }

  private Reply runBody(String name, SlotContext sc) {
    SlotCommand body = settings.commands().get(name);
    if (body == null) {
      return Err.err("unknown command '" + name + "'");
    }
    try {
      return body.run(sc);
    } catch (RedisException e) {
      return e.reply();
    } catch (RuntimeException e) {
      ctx.getLog().error("Command {} failed in slot {}", name, slot, e);
      return Err.err("internal error: " + e.getClass().getSimpleName());
    }
  }

  /**
   * Serves the clients blocked on keys that {@code trigger} (already applied) touched, in the
   * order the keys became ready and, per key, in the order the clients blocked, as Redis does
   * after each command. A pop that pushes elsewhere (BLMOVE) makes its destination ready too.
   * Appends the pops' events (already applied) to {@code events} and their completions to
   * {@code replies}; both must wait for the journal.
   */
  private void serveBlocked(
      SlotState state, List<SlotEvent> trigger, List<SlotEvent> events, List<Pending> replies) {
    java.util.LinkedHashSet<WatchedKey> ready = new java.util.LinkedHashSet<>();
    java.util.function.Consumer<List<SlotEvent>> collect =
        evs -> {
          for (SlotEvent e : evs) {
            state.forEachTouchedKey(
                e,
                (db, k) -> {
                  WatchedKey wk = new WatchedKey(db, k);
                  if (waiting.containsKey(wk)) {
                    ready.add(wk);
                  }
                });
          }
        };
    collect.accept(trigger);
    long now = System.currentTimeMillis();
    while (!ready.isEmpty()) {
      WatchedKey wk = ready.iterator().next();
      ready.remove(wk);
      java.util.ArrayDeque<Waiter> queue = waiting.get(wk);
      if (queue == null) {
        continue;
      }
      java.util.Iterator<Waiter> it = queue.iterator();
      while (it.hasNext()) {
        Waiter w = it.next();
        if (w.isDone()) {
          it.remove();
          continue;
        }
        if (!ready(state, w, wk.db(), wk.key(), now)) {
          break;
        }
        if (!w.claim()) {
          continue; // being served by another slot, or ending
        }
        if (w.retry()) {
          // It cannot be served here (BLMOVE to another slot): the router runs it again.
          it.remove();
          replies.add(Pending.internal(() -> w.complete(Waiter.RETRY)));
          continue;
        }
        SlotContext sc =
            new SlotContext(state, wk.db(), w.argvFor(List.of(wk.key().array())), now, true);
        Reply reply = runBody(w.name(), sc);
        if (Waiter.isNothing(reply)) {
          w.release();
          break;
        }
        it.remove();
        events.addAll(sc.events());
        replies.add(new Pending(() -> w.complete(reply), w::complete));
        collect.accept(sc.events());
        ready.remove(wk); // still being served by this loop
      }
      if (queue.isEmpty()) {
        waiting.remove(wk);
      }
    }
  }

  private ReplyEffect<SlotEvent, SlotState> awaitRegistration() {
    if (!registering) {
      sendRegister(0);
    }
    return Effect().stash();
  }

  private void sendRegister(long txId) {
    registering = true;
    regSeq++;
    settings.index().tell(new SlotIndex.Register(slot, txId, regSeq, registeredAdapter));
  }

  private ReplyEffect<SlotEvent, SlotState> onRegistered(SlotIndex.Answer answer) {
    if (answer.seq() != regSeq) {
      return Effect().noReply(); // answer to a request that a newer one replaced
    }
    registering = false;
    if (answer.registered()) {
      registered = true;
    } else {
      deniedTx = txRegistering;
    }
    txRegistering = 0;
    return asReply(Effect().unstashAll());
  }

  /** After a persisted write: keep the index and the expiry timer in step with the state. */
  private void afterWrite(SlotState state) {
    publishMemory(state);
    if (registered && state.isEmpty()) {
      registered = false;
      regSeq++; // an answer still on its way no longer says anything
      settings.index().tell(new SlotIndex.Unregister(slot));
    }
    scheduleExpiry(state);
  }

  private void scheduleExpiry(SlotState state) {
    long next = state.nextExpiry();
    if (next == 0) {
      if (expireTimerAt != 0) {
        timers.cancel(ExpireTick.INSTANCE);
        expireTimerAt = 0;
      }
      return;
    }
    // Aim at the earliest expiry, but run the cycle at most once per interval.
    long at = Math.max(next, lastExpireRun + settings.expireInterval().toMillis());
    if (expireTimerAt != 0 && expireTimerAt <= at) {
      return;
    }
    expireTimerAt = at;
    // Expiry times may lie centuries ahead (EXPIREAT of a huge time): wake at least once an
    // hour and aim again, so the delay always fits the scheduler.
    long delay = Math.min(MAX_EXPIRE_TIMER_MS, Math.max(1, at - System.currentTimeMillis()));
    timers.startSingleTimer(ExpireTick.INSTANCE, ExpireTick.INSTANCE, Duration.ofMillis(delay));
  }

  private ReplyEffect<SlotEvent, SlotState> onExpireTick(SlotState state) {
    expireTimerAt = 0;
    if (blocked()) {
      // Never change a locked slot; the next run after the interval will do it.
      lastExpireRun = System.currentTimeMillis();
      scheduleExpiry(state);
      return Effect().noReply();
    }
    long now = System.currentTimeMillis();
    lastExpireRun = now;
    List<SlotEvent> events = new ArrayList<>();
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = state.db(db);
      if (ks == null || ks.volatileCount() == 0) {
        continue;
      }
      List<byte[]> due = ks.dueKeys(now, settings.expireBatch());
      if (!due.isEmpty()) {
        SlotEvent e = new SlotEvent.KeysExpired(db, due);
        state.apply(e, now);
        events.add(e);
      }
    }
    if (events.isEmpty()) {
      scheduleExpiry(state);
      return Effect().noReply();
    }
    publishMemory(state);
    batchEvents.addAll(events);
    return flushBatch();
  }

  private void countExpired(List<SlotEvent> events) {
    long keys = 0;
    for (SlotEvent e : events) {
      if (e instanceof SlotEvent.KeysExpired x) {
        keys += x.keys().size();
      }
    }
    if (keys > 0) {
      settings.localSlots().memory().countExpired(keys);
    }
  }

  private void publishMemory(SlotState state) {
    settings.localSlots().memory().publish(slot, state.usedBytes(), state.volatileCount());
  }

  private ReplyEffect<SlotEvent, SlotState> onSampleForEviction(
      SlotState state, SampleForEviction c) {
    if (blocked()) {
      return Effect().stash();
    }
    List<EvictionCandidate> out = new ArrayList<>();
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    if (c.policy().equals("volatile-ttl")) {
      // Exact within the slot: the keys nearest to their expiry, from the expiry index.
      for (int db = 0; db < SlotState.DATABASES; db++) {
        Keyspace ks = state.db(db);
        if (ks != null) {
          for (Bytes k : ks.soonestExpiring(c.samples())) {
            out.add(new EvictionCandidate(db, k.array(), ks.get(k).expireAt));
          }
        }
      }
    } else {
      // A uniform sample (reservoir) of the slot's eligible keys: O(keys in the slot).
      boolean volatileOnly = c.policy().startsWith("volatile-");
      boolean lru = c.policy().endsWith("-lru");
      long seen = 0;
      for (int db = 0; db < SlotState.DATABASES; db++) {
        Keyspace ks = state.db(db);
        if (ks == null || (volatileOnly && ks.volatileCount() == 0)) {
          continue;
        }
        for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
          Keyspace.Entry entry = e.getValue();
          if (volatileOnly && entry.expireAt == 0) {
            continue;
          }
          seen++;
          int at = out.size() < c.samples() ? out.size() : (int) Math.min(rnd.nextLong(seen), Integer.MAX_VALUE);
          if (at < c.samples()) {
            long score = lru ? entry.lastAccess : rnd.nextLong(Long.MAX_VALUE);
            EvictionCandidate cand = new EvictionCandidate(db, e.getKey().array(), score);
            if (at == out.size()) {
              out.add(cand);
            } else {
              out.set(at, cand);
            }
          }
        }
      }
    }
    return answer(List.of(), c.replyTo(), new EvictionCandidates(out));
  }

  private ReplyEffect<SlotEvent, SlotState> onEvictKey(SlotState state, EvictKey c) {
    if (blocked()) {
      return Effect().stash();
    }
    if (!registered) {
      return awaitRegistration();
    }
    Keyspace ks = state.db(c.db());
    Keyspace.Entry e = ks == null ? null : ks.get(Bytes.wrap(c.key()));
    boolean unchanged =
        e != null
            && switch (c.policy()) {
              case "allkeys-lru", "volatile-lru" -> e.lastAccess == c.score();
              case "volatile-ttl" -> e.expireAt == c.score();
              case "volatile-random" -> e.expireAt != 0;
              default -> true;
            };
    if (!unchanged) {
      return answer(List.of(), c.replyTo(), 0L);
    }
    long before = state.usedBytes();
    SlotEvent evicted = new SlotEvent.KeysEvicted(c.db(), List.of(c.key()));
    state.apply(evicted, System.currentTimeMillis());
    settings.localSlots().memory().countEvicted(1);
    publishMemory(state);
    return answer(List.of(evicted), c.replyTo(), before - state.usedBytes());
  }

  private ReplyEffect<SlotEvent, SlotState> onStats(SlotState state, GetStats cmd) {
    if (blocked()) {
      return Effect().stash();
    }
    long[] keys = new long[SlotState.DATABASES];
    long[] expires = new long[SlotState.DATABASES];
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = state.db(db);
      if (ks != null) {
        keys[db] = ks.size();
        expires[db] = ks.volatileCount();
      }
    }
    return answer(List.of(), cmd.replyTo(), new Stats(keys, expires));
  }

  private ReplyEffect<SlotEvent, SlotState> onListKeys(SlotState state, ListKeys cmd) {
    if (blocked()) {
      return Effect().stash();
    }
    Keyspace ks = state.db(cmd.db());
    List<byte[]> out = new ArrayList<>();
    if (ks != null) {
      long now = System.currentTimeMillis();
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
        Keyspace.Entry entry = e.getValue();
        byte[] key = e.getKey().array();
        if (entry.isExpired(now)
            || (cmd.type() != null && !cmd.type().equalsIgnoreCase(entry.value.typeName()))
            || (cmd.pattern() != null && !Glob.match(cmd.pattern(), key, false))) {
          continue;
        }
        out.add(key);
      }
    }
    return answer(List.of(), cmd.replyTo(), new KeyList(out));
  }

  private ReplyEffect<SlotEvent, SlotState> onRandomKey(SlotState state, RandomKey cmd) {
    if (blocked()) {
      return Effect().stash();
    }
    Keyspace ks = state.db(cmd.db());
    if (ks == null || ks.size() == 0) {
      return answer(List.of(), cmd.replyTo(), new KeyList(List.of()));
    }
    long now = System.currentTimeMillis();
    List<byte[]> live = new ArrayList<>();
    for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
      if (!e.getValue().isExpired(now)) {
        live.add(e.getKey().array());
      }
    }
    List<byte[]> pick =
        live.isEmpty() ? List.of() : List.of(live.get(ThreadLocalRandom.current().nextInt(live.size())));
    return answer(List.of(), cmd.replyTo(), new KeyList(pick));
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
              if (preApplied > 0) {
                // Already applied when the command emitted it.
                preApplied--;
              } else {
                state.apply(event, System.currentTimeMillis());
              }
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
              settings.localSlots().recovered();
              settings.journal().recovered(slot);
              if (!watchers.isEmpty()) {
                state.setTouchListener(this::touched); // a new state after a restart
              }
              lastSnapshotAt = lastSequenceNumber(ctx);
              publishMemory(state);
              sizeSnapshotInterval(state);
              scheduleExpiry(state);
              if (!state.isEmpty()) {
                // The index may not know this slot (it came from another node, or from a
                // standalone journal): keyspace-wide commands must find it.
                sendRegister(0);
              }
            })
        .onSignal(
            org.apache.pekko.persistence.typed.JournalPersistFailed.class,
            (state, f) -> journalFailed(f.getFailure(), false))
        .onSignal(
            org.apache.pekko.persistence.typed.JournalPersistRejected.class,
            (state, f) -> journalFailed(f.getFailure(), true))
        .onSignal(
            org.apache.pekko.persistence.typed.RecoveryFailed.class,
            (state, f) -> {
              ctx.getLog().warn("Recovery of slot {} failed, retrying: {}", slot, String.valueOf(f.getFailure()));
              settings.journal().recoveryFailed(slot);
            })
        .onSignal(
            org.apache.pekko.actor.typed.PostStop.instance(),
            state -> settings.localSlots().stopped(slot, ctx.getSelf()))
        .build();
  }

  /**
   * Snapshots follow the size of the state (docs/decisions/2026-11-22-events-snapshots-and-
   * formats.md): a slot snapshots once the events since its last snapshot reach
   * {@code max(snapshot-every, elements / 8)}, elements counting each member of a collection.
   * So a small slot replays at most snapshot-every events, and a slot holding a sorted set of a
   * million members is not rewritten every thousand writes: snapshot cost stays O(1) per event
   * amortized, and replay stays O(state).
   */
  @Override
  public boolean shouldSnapshot(SlotState state, SlotEvent event, long sequenceNr) {
    if (sequenceNr - lastSnapshotAt < snapshotInterval) {
      return false;
    }
    lastSnapshotAt = sequenceNr;
    return true;
  }

  /** Sequence number of the event after which this slot last snapshotted. */
  private long lastSnapshotAt;

  private long snapshotInterval;

  private void sizeSnapshotInterval(SlotState state) {
    snapshotInterval = Math.max(settings.snapshotEvery(), state.elementCount() / 8);
  }

  /**
   * Pekko deletes events only after the snapshots of a retention criterion: one every
   * {@link #RETENTION_FACTOR} times snapshot-every events keeps the journal of a busy slot
   * bounded (events older than two such periods go), while {@link #shouldSnapshot} decides how
   * much a recovery replays.
   */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery() * RETENTION_FACTOR, 2)
        .withDeleteEventsOnSnapshot();
  }

  static final int RETENTION_FACTOR = 100;

  @Override
  public SnapshotAdapter<SlotState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(SlotState state) {
        sizeSnapshotInterval(state);
        return state.toSnapshot();
      }

      @Override
      public SlotState fromJournal(Object from) {
        return SlotState.fromSnapshot((SlotSnapshot) from, System.currentTimeMillis());
      }
    };
  }
}
