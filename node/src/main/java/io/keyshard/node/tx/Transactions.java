package io.keyshard.node.tx;

import io.keyshard.node.Futures;
import io.keyshard.node.route.Verdict.Retry;
import io.keyshard.node.route.Verdict;
import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotIndex;
import io.keyshard.persistence.TxEvent;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs writes and reads that span slots atomically: the one mechanism behind multi-slot
 * commands and MULTI/EXEC (docs/decisions/2026-11-22-atomic-multi-slot-writes.md).
 *
 * <ol>
 *   <li>Lock the slots one at a time in ascending order (so two transactions never wait on
 *       each other in a cycle); a locked slot holds every other request.
 *   <li>Run the program: each command runs in its slot against the live state, tentatively
 *       (applied, undoable, not persisted), so later commands see earlier ones.
 *   <li>Collect each slot's events and persist them as one {@code TxPrepared} record in the
 *       transaction log: the commit point. A transaction with no events commits nothing.
 *   <li>Apply: every slot persists its share as one {@code TxApplied} event and unlocks (all at
 *       once); the client's reply goes out when all have, and the log then records
 *       {@code TxCompleted}.
 *   <li>Recovery: before the port opens, every prepared transaction without TxCompleted is
 *       applied again; a slot that already applied its share says so and persists nothing.
 * </ol>
 * A failure before the commit point undoes the tentative events and unlocks every slot.
 */
public final class Transactions {
  private static final Logger log = LoggerFactory.getLogger(Transactions.class);

  /** Test hook: stop the JVM at a named point of the protocol (see the crash tests). */
  private static final String CRASH_POINT = System.getProperty("keyshard.test.crash-point", "");

  /** What a transaction does with its locked slots. */
  @FunctionalInterface
  public interface Program {
    CompletionStage<Reply> run(Tx tx);
  }

  /** A running transaction, as its program sees it. */
  public final class Tx {
    private final long id;
    private final SortedSet<Integer> slots;
    /** The slots locked so far, in the order they were: what commit and abort go through. */
    private final List<Integer> locked;
    private volatile boolean abort;
    /** The client that runs it (client tracking's NOLOOP), 0: none. */
    private volatile long by;
    /** Orders the notifications of its commands: the order they were sent in. */
    private final AtomicLong sent = new AtomicLong();

    /** Names the client running this transaction: its invalidations know who wrote (NOLOOP). */
    public void by(long client) {
      by = client;
    }

    /** The slots this transaction holds. */
    public SortedSet<Integer> slots() {
      return slots;
    }

    private Tx(long id, SortedSet<Integer> slots, List<Integer> locked) {
      this.id = id;
      this.slots = java.util.Collections.synchronizedSortedSet(slots);
      this.locked = locked;
    }

    /**
     * Takes one more slot while running, only if no other transaction holds it (never waiting on
     * one, so out-of-order locking cannot deadlock): true if this transaction now holds it.
     */
    public CompletionStage<Boolean> tryLock(int slot) {
      if (slots.contains(slot)) {
        return CompletableFuture.completedFuture(true);
      }
      return slotClient
          .<Boolean>ask(slot, r -> new SlotEntity.TxTryLock(id, r, logId))
          .handle(
              (granted, t) -> {
                if (t != null) {
                  // It may still be granted later, for nobody: withdraw it.
                  slotClient.tell(slot, new SlotEntity.TxLockAbandoned(id));
                  return false;
                }
                if (granted) {
                  locked.add(slot);
                  slots.add(slot);
                }
                return granted;
              });
    }

    /** Runs a command body in one of the locked slots; its effects are seen by later commands. */
    public CompletionStage<Reply> exec(int slot, String name, int db, byte[][] argv, boolean write) {
      if (!slots.contains(slot)) {
        return CompletableFuture.completedFuture(
            Err.err("internal error: slot " + slot + " is not locked by this transaction"));
      }
      long seq = sent.incrementAndGet();
      return slotClient
          .<Reply>ask(slot, r -> new SlotEntity.TxExec(id, name, db, argv, write, r, seq))
          .exceptionally(
              t -> Verdict.tryAgain(Retry.TX_SLOT_FAILED, t.getClass().getSimpleName()).reply());
    }

    /** True if none of the watcher's keys in that slot changed since WATCH. */
    public CompletionStage<Boolean> watchClean(int slot, long watcherId) {
      return slotClient.ask(slot, r -> new SlotEntity.CheckWatch(id, watcherId, r));
    }

    /** Makes the transaction undo everything and unlock, instead of committing. */
    public void abort() {
      abort = true;
    }
  }

