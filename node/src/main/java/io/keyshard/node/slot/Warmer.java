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
        .thenCompose(slots -> warm(router, slots, wanted))
        .whenComplete(
            (v, t) -> {
              if (t != null) {
                log.warn("Could not look for slots in the journal: {}", t.toString());
              }
            });
  }

  /** At most this many slots recover at once. */
  static final int AT_ONCE = 64;

  public static CompletableFuture<Void> warm(Router router, List<Integer> slots, IntPredicate still) {
    return batch(router, new ArrayList<>(slots), 0, still);
  }

  private static CompletableFuture<Void> batch(
      Router router, List<Integer> slots, int from, IntPredicate still) {
    if (from >= slots.size()) {
      return CompletableFuture.completedFuture(null);
    }
    List<CompletableFuture<Done>> parts = new ArrayList<>();
    for (int i = from; i < Math.min(slots.size(), from + AT_ONCE); i++) {
      int slot = slots.get(i);
      if (still.test(slot)) {
        parts.add(
            router
                .<Done>ask(slot, SlotEntity.Warm::new)
                .toCompletableFuture()
                .exceptionally(t -> Done.getInstance()));
      }
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenCompose(v -> batch(router, slots, from + AT_ONCE, still));
  }
}
