package io.keyshard.node.slot;

import io.keyshard.node.server.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntPredicate;
import org.apache.pekko.Done;

/**
 * Wakes slots a few at a time (each recovery costs journal queries, and the journal's connection
 * pool has a bounded queue), so that those holding keys register in this node's index and the
 * empty ones stop again. Runs in the background; the node serves meanwhile.
 */
public final class Warmer {
  private Warmer() {}

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Warmer.class);

  /**
   * Wakes the slots the journal has events or snapshots for, among those {@code wanted}: a new
   * index (first start, or a journal another topology wrote), or slots this node just received.
   */
  public static CompletableFuture<Void> warmFromJournal(
      org.apache.pekko.actor.typed.ActorSystem<?> system, Router router, IntPredicate wanted) {
    var journal =
        org.apache.pekko.persistence.query.PersistenceQuery.get(system.classicSystem())
            .getReadJournalFor(
                org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal.class,
                org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal.Identifier());
    return journal
        .currentPersistenceIds()
        .filter(id -> id.startsWith("slot-") && id.length() > 5 && id.substring(5).chars().allMatch(Character::isDigit))
        .map(id -> Integer.parseInt(id.substring(5)))
        .filter(wanted::test)
        .runWith(org.apache.pekko.stream.javadsl.Sink.seq(), system)
        .toCompletableFuture()
        .thenCompose(
            slots -> {
              long started = System.nanoTime();
              return warm(router, slots, wanted)
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
  static final int AT_ONCE = 256;

  public static CompletableFuture<Void> warm(Router router, List<Integer> slots, IntPredicate still) {
    CompletableFuture<Void> all = new CompletableFuture<>();
    if (slots.isEmpty()) {
      all.complete(null);
      return all;
    }
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
    List<Integer> list = List.copyOf(slots);
    for (int lane = 0; lane < Math.min(AT_ONCE, list.size()); lane++) {
      wakeNext(router, list, still, next, done, all);
    }
    return all;
  }

  /** Wakes the next slot of {@code slots}; when it answers, the next one, until all did. */
  private static void wakeNext(
      Router router,
      List<Integer> slots,
      IntPredicate still,
      java.util.concurrent.atomic.AtomicInteger next,
      java.util.concurrent.atomic.AtomicInteger done,
      CompletableFuture<Void> all) {
    int i = next.getAndIncrement();
    if (i >= slots.size()) {
      return;
    }
    int slot = slots.get(i);
    CompletableFuture<Done> woken =
        still.test(slot)
            ? router.<Done>ask(slot, SlotEntity.Warm::new).toCompletableFuture()
            : CompletableFuture.completedFuture(Done.getInstance());
    woken.whenComplete(
        (d, t) -> {
          if (done.incrementAndGet() == slots.size()) {
            all.complete(null);
          } else {
            wakeNext(router, slots, still, next, done, all);
          }
        });
  }
}