  private final SlotClient slotClient;
  private final ActorRef<TxLog.Command> txLog;
  /** The log's persistence id: with it, an id names one transaction cluster-wide and forever. */
  private final String logId;
  private volatile ShareRouter shareRouter;
  /** The node's keyspace notifications: what the slots hold for a transaction goes out after it. */
  private volatile Notifications notifications = new Notifications();
  private final ActorRef<SlotIndex.Command> index;
  private final Scheduler scheduler;
  private final Duration timeout;
  private final AtomicLong nextId = new AtomicLong(1);
  private final ConcurrentSkipListSet<Long> inflight = new ConcurrentSkipListSet<>();
  /** Committed transactions whose completion is not yet durable. */
  private final ConcurrentSkipListSet<Long> prepared = new ConcurrentSkipListSet<>();

  public Transactions(
      SlotClient slotClient,
      ActorRef<TxLog.Command> txLog,
      ActorRef<SlotIndex.Command> index,
      Scheduler scheduler,
      Duration timeout) {
    this(slotClient, txLog, TxLog.persistenceId("standalone").id(), index, scheduler, timeout);
  }

  /** {@code logId}: the persistence id of {@code txLog}. */
  public Transactions(
      SlotClient slotClient,
      ActorRef<TxLog.Command> txLog,
      String logId,
      ActorRef<SlotIndex.Command> index,
      Scheduler scheduler,
      Duration timeout) {
    this.slotClient = slotClient;
    this.index = index;
    this.txLog = txLog;
    this.logId = logId;
    this.scheduler = scheduler;
    this.timeout = timeout;
    this.shareRouter = ShareRouter.local(slotClient);
  }

  /** The node's notifications, the instance its slot entities hold transactions' notices in. */
  public void setNotifications(Notifications notifications) {
    this.notifications = notifications;
  }

  /**
   * Cluster mode: committed shares go to their slot's current owner, which may be another node
   * by the time they are applied (set before {@link #recover}).
   */
  public void setShareRouter(ShareRouter shareRouter) {
    this.shareRouter = shareRouter;
  }

  /**
   * Completes every transaction the log holds as prepared but not completed. Called once at
   * start-up, before clients can connect.
   */
  public CompletionStage<Integer> recover() {
    return Futures.plain(AskPattern.<TxLog.Command, TxLog.Pending>ask(
            txLog, TxLog.GetPending::new, timeout, scheduler))
        .thenCompose(
            pending -> {
              nextId.set(pending.maxTxId() + 1);
              pending.pending().forEach(p -> inflight.add(p.txId()));
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (TxEvent.TxPrepared p : pending.pending()) {
                // In log order: a slot in two pending transactions gets them in commit order. A
                // record from before transactions were named by their log is applied as then.
                chain =
                    chain.thenCompose(
                        v -> applyAll(p.txId(), sharesBySlot(p), p.shares(), p.log() != null));
              }
              return chain.thenApply(v -> pending.pending().size());
            });
  }

  private static TreeSet<Integer> sharesBySlot(TxEvent.TxPrepared p) {
    TreeSet<Integer> slots = new TreeSet<>();
    p.shares().forEach(s -> slots.add(s.slot()));
    return slots;
  }

  /** Runs {@code program} holding the locks of {@code slots}. */
  public CompletionStage<Reply> run(SortedSet<Integer> slots, Program program) {
    return run(slots, false, program);
  }

  /** Marks a run that a barrier refused; it is undone and run again. */
  private static final Reply DENIED = Reply.error("DENIED");

  private static final int MAX_DENIALS = 200;

  /**
   * Runs {@code program} holding the locks of {@code slots}; with {@code everySlot}, first takes
   * the index's barrier and locks every non-empty slot too (keyspace-wide commands in EXEC), so
   * the set of non-empty slots cannot grow until the transaction ends.
   */
  public CompletionStage<Reply> run(SortedSet<Integer> slots, boolean everySlot, Program program) {
    return attempt(slots, everySlot, program, 0);
  }

