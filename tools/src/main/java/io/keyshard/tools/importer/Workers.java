package io.keyshard.tools.importer;

import io.keyshard.tools.Address;
import io.keyshard.tools.ToolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import redis.clients.jedis.Jedis;

/**
 * The connections an import copies through: each of {@code size} threads reads its batches with
 * its own source connection and writes them with its own {@link TargetWriter} (its own pipeline to
 * every target primary), so reading one batch, writing another and waiting for a third overlap.
 * The walk that hands out the batches records a cursor only once every batch before it is
 * acknowledged ({@link ImportRun}), so a kill never skips a batch.
 */
final class Workers implements AutoCloseable {
  /** One thread's connections. */
  private static final class Conn {
    TargetWriter writer;
    Jedis source;
    Address sourceNode;
    int sourceDb = -1;
    int generation;
  }

  private final int size;
  private final Address to;
  private final TargetWriter.Existing existing;
  private final ExecutorService pool;
  private final List<Conn> all = new ArrayList<>();
  private final ThreadLocal<Conn> mine = new ThreadLocal<>();
  /** Big keys being copied now: SCAN may return a key twice, and two chunked copies would double a list. */
  private final Set<ByteBuffer> bigKeys = ConcurrentHashMap.newKeySet();
  private volatile boolean replace;
  private volatile int generation;

  Workers(int size, Address to, TargetWriter.Existing existing) {
    this.size = size;
    this.to = to;
    this.existing = existing;
    this.pool = Executors.newFixedThreadPool(size, r -> {
      Thread t = new Thread(r, "keyshard-import-copy");
      t.setDaemon(true);
      return t;
    });
  }

  int size() {
    return size;
  }

  /** From now on keys that exist are overwritten (a resumed run). */
  void replaceExisting() {
    replace = true;
  }

  /** Every thread opens a new source connection before its next batch (the source went away). */
  void reconnectSources() {
    generation++;
  }

  /** Copies {@code keys} of {@code node}'s database {@code db} into {@code targetDb}, on one of the threads. */
  Future<ImportRun.Tally> submit(
      Address node, int db, List<byte[]> keys, boolean dump, int targetDb, ImportRun.BigKeyLog log) {
    return pool.submit(() -> {
      Conn c = conn();
      source(c, node, db);
      if (replace) {
        c.writer.replaceExisting();
      }
      ImportRun.Tally t = new ImportRun.Tally();
      long skipped = c.writer.skippedExisting;
      long retried = c.writer.retried;
      ImportRun.copyBatch(c.source, keys, dump, targetDb, c.writer, t, guarded(log), false);
      t.skippedExisting = c.writer.skippedExisting - skipped;
      t.retried = c.writer.retried - retried;
      return t;
    });
  }

  /** Work on one of the threads, with its target writer and its source connections. */
  interface Task {
    ImportRun.Tally run(TargetWriter writer, Sources sources) throws Exception;
  }

  /** A thread's connection to a source node, with {@code db} selected. */
  interface Sources {
    Jedis at(Address node, int db);
  }

  /** Runs {@code task} on one of the threads. */
  Future<ImportRun.Tally> submit(Task task) {
    return pool.submit(() -> {
      Conn c = conn();
      if (replace) {
        c.writer.replaceExisting();
      }
      return task.run(c.writer, (node, db) -> source(c, node, db));
    });
  }

  private Jedis source(Conn c, Address node, int db) {
    if (c.source == null || c.generation != generation || !node.equals(c.sourceNode)) {
      closeQuietly(c.source);
      c.source = node.connect();
      c.sourceNode = node;
      c.sourceDb = -1;
      c.generation = generation;
    }
    if (c.sourceDb != db) {
      c.source.select(db);
      c.sourceDb = db;
    }
    return c.source;
  }

  private ImportRun.BigKeyLog guarded(ImportRun.BigKeyLog log) {
    return new ImportRun.BigKeyLog() {
      @Override
      public boolean begin(byte[] key, int db) throws IOException {
        return bigKeys.add(ByteBuffer.wrap(key)) && log.begin(key, db);
      }

      @Override
      public void end(byte[] key, int db) throws IOException {
        log.end(key, db);
        bigKeys.remove(ByteBuffer.wrap(key));
      }
    };
  }

  private Conn conn() throws ToolException {
    Conn c = mine.get();
    if (c == null) {
      c = new Conn();
      c.writer = new TargetWriter(to, existing);
      mine.set(c);
      synchronized (all) {
        all.add(c);
      }
    }
    return c;
  }

  /** The batch's tally once acknowledged; what failed in the thread is thrown here. */
  static ImportRun.Tally await(Future<ImportRun.Tally> f) throws ToolException, IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ToolException(ToolException.REFUSED, "interrupted; run the same command again to go on");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof ToolException t) {
        throw t;
      }
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(c);
    }
  }

  private static void closeQuietly(Jedis j) {
    if (j != null) {
      try {
        j.close();
      } catch (RuntimeException ignored) {
        // gone already
      }
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
    synchronized (all) {
      for (Conn c : all) {
        closeQuietly(c.source);
        c.writer.close();
      }
    }
  }
}
