package io.keyshard.node.slot;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import io.keyshard.node.journal.PersistenceIds;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes slots a few at a time (each recovery costs journal queries, and the journal's connection
 * pool has a bounded queue), so that those holding keys register in this node's index and the
 * empty ones stop again. Runs in the background; the node serves meanwhile.
 */
public final class Warmer {
  private Warmer() {}

  private static final Logger log = LoggerFactory.getLogger(Warmer.class);

  /**
   * Wakes the slots the journal has events or snapshots for, among those {@code wanted}: a new
   * index (first start, or a journal another topology wrote), or slots this node just received.
   */
  public static CompletableFuture<Void> warmFromJournal(
      PersistenceIds journal, SlotClient slotClient, IntPredicate wanted) {
    return journal
        .current()
        .thenApply(ids -> ids.stream()
            .filter(id -> id.startsWith("slot-") && id.length() > 5 && id.substring(5).chars().allMatch(Character::isDigit))
            .map(id -> Integer.parseInt(id.substring(5)))
            .filter(wanted::test)
            .toList())
        .toCompletableFuture()
        .thenCompose(
            slots -> {
              long started = System.nanoTime();
              return warm(slotClient, slots, wanted)
                  .thenRun(
                      () ->
                          log.info(
                              "Woke {} slots from the journal in {} ms",
                              slots.size(),
                              (System.nanoTime() - started) / 1_000_000));
            })
        .whenComplete(
            (v, t) -> {
              if (t != null) {
                log.warn("Could not look for slots in the journal: {}", t.toString());
              }
            });
  }

  /**
   * At most this many slots recover at once: enough to keep the shard coordinator and the
   * journal busy (a takeover of 5,461 slots in barriers of 64 took 6 s, most of it waiting for
   * each batch's slowest slot), few enough for the journal's connection pool and Artery's queues.
   */
  public static final int AT_ONCE = 256;

  /**
   * After a standalone node's load: starts the entities of the slots read at start that hold
   * keys, those with keys that expire first (their entity expires them), {@link
   * #DORMANT_AT_ONCE} at a time: few, so that a request for a slot not started yet does not queue
   * behind them. Until its entity starts, a slot serves keyspace-wide reads from its loaded state
   * (DormantSlots), and any other request starts it; once all are started, the node is as it was
   * before the restart, every slot that holds keys running (a FLUSHALL, say, need not start them).
   */
  public static CompletableFuture<Void> startDormant(
      SlotClient slotClient, DormantSlots dormant, BooleanSupplier stopping) {
    List<Integer> expiring = new ArrayList<>();
    List<Integer> others = new ArrayList<>();
    for (int slot = 0; slot < 16384; slot++) {
      if (dormant.holdsVolatileKeys(slot)) {
        expiring.add(slot);
      } else if (dormant.keyCount(slot) > 0) {
        others.add(slot);
      }
    }
    List<Integer> holding = new ArrayList<>(expiring);
    holding.addAll(others);
    if (holding.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    long started = System.nanoTime();
    AtomicInteger woken = new AtomicInteger();
    IntPredicate still =
        slot -> {
          // Not once the node stops: its shard region would wait for entities still starting.
          boolean wake = dormant.keyCount(slot) > 0 && !stopping.getAsBoolean();
          if (wake) {
            woken.incrementAndGet();
          }
          return wake;
        };
    return warm(slotClient, holding, still, DORMANT_AT_ONCE)
        .thenRun(
            () ->
                log.info(
                    "Started the entities of {} slots loaded at start in {} ms",
                    woken.get(),
                    (System.nanoTime() - started) / 1_000_000));
  }

  static final int DORMANT_AT_ONCE = 4;

  public static CompletableFuture<Void> warm(SlotClient slotClient, List<Integer> slots, IntPredicate still) {
    return warm(slotClient, slots, still, AT_ONCE);
  }

  /** {@link #warm}, at most {@code atOnce} slots at a time. */
  public static CompletableFuture<Void> warm(
      SlotClient slotClient, List<Integer> slots, IntPredicate still, int atOnce) {
    List<Integer> list = List.copyOf(slots);
    return inWindow(
        list.size(),
        atOnce,
        i -> {
          int slot = list.get(i);
          return still.test(slot)
              ? slotClient.<Done>ask(slot, SlotEntity.Warm::new)
              : CompletableFuture.completedFuture(Done.getInstance());
        });
  }

  /**
   * Runs {@code task} for 0 to {@code count - 1}, at most {@code atOnce} at a time: each one
   * that ends (well or not) starts the next. Completes once all have ended. Tasks that end at
   * once (a slot that moved away meanwhile) are run in a loop, not by recursion, so thousands of
   * them cannot overflow the stack.
   */
  public static CompletableFuture<Void> inWindow(
      int count, int atOnce, IntFunction<? extends CompletionStage<?>> task) {
    CompletableFuture<Void> all = new CompletableFuture<>();
    if (count <= 0) {
      all.complete(null);
      return all;
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    Runnable[] lane = new Runnable[1];
    lane[0] =
        () -> {
          while (true) {
            int i = next.getAndIncrement();
            if (i >= count) {
              return;
            }
            // 0: running; 1: ended before this loop let go (the loop starts the next);
            // 2: the loop let go (whoever ends it starts the next).
            AtomicInteger handoff = new AtomicInteger();
            task.apply(i)
                .whenComplete(
                    (r, t) -> {
                      if (done.incrementAndGet() == count) {
                        all.complete(null);
                      } else if (!handoff.compareAndSet(0, 1)) {
                        lane[0].run();
                      }
                    });
            if (handoff.compareAndSet(0, 2)) {
              return;
            }
          }
        };
    for (int i = 0; i < Math.min(atOnce, count); i++) {
      lane[0].run();
    }
    return all;
  }
}
