package io.keyshard.node.slot;

import io.keyshard.node.route.Verdict;
import io.keyshard.persistence.rocks.JournalUnavailableException;
import io.keyshard.protocol.Reply;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.pattern.CircuitBreakerOpenException;

/**
 * What the node knows about its journal, shared by the slots (which report every journal write's
 * outcome) and the router (which refuses writes while the journal is failing, so they fail at
 * once and certainly unwritten instead of each waiting for the journal to fail them).
 * See docs/decisions/2026-11-22-journal-faults.md.
 *
 * <p>The two errors a client can get for a write because of the journal:
 * <ul>
 *   <li>{@link #NOT_APPLIED}: {@code -TRYAGAIN}, the write certainly did not reach the journal
 *       (refused before it was tried, or the journal refused it before sending anything): safe
 *       to send again, as Redis's TRYAGAIN promises;
 *   <li>{@link #MAYBE_APPLIED}: {@code -ERR}, the journal write was tried and failed midway: it
 *       may be in the journal, and the slot's recovery will show it if it is. Never TRYAGAIN,
 *       because cluster clients resend TRYAGAIN by themselves (an INCR would count twice).
 * </ul>
 */
public final class JournalHealth {
  public static final Reply NOT_APPLIED = Verdict.JOURNAL_NOT_APPLIED.reply();
  public static final Reply MAYBE_APPLIED =
      Reply.error("ERR journal write failed, the write may or may not have been applied");
  public static final Reply RECOVERING = Verdict.JOURNAL_RECOVERING.reply();

  /**
   * While the journal is failing, one write per interval is let through as a probe: its success
   * is how the node learns the journal is back (a read-only check would not see a full disk).
   */
  private final long probeIntervalMs;

  private volatile boolean down;
  private volatile long downSince;
  private final AtomicLong nextProbeAt = new AtomicLong();
  /** Slots whose entity is restarting after a journal failure and has not recovered yet. */
  private final AtomicIntegerArray recovering = new AtomicIntegerArray(16384);

  /** Run (at most once a second) while journal operations fail: see {@link #onFailure}. */
  private volatile Runnable resetConnections = () -> {};
  private final AtomicLong lastReset = new AtomicLong();

  public JournalHealth(Duration probeInterval) {
    this.probeIntervalMs = probeInterval.toMillis();
  }

  /** A journal that is never reported failing (tests of single entities). */
  public JournalHealth() {
    this(Duration.ofSeconds(1));
  }

  /** Whether a write may go to its slot now: always while healthy, one per interval otherwise. */
  public boolean admitsWrite() {
    if (!down) {
      return true;
    }
    long now = System.currentTimeMillis();
    long next = nextProbeAt.get();
    return now >= next && nextProbeAt.compareAndSet(next, now + probeIntervalMs);
  }

  public boolean isDown() {
    return down;
  }

  /** When the journal was last found failing (ms since the epoch), 0 if never. */
  public long downSince() {
    return downSince;
  }

  public boolean isRecovering(int slot) {
    return recovering.get(slot) != 0;
  }

  /**
   * What to do while the journal fails (at most once a second): on JDBC the node drops its pooled
   * connections, so the pool opens new ones (JdbcEngine.onFailure); the RocksDB store needs
   * nothing, it reopens itself on the write after a failed one.
   */
  public void onFailure(Runnable resetConnections) {
    this.resetConnections = resetConnections;
  }

  private void failing() {
    long now = System.currentTimeMillis();
    long last = lastReset.get();
    if (now - last >= 1000 && lastReset.compareAndSet(last, now)) {
      resetConnections.run();
    }
  }

  void writeFailed(int slot) {
    recovering.set(slot, 1);
    failing();
    if (!down) {
      downSince = System.currentTimeMillis();
      nextProbeAt.set(downSince + probeIntervalMs);
      down = true;
    }
  }

  /** A journal operation of the index or the transaction log failed (write or recovery). */
  public void failed() {
    failing();
  }

  void recoveryFailed(int slot) {
    recovering.set(slot, 1);
    failing();
  }

  void recovered(int slot) {
    recovering.set(slot, 0);
  }

  void writeSucceeded() {
    if (down) {
      down = false;
    }
  }

  /**
   * Whether a failed journal write certainly wrote nothing: the circuit breaker refused it, no
   * connection could be had (the pool gives up before any statement is sent), or the RocksDB
   * store refused it before handing it to RocksDB (closed, or not yet reopened after a failure).
   * RocksDB's JournalWriteFailedException is not among them: the WAL may hold that write.
   */
  public static boolean certainlyNotWritten(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof CircuitBreakerOpenException
          || t instanceof SQLTransientConnectionException
          || t instanceof JournalUnavailableException) {
        return true;
      }
    }
    return false;
  }
}
