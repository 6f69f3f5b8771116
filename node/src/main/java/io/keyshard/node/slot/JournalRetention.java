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
  /** How far back the journal must let a past moment be rebuilt (point-in-time backups). */
  private final Duration retain;
  /**
   * Cluster mode: how long an event stays in the shared journal at least, so that its row
   * still fences an old owner that wakes up (the journal's key only rejects rows that exist).
   */
  private final Duration fenceWindow;

  public JournalRetention(long snapshotMinBytes, Duration retain, Duration fenceWindow) {
    this.snapshotMinBytes = snapshotMinBytes;
    this.retain = retain;
    this.fenceWindow = fenceWindow;
  }

  static JournalRetention fromConfig(Config c) {
    Duration fence =
        c.getBoolean("keyshard.cluster.enabled")
            ? c.getDuration("keyshard.journal.fence-window")
            : Duration.ZERO;
    return new JournalRetention(
        c.getBytes("keyshard.journal.snapshot-min-bytes"), c.getDuration("keyshard.journal.retain"), fence);
  }

  public long snapshotMinBytes() {
    return snapshotMinBytes;
  }

  public Duration retain() {
    return retain;
  }

  /** How old a snapshot must be before the events and snapshots below it may go. */
  public long keepMillis() {
    return Math.max(retain.toMillis(), fenceWindow.toMillis());
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