  private CompletionStage<Reply> attempt(
      SortedSet<Integer> slots, boolean everySlot, Program program, int denials) {
    long id = nextId.getAndIncrement();
    inflight.add(id);
    CompletionStage<SortedSet<Integer>> lockSet =
        everySlot
            ? Futures.plain(AskPattern.<SlotIndex.Command, SlotIndex.Slots>ask(
                    index, r -> new SlotIndex.AcquireBarrier(id, r), timeout, scheduler))
                .thenApply(
                    all -> {
                      SortedSet<Integer> union = new TreeSet<>(slots);
                      for (int slot : all.slots()) {
                        union.add(slot);
                      }
                      return union;
                    })
            : CompletableFuture.completedFuture(slots);
    List<Integer> locked = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletionStage<Reply> result =
        lockSet
            .thenCompose(
                toLock -> {
                  Tx tx = new Tx(id, new TreeSet<>(toLock), locked);
                  // Slots still dormant since the start wake together first: locking starts
                  // one entity at a time (after a restart, FLUSHALL would start thousands).
                  return slotClient
                      .startDormant(toLock)
                      .thenCompose(v -> lockInOrder(id, toLock.iterator(), locked))
                      .thenCompose(v -> program.run(tx))
                      .thenCompose(
                          reply ->
                              tx.abort
                                  ? abortAll(id, locked).thenApply(v -> reply)
                                  : commit(id, locked, reply)
                                      .thenApply(
                                          r -> {
                                            // Applied in every slot (or read-only): durable.
                                            if (r != DENIED) {
                                              notifications.release(logId, id, tx.by);
                                            }
                                            return r;
                                          }));
                })
            .exceptionallyCompose(
                t -> {
                  log.warn("Transaction {} failed before its commit point; undoing", id, t);
                  return abortAll(id, locked)
                      .thenApply(
                          v -> Verdict.tryAgain(Retry.TX_INCOMPLETE).reply());
                })
            .whenComplete(
                (r, t) -> {
                  // Anything not released above was undone (or never ran).
                  notifications.discard(logId, id);
                  if (everySlot) {
                    index.tell(new SlotIndex.ReleaseBarrier(id));
                  }
                  if (!committed(id)) {
                    inflight.remove(id);
                  }
                });
    return result.thenCompose(
        r -> {
          if (r != DENIED) {
            return CompletableFuture.completedFuture(r);
          }
          if (denials >= MAX_DENIALS) {
            return CompletableFuture.completedFuture(
                Verdict.tryAgain(Retry.KEYSPACE_BUSY).reply());
          }
          // A keyspace-wide transaction holds the barrier: wait a little for it, then again.
          long backoff = Math.min(50, 1L << Math.min(denials, 5));
          return CompletableFuture.supplyAsync(
                  () -> null,
                  CompletableFuture.delayedExecutor(backoff, TimeUnit.MILLISECONDS))
              .thenCompose(x -> attempt(slots, everySlot, program, denials + 1));
        });
  }

  /** Whether the id must stay in flight: committed but not yet recorded as completed. */
  private boolean committed(long id) {
    return prepared.contains(id);
  }

  private CompletionStage<Void> lockInOrder(long id, Iterator<Integer> slots, List<Integer> locked) {
    if (!slots.hasNext()) {
      return CompletableFuture.completedFuture(null);
    }
    int slot = slots.next();
    return slotClient
        .<Done>ask(slot, r -> new SlotEntity.TxLock(id, r, logId))
        .whenComplete(
            (d, t) -> {
              if (t != null) {
                // The request waits on in the slot and would lock it for nobody: withdraw it.
                slotClient.tell(slot, new SlotEntity.TxLockAbandoned(id));
              }
            })
        .thenCompose(
            d -> {
              locked.add(slot);
              return lockInOrder(id, slots, locked);
            });
  }

