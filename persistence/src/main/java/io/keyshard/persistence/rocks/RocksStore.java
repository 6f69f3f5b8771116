package io.keyshard.persistence.rocks;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.pekko.actor.ActorSystem;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Statistics;
import org.rocksdb.TickerType;
import org.rocksdb.WriteBufferManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One RocksDB directory: the journal and the snapshot store of a node share it, and so do two
 * incarnations of a node in one JVM (RocksDB lets a process open a directory once, and one
 * writer per directory is what makes the sequence-number fence hold). {@link #acquire} and
 * {@link #release} count the users; the last release closes it. Another process is kept out by
 * RocksDB's own LOCK file.
 *
 * <p>Memory outside the heap is capped: one LRU block cache of {@code memory.total} holds data,
 * index and filter blocks, and the memtables are charged to it through a WriteBufferManager
 * limited to {@code memory.write-buffers}.
 */
public final class RocksStore {
  private static final Logger log = LoggerFactory.getLogger(RocksStore.class);
  private static final Map<Path, RocksStore> open = new HashMap<>();

  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final RocksSettings settings;
  private final Statistics statistics = new Statistics();
  private final LRUCache cache;
  private final WriteBufferManager writeBufferManager;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final ReentrantReadWriteLock handleLock = new ReentrantReadWriteLock();
  private final GroupCommitWriter writer;
  private volatile Handles handles;
  private int users;

  /** The store a plugin's config section names in its {@code store} key, acquired for it. */
  static RocksStore acquireFor(ActorSystem system, Config pluginConfig) {
    return acquire(
        RocksSettings.from(system.settings().config().getConfig(pluginConfig.getString("store"))));
  }

  /** Opens the store of settings.dir(), or joins it if this JVM has it open already. */
  public static RocksStore acquire(RocksSettings settings) {
    Path dir = settings.dir().toAbsolutePath().normalize();
    synchronized (open) {
      RocksStore store = open.get(dir);
      if (store == null) {
        try {
          store = new RocksStore(dir, settings);
        } catch (RocksDBException e) {
          throw new IllegalStateException("cannot open the RocksDB journal in " + dir + ": "
              + e.getMessage(), e);
        }
        open.put(dir, store);
      } else if (!store.settings.withDir(dir).equals(settings.withDir(dir))) {
        log.warn("RocksDB journal {} is already open with {}; {} ignored", dir, store.settings,
            settings);
      }
      store.users++;
      return store;
    }
  }

  /** Closes the store when its last user releases it: queued writes are written first. */
  public void release() {
    synchronized (open) {
      if (--users > 0) {
        return;
      }
      open.remove(dir);
    }
    if (!writer.stop()) {
      // A native call that never returns: closing under it would crash the JVM.
      log.error("RocksDB journal writer did not stop; {} is left open", dir);
      return;
    }
    handleLock.writeLock().lock();
    try {
      if (handles != null) {
        flushForNextOpen(handles);
        handles.close();
      }
    } finally {
      handleLock.writeLock().unlock();
    }
    cfOptions.close();
    dbOptions.close();
    writeBufferManager.close();
    cache.close();
    statistics.close();
  }

  private RocksStore(Path dir, RocksSettings settings) throws RocksDBException {
    this.dir = dir;
    this.settings = settings;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir, e);
    }
    cache = new LRUCache(settings.memoryBytes());
    writeBufferManager = new WriteBufferManager(settings.writeBufferBytes(), cache);
    dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setStatistics(statistics)
        .setWriteBufferManager(writeBufferManager)
        // RocksDB's own recovery is off: with it (an SstFileManager, or retries of retryable
        // errors) a write on a full disk blocked inside RocksDB until space came back, where a
        // client must get an error at once. The writer resumes the store itself instead.
        .setMaxBgErrorResumeCount(0)
        .setMaxBackgroundJobs(2)
        // Every batch puts into the highest family and snapshots come rarely: their memtables
        // keep each WAL file alive long after the events in it were flushed, until the WALs
        // reach this cap and RocksDB flushes them. At 64 MiB the WAL alone was the whole
        // "+ 64 MB" of disk beyond the live data (bench/overwrite.sh); at half the write buffers
        // the WAL stays near what the memtables hold (docs/decisions/2026-12-06-bounded-journal.md).
        .setMaxTotalWalSize(Math.max(1L << 20, settings.writeBufferBytes() / 2))
        // fallocate stays on: without it appendfsync always acknowledged ~45% fewer events/s
        // (JournalBench, 16 and 256 writers). The blocks it reserves are kept small below.
        .setKeepLogFileNum(3)
        .setMaxLogFileSize(8L << 20);
    BlockBasedTableConfig table = new BlockBasedTableConfig()
        .setBlockCache(cache)
        .setCacheIndexAndFilterBlocks(true)
        .setPinL0FilterAndIndexBlocksInCache(true);
    // A quarter of the write buffers: the WAL cap (half) flushes the memtables anyway, and
    // RocksDB reserves the open WAL file in blocks of 1.1 x this size.
    long memtableBytes = Math.min(settings.writeBufferBytes() / 4, 8L << 20);
    cfOptions = new ColumnFamilyOptions()
        .setTableFormatConfig(table)
        .setWriteBufferSize(memtableBytes)
        // A compaction reserves each output file at 1.1 x its target size while it writes it:
        // 70 MB at the default 64 MiB, peaks of +40-70 MB in du while loading. The journal's
        // live part is tens of MB, so files of a memtable's size cost nothing.
        .setTargetFileSizeBase(memtableBytes)
        // Deleted events and snapshots (range tombstones) leave the disk only when a compaction
        // brings them together with the data; level-0 files are compacted into the bottom
        // level from two on (RocksDB: four), so at most about two memtables' worth of deleted
        // data waits per family. The bottom level is the live journal, rewritten each time.
        .setLevel0FileNumCompactionTrigger(2);
    handles = openHandles();
    writer = new GroupCommitWriter(this, settings);
    log.info("RocksDB journal open in {} (appendfsync {}, memory {} MB of which write buffers {} MB)",
        dir, settings.appendFsync().redisName(), settings.memoryBytes() >> 20,
        settings.writeBufferBytes() >> 20);
  }

  /**
   * A clean stop writes the memtables out: RocksDB's close leaves them in the WAL, and the next
   * open replayed up to max-total-wal-size (64 MB) of it, then flushed it again, before anything
   * else could start (1.7 s of a 1M-key node's restart). After a crash the WAL is replayed as
   * before. A failure here (a full disk) loses nothing: the WAL still holds it all.
   */
  private void flushForNextOpen(Handles h) {
    long started = System.nanoTime();
    try (FlushOptions options = new FlushOptions().setWaitForFlush(true)) {
      h.db().flush(options, h.all());
      log.info("RocksDB journal's memtables written out for the next start in {} ms",
          (System.nanoTime() - started) / 1_000_000);
    } catch (RocksDBException e) {
      log.warn("RocksDB journal's memtables not written out at stop ({}); the next start replays"
          + " its WAL", e.getMessage());
    }
  }

  private Handles openHandles() throws RocksDBException {
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(bytes("events"), cfOptions),
        new ColumnFamilyDescriptor(bytes("highest"), cfOptions),
        new ColumnFamilyDescriptor(bytes("snapshots"), cfOptions));
    List<ColumnFamilyHandle> cfs = new ArrayList<>();
    RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, cfs);
    return new Handles(db, cfs.get(1), cfs.get(2), cfs.get(3), List.copyOf(cfs));
  }

  /**
   * Closes and opens the database again: what DB::Resume does, which RocksJava lacks. While the
   * open fails (a disk still full) there are no handles: a reader gets
   * JournalUnavailableException instead of a native call on a closed database (which crashed
   * the JVM in a slot's recovery during JournalDiskFullTest).
   */
  void reopen() throws RocksDBException {
    handleLock.writeLock().lock();
    try {
      if (handles != null) {
        handles.close();
        handles = null;
      }
      handles = openHandles();
    } finally {
      handleLock.writeLock().unlock();
    }
  }

  /** Holds the handles open (no reopen) while a caller uses them. */
  final class Use implements AutoCloseable {
    private final Lock lock = handleLock.readLock();

    Use() {
      lock.lock();
    }

    Handles handles() {
      Handles h = handles;
      if (h == null) {
        // Only the writer resumes the store; a node whose slots are all recovering sends no
        // write, so a reader asks it to try (at most every resume-interval; the op is empty).
        writer.submit(new WriteOp.ResumeProbe());
        throw new JournalUnavailableException(
            "journal unavailable (reopening after a failed write), nothing was read or written",
            null);
      }
      return h;
    }

    @Override
    public void close() {
      lock.unlock();
    }
  }

  Use use() {
    return new Use();
  }

  CompletableFuture<Void> write(WriteOp op) {
    writer.submit(op);
    return op.done;
  }

  public AppendFsync appendFsync() {
    return writer.mode();
  }

  /** Takes effect for the next batch; CONFIG SET appendfsync calls this. */
  public void setAppendFsync(AppendFsync mode) {
    writer.setMode(mode);
    log.info("RocksDB journal appendfsync is now {}", mode.redisName());
  }

  /** WAL syncs RocksDB itself counted (its WAL_FILE_SYNCED ticker) since the store opened. */
  public long walSyncs() {
    return statistics.getTickerCount(TickerType.WAL_FILE_SYNCED);
  }

  public Path dir() {
    return dir;
  }

  /** A RocksDB property (e.g. rocksdb.cur-size-all-mem-tables), for reports. */
  public String property(String name) throws RocksDBException {
    try (Use use = use()) {
      return use.handles().db().getProperty(name);
    }
  }

  public long blockCacheUsage() {
    return cache.getUsage();
  }

  /**
   * Every persistence id that ever wrote an event (the keys of the highest family, which deletes
   * never touch), in byte order: what a node wakes slots from when its index does not know them.
   */
  public List<String> persistenceIds() throws RocksDBException {
    List<String> ids = new ArrayList<>();
    try (Use use = use();
        RocksIterator it = use.handles().db().newIterator(use.handles().highest())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        ids.add(new String(it.key(), StandardCharsets.UTF_8));
      }
      it.status();
    }
    return ids;
  }

  /** What {@link #exportAll} hands over, in key order within each kind. */
  public interface RawVisitor {
    void event(RawRecords.Event event);

    void snapshot(RawRecords.Snapshot snapshot);

    void highest(String persistenceId, long seqNr);
  }

  /** Every event, then every snapshot, then every highest sequence number (the converter). */
  public void exportAll(RawVisitor visitor) throws RocksDBException {
    try (Use use = use();
        RocksIterator events = use.handles().db().newIterator(use.handles().events());
        RocksIterator snapshots = use.handles().db().newIterator(use.handles().snapshots());
        RocksIterator highest = use.handles().db().newIterator(use.handles().highest())) {
      for (events.seekToFirst(); events.isValid(); events.next()) {
        byte[] key = events.key();
        visitor.event(RawRecords.decodeEvent(KeyLayout.idOf(key), KeyLayout.seqNr(key), events.value()));
      }
      events.status();
      for (snapshots.seekToFirst(); snapshots.isValid(); snapshots.next()) {
        byte[] key = snapshots.key();
        visitor.snapshot(
            RawRecords.decodeSnapshot(KeyLayout.idOf(key), KeyLayout.seqNr(key), snapshots.value()));
      }
      snapshots.status();
      for (highest.seekToFirst(); highest.isValid(); highest.next()) {
        visitor.highest(new String(highest.key(), StandardCharsets.UTF_8), KeyLayout.seqNrOf(highest.value()));
      }
      highest.status();
    }
  }

  /**
   * Stores converted records as they are (same sequence numbers, bytes and times) and raises the
   * highest sequence numbers to at least {@code highest}'s; through the writer, synced. For an
   * empty store only: it does not check the fence (the converter refuses a non-empty target).
   */
  public CompletableFuture<Void> importRaw(List<RawRecords.Event> events,
      List<RawRecords.Snapshot> snapshots, Map<String, Long> highest) {
    return write(new WriteOp.Import(events, snapshots, highest));
  }

  /** Whether the store holds no event, snapshot or sequence number. */
  public boolean isEmpty() throws RocksDBException {
    try (Use use = use()) {
      for (ColumnFamilyHandle cf : List.of(use.handles().events(), use.handles().snapshots(),
          use.handles().highest())) {
        try (RocksIterator it = use.handles().db().newIterator(cf)) {
          it.seekToFirst();
          if (it.isValid()) {
            return false;
          }
          it.status();
        }
      }
    }
    return true;
  }

  /**
   * What {@link RecoveryCursor#read} hands over for one persistence id, in this order. A record
   * is the first {@code length} bytes of {@code record}, a buffer the cursor reuses: valid only
   * during the call.
   */
  public interface RecoveryVisitor {
    /** The id's newest snapshot record, if it has one. */
    void snapshot(long seqNr, byte[] record, int length);

    /** Each stored event after that snapshot, in sequence order. */
    void event(long seqNr, byte[] record, int length);
  }

  /**
   * Reads what recovers persistence ids, for a bulk load at start (a node's preload): per id the
   * newest snapshot and the events after it, as stored. One cursor per thread; it keeps two
   * iterators for all the ids it reads and holds the handles open (no reopen) until closed, so
   * reading many ids in key order is a walk, not a new iterator per id; keys and values are
   * copied into buffers it reuses, not into an array per record.
   */
  public RecoveryCursor recoveryCursor() {
    return new RecoveryCursor();
  }

  public final class RecoveryCursor implements AutoCloseable {
    private final Use use = use();
    // A one-time walk: its blocks would only push what serving needs out of the block cache.
    private final ReadOptions options = new ReadOptions().setFillCache(false);
    private final RocksIterator snapshots;
    private final RocksIterator events;
    private byte[] key = new byte[64];
    private byte[] value = new byte[4096];

    private RecoveryCursor() {
      try {
        Handles h = use.handles();
        snapshots = h.db().newIterator(h.snapshots(), options);
        events = h.db().newIterator(h.events(), options);
      } catch (RuntimeException e) {
        options.close();
        use.close();
        throw e;
      }
    }

    public void read(String persistenceId, RecoveryVisitor visitor) throws RocksDBException {
      byte[] prefix = KeyLayout.prefix(persistenceId);
      long from = 0;
      snapshots.seekForPrev(KeyLayout.endOf(persistenceId));
      if (snapshots.isValid()) {
        int keyLength = key(snapshots);
        if (KeyLayout.hasPrefix(key, keyLength, prefix)) {
          from = KeyLayout.seqNr(key, keyLength);
          visitor.snapshot(from, value, value(snapshots));
        }
      }
      snapshots.status();
      for (events.seek(KeyLayout.key(persistenceId, from + 1)); events.isValid(); events.next()) {
        int keyLength = key(events);
        if (!KeyLayout.hasPrefix(key, keyLength, prefix)) {
          break;
        }
        visitor.event(KeyLayout.seqNr(key, keyLength), value, value(events));
      }
      events.status();
    }

    /** The iterator's key into {@link #key} (grown if it is too small); its length. */
    private int key(RocksIterator it) {
      int length = it.key(key);
      if (length > key.length) {
        key = new byte[length];
        it.key(key);
      }
      return length;
    }

    private int value(RocksIterator it) {
      int length = it.value(value);
      if (length > value.length) {
        value = new byte[Math.max(length, value.length * 2)];
        it.value(value);
      }
      return length;
    }

    @Override
    public void close() {
      try {
        snapshots.close();
        events.close();
        options.close();
      } finally {
        use.close();
      }
    }
  }

  /**
   * A consistent read view of the store as it is now (a RocksDB snapshot over every family), for
   * rebuilding persistence ids as they were at a past instant (a point-in-time backup): writes,
   * trims and compactions after it opens do not change what it reads. Close it: it pins the
   * versions it sees, and the store's handles, until then.
   */
  public HistoryView historyView() {
    return new HistoryView();
  }

  public final class HistoryView implements AutoCloseable {
    private final Use use = use();
    private final org.rocksdb.Snapshot snapshot;
    private final ReadOptions options;

    private HistoryView() {
      try {
        snapshot = use.handles().db().getSnapshot();
        options = new ReadOptions().setSnapshot(snapshot).setFillCache(false);
      } catch (RuntimeException e) {
        use.close();
        throw e;
      }
    }

    /** Every persistence id that ever wrote an event, as of the view. */
    public List<String> persistenceIds() throws RocksDBException {
      List<String> ids = new ArrayList<>();
      try (RocksIterator it = use.handles().db().newIterator(use.handles().highest(), options)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          ids.add(new String(it.key(), StandardCharsets.UTF_8));
        }
        it.status();
      }
      return ids;
    }

    /**
     * Hands {@code visitor} what rebuilds {@code persistenceId} as it was just before {@code at}
     * (Unix ms): its newest snapshot saved before {@code at}, then the events after it in
     * sequence order up to the first one written at or after {@code at}. Answers false, having
     * handed over nothing, when the store no longer holds that (the snapshot needed is gone, or
     * the events after the one it found are: a trim). An id whose events start at 1 needs no
     * snapshot.
     */
    public boolean read(String persistenceId, long at, RecoveryVisitor visitor)
        throws RocksDBException {
      byte[] prefix = KeyLayout.prefix(persistenceId);
      long from = 0;
      byte[] snapshotRecord = null;
      try (RocksIterator it = use.handles().db().newIterator(use.handles().snapshots(), options)) {
        for (it.seekForPrev(KeyLayout.endOf(persistenceId)); it.isValid(); it.prev()) {
          byte[] key = it.key();
          if (!KeyLayout.hasPrefix(key, key.length, prefix)) {
            break;
          }
          byte[] value = it.value();
          if (recordTime(value) < at) {
            from = KeyLayout.seqNr(key);
            snapshotRecord = value;
            break;
          }
        }
        it.status();
      }
      List<Long> seqs = new ArrayList<>();
      List<byte[]> records = new ArrayList<>();
      try (RocksIterator it = use.handles().db().newIterator(use.handles().events(), options)) {
        long expected = from + 1;
        boolean reachedAt = false;
        for (it.seek(KeyLayout.key(persistenceId, expected)); it.isValid(); it.next()) {
          byte[] key = it.key();
          if (!KeyLayout.hasPrefix(key, key.length, prefix)) {
            break;
          }
          long seqNr = KeyLayout.seqNr(key);
          if (seqNr != expected) {
            return false; // events deleted after the snapshot found: trimmed past it
          }
          byte[] value = it.value();
          if (recordTime(value) >= at) {
            reachedAt = true;
            break;
          }
          seqs.add(seqNr);
          records.add(value);
          expected++;
        }
        it.status();
        // Ran out of events before the highest number ever written: the rest were deleted (a
        // trim to a snapshot saved at or after the instant).
        if (!reachedAt && expected - 1 < KeyLayout.seqNrOf(use.handles().db().get(use.handles().highest(),
            options, KeyLayout.idBytes(persistenceId)))) {
          return false;
        }
      }
      if (snapshotRecord != null) {
        visitor.snapshot(from, snapshotRecord, snapshotRecord.length);
      }
      for (int i = 0; i < records.size(); i++) {
        visitor.event(seqs.get(i), records.get(i), records.get(i).length);
      }
      return true;
    }

    /**
     * Hands {@code visitor} every stored event of {@code persistenceId} written at or after
     * {@code at}, in sequence order. Answers false when the store cannot tell them all: events
     * deleted (trimmed) whose times it no longer knows may have been written after {@code at}.
     */
    public boolean since(String persistenceId, long at, RecoveryVisitor visitor) throws RocksDBException {
      byte[] prefix = KeyLayout.prefix(persistenceId);
      long highest = KeyLayout.seqNrOf(use.handles().db().get(use.handles().highest(), options,
          KeyLayout.idBytes(persistenceId)));
      if (highest == 0) {
        return true;
      }
      boolean first = true;
      try (RocksIterator it = use.handles().db().newIterator(use.handles().events(), options)) {
        for (it.seek(KeyLayout.key(persistenceId, 0)); it.isValid(); it.next()) {
          byte[] key = it.key();
          if (!KeyLayout.hasPrefix(key, key.length, prefix)) {
            break;
          }
          long seqNr = KeyLayout.seqNr(key);
          byte[] value = it.value();
          long time = recordTime(value);
          if (first) {
            first = false;
            if (seqNr != 1 && time >= at && !snapshotBefore(persistenceId, seqNr - 1, at)) {
              return false; // the events before this one are gone, and so are their times
            }
          }
          if (time >= at) {
            visitor.event(seqNr, value, value.length);
          }
        }
        it.status();
      }
      return !first || snapshotBefore(persistenceId, highest, at);
    }

    /** Whether the snapshot at exactly {@code seqNr} is stored and was saved before {@code at}. */
    private boolean snapshotBefore(String persistenceId, long seqNr, long at) throws RocksDBException {
      byte[] record = use.handles().db().get(use.handles().snapshots(), options, KeyLayout.key(persistenceId, seqNr));
      return record != null && recordTime(record) < at;
    }

    /**
     * The earliest instant {@link #read} can rebuild {@code persistenceId} at: 0 when its events
     * start at 1, else the time of its oldest snapshot that the stored events follow on from, or
     * Long.MAX_VALUE when none does.
     */
    public long earliest(String persistenceId) throws RocksDBException {
      byte[] prefix = KeyLayout.prefix(persistenceId);
      long firstEvent = Long.MAX_VALUE;
      try (RocksIterator it = use.handles().db().newIterator(use.handles().events(), options)) {
        it.seek(KeyLayout.key(persistenceId, 0));
        if (it.isValid() && KeyLayout.hasPrefix(it.key(), it.key().length, prefix)) {
          firstEvent = KeyLayout.seqNr(it.key());
        }
        it.status();
      }
      if (firstEvent == 1) {
        return 0;
      }
      // With no event left, the snapshot needed is one at the highest number ever written.
      long needed = firstEvent != Long.MAX_VALUE ? firstEvent
          : KeyLayout.seqNrOf(use.handles().db().get(use.handles().highest(), options,
              KeyLayout.idBytes(persistenceId))) + 1;
      try (RocksIterator it = use.handles().db().newIterator(use.handles().snapshots(), options)) {
        for (it.seek(KeyLayout.key(persistenceId, 0)); it.isValid(); it.next()) {
          byte[] key = it.key();
          if (!KeyLayout.hasPrefix(key, key.length, prefix)) {
            break;
          }
          if (KeyLayout.seqNr(key) + 1 >= needed) {
            return recordTime(it.value());
          }
        }
        it.status();
      }
      return Long.MAX_VALUE;
    }

    @Override
    public void close() {
      try {
        options.close();
        use.handles().db().releaseSnapshot(snapshot);
      } finally {
        use.close();
      }
    }
  }

  /**
   * The time in a stored record: an event's journal write time, a snapshot's save time (both
   * the 8 bytes after the version byte, RecordCodec's layout).
   */
  static long recordTime(byte[] record) {
    long t = 0;
    for (int i = 1; i <= 8; i++) {
      t = (t << 8) | (record[i] & 0xFF);
    }
    return t;
  }

  long readHighestSeqNr(String persistenceId) throws RocksDBException {
    try (Use use = use()) {
      Handles h = use.handles();
      return KeyLayout.seqNrOf(h.db().get(h.highest(), KeyLayout.idBytes(persistenceId)));
    }
  }

  /** Visits the stored events of an id in [from, to], at most max of them, in order. */
  void scanEvents(String persistenceId, long from, long to, long max, EntryVisitor visitor)
      throws RocksDBException {
    if (max <= 0 || to < from) {
      return;
    }
    try (Use use = use();
        Slice upper = new Slice(KeyLayout.after(persistenceId, to));
        ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
        RocksIterator it = use.handles().db().newIterator(use.handles().events(), options)) {
      long count = 0;
      for (it.seek(KeyLayout.key(persistenceId, Math.max(0, from)));
          it.isValid() && count < max; it.next(), count++) {
        visitor.visit(KeyLayout.seqNr(it.key()), it.value());
      }
      it.status();
    }
  }

  /**
   * Visits an id's snapshots from the highest sequence number at or below maxSeqNr down to
   * minSeqNr, until the visitor returns false.
   */
  void scanSnapshotsDescending(String persistenceId, long maxSeqNr, long minSeqNr,
      SnapshotVisitor visitor) throws RocksDBException {
    if (maxSeqNr < minSeqNr) {
      return;
    }
    try (Use use = use();
        Slice lower = new Slice(KeyLayout.key(persistenceId, Math.max(0, minSeqNr)));
        ReadOptions options = new ReadOptions().setIterateLowerBound(lower);
        RocksIterator it = use.handles().db().newIterator(use.handles().snapshots(), options)) {
      for (it.seekForPrev(KeyLayout.key(persistenceId, maxSeqNr)); it.isValid(); it.prev()) {
        if (!visitor.visit(KeyLayout.seqNr(it.key()), it.value())) {
          return;
        }
      }
      it.status();
    }
  }

  interface EntryVisitor {
    void visit(long seqNr, byte[] value);
  }

  interface SnapshotVisitor {
    boolean visit(long seqNr, byte[] value);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
