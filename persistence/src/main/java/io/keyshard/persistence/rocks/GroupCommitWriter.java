package io.keyshard.persistence.rocks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of a store. Its thread takes whatever is queued (the writes of every
 * persistence id, deletes, snapshots), stages it into one WriteBatch, writes that with one
 * sync (appendfsync always) and only then completes the callers' futures. So the more callers
 * wait, the more one fsync covers: group commit by construction, not by luck of timing.
 *
 * <p>It owns the fence: the highest sequence number of every id it has touched, read once from
 * the store and kept current by its own writes, so checking a write costs no read.
 *
 * <p>A failed write (RocksDB in its background-error state: a full disk, an I/O error) fails the
 * batch's futures and marks the store suspect; the next batch first resumes the store (RocksJava
 * has no DB::Resume, so the store is closed and reopened, which recovers the WAL), at most once
 * per resume-interval, failing batches in between as certainly unwritten.
 */
final class GroupCommitWriter {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
  private static final WriteOp STOP = new WriteOp() {
    @Override
    void stage(WriteBatch batch, Handles h, HighestSeqNrs highest) {}
  };

  private static final long STOP_WAIT_MILLIS = 30_000;

  private final RocksStore store;
  private final int maxBatchOps;
  private final long resumeIntervalNanos;
  private final LinkedBlockingQueue<WriteOp> queue = new LinkedBlockingQueue<>();
  private final Map<String, Long> highest = new HashMap<>();
  private final AtomicBoolean unsynced = new AtomicBoolean();
  private final Thread thread;
  private final ScheduledExecutorService syncer;
  private volatile AppendFsync mode;
  private volatile boolean stopped;
  private boolean suspect;
  private long lastResumeAttempt;
  private Throwable lastFailure;

