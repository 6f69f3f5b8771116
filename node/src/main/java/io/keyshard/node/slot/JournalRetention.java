package io.keyshard.node.slot;

import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's journal-retention settings ({@code keyshard.journal.*}, see
 * docs/decisions/2026-12-06-bounded-journal.md), read once per actor system. An extension rather
 * than a field of {@link SlotEntity.Settings} because the transaction log needs them too, and
 * every node of a JVM (tests, {@code NodeRunner}'s incarnations) has its own system.
 */
public final class JournalRetention implements Extension {

  /** Fewest event bytes a slot journals between snapshots, whatever its state's size. */
  private final long snapshotMinBytes;
  /**
   * Event bytes beyond the data that the node's slots may hold together: a slot's floor is its
   * share, so a few busy slots snapshot less often than thousands of tiny ones would need to.
   */
  private final long eventsBudget;
  /** How far back the journal must let a past moment be rebuilt (point-in-time backups). */
  private final Duration retain;
  /**
   * Cluster mode: how long an event stays in the shared journal at least. 0 by default: the
   * journal's trigger (journal/JournalFence) fences an old owner that wakes up at any age, so
   * no event has to stay for its row to collide with the old owner's.
   */
  private final Duration fenceWindow;

  /**
   * Holds of a backup that reads the journal at an instant (keyshard-backup create): id to
   * {from, expiresAt}. While one holds, no trim deletes what rebuilds an instant after
   * {@code from}; it ends when released or at {@code expiresAt} (a tool that died).
   */
  private final java.util.concurrent.ConcurrentHashMap<Long, long[]> holds =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final java.util.concurrent.atomic.AtomicLong nextHold = new java.util.concurrent.atomic.AtomicLong(1);

  public JournalRetention(
      long snapshotMinBytes, long eventsBudget, Duration retain, Duration fenceWindow) {
    this.snapshotMinBytes = snapshotMinBytes;
    this.eventsBudget = eventsBudget;
    this.retain = retain;
    this.fenceWindow = fenceWindow;
  }

  static JournalRetention fromConfig(Config c) {
    Duration fence =
        c.getBoolean("keyshard.cluster.enabled")
            ? c.getDuration("keyshard.journal.fence-window")
            : Duration.ZERO;
    return new JournalRetention(
        c.getBytes("keyshard.journal.snapshot-min-bytes"),
        c.getBytes("keyshard.journal.events-budget"),
        c.getDuration("keyshard.journal.retain"),
        fence);
  }

  public long snapshotMinBytes() {
    return snapshotMinBytes;
  }

  /**
   * The floor of one slot's events between snapshots when {@code slotsWithData} slots share the
   * budget: the node's events beyond its data stay within the budget (or snapshot-min-bytes per
   * slot, when more slots hold data than the budget covers).
   */
  public long slotFloor(int slotsWithData) {
    return Math.max(snapshotMinBytes, eventsBudget / Math.max(1, slotsWithData));
  }

  public Duration retain() {
    return retain;
  }

  /** How old a snapshot must be before the events and snapshots below it may go. */
  public long keepMillis() {
    return Math.max(retain.toMillis(), fenceWindow.toMillis());
  }

  /**
   * Until {@link #release} or {@code expiresAt} (Unix ms): every slot keeps what rebuilds any
   * instant after {@code from} (its newest snapshot saved at or before it, and every event
   * after that). Answers the hold's id.
   */
  public long hold(long from, long expiresAt) {
    long id = nextHold.getAndIncrement();
    holds.put(id, new long[] {from, expiresAt});
    return id;
  }

  /** Ends a hold; false if there was none (released, or expired). */
  public boolean release(long id) {
    return holds.remove(id) != null;
  }

  /**
   * The newest snapshot saved at or before this may become the oldest kept (the trim point):
   * now - {@link #keepMillis}, or earlier while a hold asks for it.
   */
  public long cutoff(long now) {
    long cutoff = now - keepMillis();
    for (var it = holds.values().iterator(); it.hasNext(); ) {
      long[] h = it.next();
      if (h[1] <= now) {
        it.remove();
      } else {
        cutoff = Math.min(cutoff, h[0]);
      }
    }
    return cutoff;
  }

  public static JournalRetention get(ActorSystem<?> system) {
    return system.registerExtension(Id.INSTANCE);
  }

  private static final class Id extends ExtensionId<JournalRetention> {
    static final Id INSTANCE = new Id();

    @Override
    public JournalRetention createExtension(ActorSystem<?> system) {
      return fromConfig(system.settings().config());
    }
  }
}