  private CompletionStage<Reply> commit(long id, List<Integer> locked, Reply reply) {
    List<CompletableFuture<SlotEntity.TxShare>> asks = new ArrayList<>();
    for (int slot : locked) {
      asks.add(slotClient.<SlotEntity.TxShare>ask(slot, r -> new SlotEntity.TxPrepare(id, r)).toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.toArray(new CompletableFuture[0]))
        .thenCompose(
            v -> {
              List<TxEvent.SlotShare> shares = new ArrayList<>();
              if (asks.stream().anyMatch(a -> a.join().denied())) {
                // A slot could not register while another transaction holds the barrier.
                return abortAll(id, locked).thenApply(x -> DENIED);
              }
              for (CompletableFuture<SlotEntity.TxShare> a : asks) {
                SlotEntity.TxShare s = a.join();
                if (!s.events().isEmpty()) {
                  shares.add(new TxEvent.SlotShare(s.slot(), s.events()));
                }
              }
              if (shares.isEmpty()) {
                // Read-only: nothing to commit, just unlock.
                return abortAll(id, locked).thenApply(x -> reply);
              }
              return prepareWithRetry(new TxEvent.TxPrepared(id, shares, logId))
                  .thenCompose(
                      d -> {
                        prepared.add(id);
                        crashPoint("after-commit-record");
                        return applyAll(id, new TreeSet<>(locked), shares, true);
                      })
                  .thenApply(x -> reply);
            });
  }

  /**
   * Sends every slot its share (an empty one just unlocks it), in ascending slot order, retrying
   * until each acknowledges: after the commit point the transaction must happen.
   */
  private CompletionStage<Void> applyAll(
      long id, SortedSet<Integer> slots, List<TxEvent.SlotShare> shares, boolean named) {
    // All at once: each share is applied idempotently, so their order does not matter, and
    // waiting on each journal write in turn made a 10-slot MSET cost 10 write latencies.
    List<CompletableFuture<Void>> applies = new ArrayList<>();
    AtomicInteger done = new AtomicInteger();
    for (int slot : slots) {
      List<TxEvent.Nested> events =
          shares.stream().filter(s -> s.slot() == slot).findFirst().map(TxEvent.SlotShare::events).orElse(List.of());
      applies.add(
          applyWithRetry(id, slot, events, named)
              .thenRun(
                  () -> {
                    if (!events.isEmpty() && done.incrementAndGet() == 1 && shares.size() > 1) {
                      crashPoint("between-applies"); // some shares applied, maybe not all
                    }
                  })
              .toCompletableFuture());
    }
    CompletableFuture<Void> applied = CompletableFuture.allOf(applies.toArray(new CompletableFuture[0]));
    // The client may have its reply now; the completion record only lets the log forget the
    // transaction. Slots forget applied ids below the in-flight watermark, so an id leaves the
    // in-flight set only once TxCompleted is durable: recovery then never re-applies it.
    applied
        .thenCompose(
            v ->
                Futures.plain(AskPattern.<TxLog.Command, Done>ask(
                    txLog, r -> new TxLog.Complete(id, r), timeout, scheduler)))
        .handle(
            (d, t) -> {
              if (t == null) {
                prepared.remove(id);
                inflight.remove(id);
              } else {
                log.warn("Transaction {} applied but its completion was not recorded", id, t);
              }
              return null;
            });
    return applied;
  }

  /**
   * Persists the commit record. A failed ask may still have been persisted, so the slots must
   * not be rolled back: retry (writing the same record twice is harmless) until it is known.
   */
  private CompletionStage<Done> prepareWithRetry(TxEvent.TxPrepared tx) {
    return Futures.plain(AskPattern.<TxLog.Command, Done>ask(
            txLog, r -> new TxLog.Prepare(tx, r), timeout, scheduler))
        .exceptionallyCompose(
            t -> {
              log.warn("Commit record of transaction {} not confirmed; retrying", tx.txId(), t);
              return prepareWithRetry(tx);
            });
  }

  private CompletionStage<Void> applyWithRetry(
      long id, int slot, List<TxEvent.Nested> events, boolean named) {
    return applyWithRetry(id, slot, events, named, 1);
  }

  private CompletionStage<Void> applyWithRetry(
      long id, int slot, List<TxEvent.Nested> events, boolean named, int attempt) {
    long watermark = inflight.isEmpty() ? id : Math.min(id, inflight.first());
    // Through the slot's current owner: normally this node's incarnation that holds the lock;
    // after a failover or a restart, whichever node owns the slot now (its roll-forward path).
    return shareRouter
        .apply(slot, logId, named, id, watermark, events)
        .thenApply(d -> (Void) null)
        .exceptionallyCompose(
            t -> {
              if (Integer.bitCount(attempt) == 1) { // 1, 2, 4, 8...: the table may take a while
                log.warn("Slot {} did not apply committed transaction {} (attempt {}); retrying", slot, id, attempt, t);
              }
              // Not at once: an owner that said no (the table is changing) says it again.
              return CompletableFuture.supplyAsync(
                      () -> null, CompletableFuture.delayedExecutor(RETRY_MS, TimeUnit.MILLISECONDS, Runnable::run))
                  .thenCompose(x -> applyWithRetry(id, slot, events, named, attempt + 1));
            });
  }

  private static final long RETRY_MS = 200;

  private CompletionStage<Void> abortAll(long id, List<Integer> locked) {
    List<CompletableFuture<Done>> asks = new ArrayList<>();
    for (int slot : locked) {
      asks.add(
          slotClient
              .<Done>ask(slot, r -> new SlotEntity.TxAbort(id, r))
              .toCompletableFuture()
              .exceptionally(t -> Done.getInstance()));
    }
    return CompletableFuture.allOf(asks.toArray(new CompletableFuture[0]));
  }

  private static void crashPoint(String name) {
    if (CRASH_POINT.equals(name)) {
      log.error("Crash point {} reached: halting the JVM (test hook)", name);
      Runtime.getRuntime().halt(137);
    }
  }
}
