package io.keyshard.node.slot;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayDeque;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.JournalProtocol.DeleteMessagesTo;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotProtocol.DeleteSnapshots;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotMetadata;
import org.slf4j.Logger;

/**
 * Keeps one persistent entity's journal bounded (docs/decisions/2026-12-06-bounded-journal.md):
 * counts the bytes journaled since the last snapshot, so the entity can snapshot when they
 * outweigh its state, and once a snapshot is saved deletes the events it covers, then the older
 * snapshots, keeping the newest snapshot at or before now - {@link JournalRetention#keepMillis}
 * and every event after it.
 *
 * <p>Pekko 1.7.0 deletes only for its count-based {@code RetentionCriteria}, never after a
 * snapshot that {@code shouldSnapshot} asked for, so the deletes are sent here, as Pekko's own
 * retention sends them: {@code DeleteMessagesTo} to the journal and {@code DeleteSnapshots} to
 * the snapshot store, with the entity as the sender. Their answers come back to the entity as
 * the {@code DeleteEventsCompleted} / {@code DeleteEventsFailed} / {@code
 * DeleteSnapshotsCompleted} signals, which the entity hands to {@link #eventsDeleted} and
 * {@link #deleteFailed}. One delete is in flight at a time; a snapshot saved meanwhile is
 * trimmed to when it ends.
 */
public final class JournalTrim {
  private final String persistenceId;
  private final ActorRef self;
  private final ActorSystem<?> system;
  private final JournalRetention retention;
  private final Logger log;

  /** Estimated journal bytes since the last snapshot (or since the start of the journal). */
  private long bytesSinceSnapshot;

  /** {sequence number, save time} of the snapshots saved by this instance, oldest first. */
  private final ArrayDeque<long[]> saved = new ArrayDeque<>();

  private long trimmedTo;
  private boolean deleting;

  public JournalTrim(PersistenceId id, ActorContext<?> ctx) {
    this.persistenceId = id.id();
    this.self = Adapter.toClassic(ctx.getSelf());
    this.system = ctx.getSystem();
    this.retention = JournalRetention.get(ctx.getSystem());
    this.log = ctx.getLog();
  }

  public JournalRetention retention() {
    return retention;
  }

  /** An event was journaled (or replayed after the snapshot the entity recovered from). */
  public void journaled(long bytes) {
    bytesSinceSnapshot += bytes;
  }

  public long bytesSinceSnapshot() {
    return bytesSinceSnapshot;
  }

  /**
   * Whether the events since the last snapshot outweigh {@code stateBytes} and {@code floor}:
   * then a snapshot plus the events after it take at most about twice the state's bytes.
   */
  public boolean outweighs(long stateBytes, long floor) {
    return bytesSinceSnapshot > Math.max(floor, stateBytes);
  }

  /** The entity decided to snapshot after the current event; counting starts again. */
  public void snapshotting() {
    bytesSinceSnapshot = 0;
  }

  /**
   * The entity restarts after a journal failure (its recovery counts again from the snapshot it
   * loads) or recovers from a snapshot: what was counted before no longer describes the journal.
   */
  public void restart() {
    bytesSinceSnapshot = 0;
    deleting = false;
  }

  /** {@code SnapshotCompleted}: the snapshot is saved, so what it covers may go. */
  public void snapshotSaved(SnapshotMetadata meta) {
    saved.addLast(new long[] {meta.sequenceNr(), meta.timestamp()});
    trim(System.currentTimeMillis());
  }

  /** {@code DeleteEventsCompleted}: the events are gone; the snapshots before them go next. */
  public void eventsDeleted(long toSequenceNr) {
    deleting = false;
    trimmedTo = Math.max(trimmedTo, toSequenceNr);
    // The snapshot at toSequenceNr is the one recovery starts from now: only older ones go.
    snapshotStore()
        .tell(
            new DeleteSnapshots(
                persistenceId, SnapshotSelectionCriteria.create(toSequenceNr - 1, Long.MAX_VALUE)),
            self);
    trim(System.currentTimeMillis());
  }

  /** A delete failed: nothing is lost (the data is still there); the next snapshot tries again. */
  public void deleteFailed(String what, Throwable cause) {
    deleting = false;
    log.warn("Trimming the journal of {} failed ({}), retrying after the next snapshot: {}",
        persistenceId, what, String.valueOf(cause));
  }

  /**
   * Deletes the events up to the newest saved snapshot that is at least keepMillis old; that
   * snapshot stays (recovery starts there), older ones go once the events are gone.
   */
  void trim(long now) {
    if (deleting) {
      return;
    }
    long cutoff = retention.cutoff(now);
    long[] keep = null;
    while (!saved.isEmpty() && saved.peekFirst()[1] <= cutoff) {
      keep = saved.pollFirst();
    }
    if (keep == null) {
      return;
    }
    // Still the oldest snapshot there is (as far as this instance knows): the next trim
    // deletes it with its elders.
    saved.addFirst(keep);
    long to = keep[0];
    if (to <= trimmedTo) {
      return;
    }
    deleting = true;
    // pekko-persistence-jdbc deletes the rows below the highest one <= to and marks that one
    // deleted, keeping it: a persistence id's highest sequence number survives every delete.
    journal().tell(new DeleteMessagesTo(persistenceId, to, self), self);
  }

  private ActorRef journal() {
    // "" = the default plugin, the one every entity here journals to.
    return Persistence.get(Adapter.toClassic(system)).journalFor("", ConfigFactory.empty());
  }

  private ActorRef snapshotStore() {
    return Persistence.get(Adapter.toClassic(system)).snapshotStoreFor("", ConfigFactory.empty());
  }
}