  GroupCommitWriter(RocksStore store, RocksSettings settings) {
    this.store = store;
    this.mode = settings.appendFsync();
    this.maxBatchOps = settings.maxBatchOps();
    this.resumeIntervalNanos = settings.resumeInterval().toNanos();
    this.thread = new Thread(this::run, "keyshard-rocksdb-writer");
    thread.setDaemon(true);
    this.syncer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "keyshard-rocksdb-wal-sync");
      t.setDaemon(true);
      return t;
    });
    long interval = settings.everysecInterval().toMillis();
    syncer.scheduleWithFixedDelay(this::syncIfEverysec, interval, interval, TimeUnit.MILLISECONDS);
    thread.start();
  }

  void submit(WriteOp op) {
    if (stopped) {
      op.done.completeExceptionally(
          new JournalUnavailableException("journal is closed, the write was not applied", null));
      return;
    }
    queue.add(op);
  }

  AppendFsync mode() {
    return mode;
  }

  void setMode(AppendFsync newMode) {
    AppendFsync old = mode;
    mode = newMode;
    if (old != AppendFsync.ALWAYS && newMode == AppendFsync.ALWAYS) {
      // From now on every acknowledged write is on disk, the earlier ones included.
      syncer.execute(this::syncWal);
    }
  }

  /** Stops after writing everything queued before this call; false if the writer hangs. */
  boolean stop() {
    stopped = true;
    queue.add(STOP);
    try {
      thread.join(STOP_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    syncer.shutdownNow();
    if (thread.isAlive()) {
      return false;
    }
    if (mode != AppendFsync.ALWAYS) {
      syncWal(); // a clean stop loses nothing, whatever the mode
    }
    return true;
  }

  private void run() {
    List<WriteOp> ops = new ArrayList<>();
    while (true) {
      try {
        ops.add(queue.take());
      } catch (InterruptedException e) {
        continue; // only stop() ends the writer, so that no queued future is left hanging
      }
      queue.drainTo(ops, maxBatchOps - 1);
      boolean stop = ops.remove(STOP);
      if (!ops.isEmpty()) {
        commit(ops);
      }
      ops.clear();
      if (stop) {
        // Writes that raced with stop() were queued after STOP: refuse them, never drop them.
        List<WriteOp> late = new ArrayList<>();
        queue.drainTo(late);
        for (WriteOp op : late) {
          op.done.completeExceptionally(
              new JournalUnavailableException("journal is closed, the write was not applied", null));
        }
        return;
      }
    }
  }

  private void commit(List<WriteOp> ops) {
    if (suspect && !resume()) {
      JournalUnavailableException refused = new JournalUnavailableException(
          "journal unavailable (" + describe(lastFailure) + "), the write was not applied",
          lastFailure);
      ops.forEach(op -> op.done.completeExceptionally(refused));
      return;
    }
    Map<String, Long> raised = new HashMap<>();
    WriteOp.HighestSeqNrs view = new WriteOp.HighestSeqNrs() {
      @Override
      public long get(String persistenceId) throws RocksDBException {
        Long seqNr = raised.get(persistenceId);
        return seqNr != null ? seqNr : known(persistenceId);
      }

      @Override
      public void raise(String persistenceId, long seqNr) {
        raised.put(persistenceId, seqNr);
      }
    };
    List<WriteOp> staged = new ArrayList<>(ops.size());
    AppendFsync writeMode = mode;
    try (WriteBatch batch = new WriteBatch(); WriteOptions options = new WriteOptions()) {
      try (RocksStore.Use use = store.use()) {
        for (WriteOp op : ops) {
          try {
            op.stage(batch, use.handles(), view);
            staged.add(op);
          } catch (SequenceFenceException e) {
            op.done.completeExceptionally(e);
          }
        }
        if (staged.isEmpty()) {
          return;
        }
        options.setSync(writeMode == AppendFsync.ALWAYS);
        use.handles().db().write(options, batch);
      }
    } catch (RocksDBException | RuntimeException e) {
      failed(e);
      JournalWriteFailedException failure = new JournalWriteFailedException(
          "journal write failed (" + describe(e) + "), the write may or may not have been applied",
          e);
      staged.forEach(op -> op.done.completeExceptionally(failure));
      return;
    }
    highest.putAll(raised);
    if (writeMode != AppendFsync.ALWAYS) {
      unsynced.set(true);
    }
    staged.forEach(op -> op.done.complete(null));
  }

  private long known(String persistenceId) throws RocksDBException {
    Long seqNr = highest.get(persistenceId);
    if (seqNr == null) {
      seqNr = store.readHighestSeqNr(persistenceId);
      highest.put(persistenceId, seqNr);
    }
    return seqNr;
  }

  private void failed(Throwable e) {
    log.error("RocksDB journal write failed; the next write will resume the store first", e);
    lastFailure = e;
    suspect = true;
    // What landed is unknown until the store is reopened: read the fence from it again.
    highest.clear();
  }

  private boolean resume() {
    long now = System.nanoTime();
    if (lastResumeAttempt != 0 && now - lastResumeAttempt < resumeIntervalNanos) {
      return false;
    }
    lastResumeAttempt = now;
    try {
      store.reopen();
      suspect = false;
      log.info("RocksDB journal resumed after: {}", describe(lastFailure));
      return true;
    } catch (RocksDBException | RuntimeException e) {
      lastFailure = e;
      log.warn("RocksDB journal could not resume yet: {}", describe(e));
      return false;
    }
  }

  private void syncIfEverysec() {
    if (mode == AppendFsync.EVERYSEC && unsynced.getAndSet(false)) {
      syncWal();
    }
  }

  private void syncWal() {
    try (RocksStore.Use use = store.use()) {
      use.handles().db().syncWal();
    } catch (RocksDBException | RuntimeException e) {
      unsynced.set(true); // try again on the next tick; the next write resumes the store
      log.warn("RocksDB WAL sync failed: {}", describe(e));
    }
  }

  private static String describe(Throwable e) {
    if (e instanceof RocksDBException r && r.getStatus() != null) {
      return r.getStatus().getCodeString() + ": " + r.getMessage();
    }
    return e == null ? "unknown" : String.valueOf(e.getMessage());
  }
}
