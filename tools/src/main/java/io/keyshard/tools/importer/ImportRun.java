package io.keyshard.tools.importer;

import io.keyshard.persistence.rdb.DumpPayload;
import io.keyshard.tools.Address;
import io.keyshard.tools.Progress;
import io.keyshard.tools.ToolException;
import io.keyshard.tools.Topology;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * One import: every database of every source primary (or the one database the source address
 * names) walked with SCAN, each batch read ({@link SourceReads}), written ({@link TargetWriter})
 * and acknowledged before the state file records the cursor after it. Run again with the same
 * state file, it goes on from the last recorded cursor: the batch in flight when it stopped is
 * copied again (a RESTORE replaces a key whole, so nothing is doubled), and a big key left half
 * copied is deleted on the target and copied again.
 */
final class ImportRun {
  private ImportRun() {}

  /** Keys asked of SCAN at a time: a batch, checkpointed once the target acknowledged it. */
  static final int BATCH = 1000;

  private static final int UNSUPPORTED_LISTED = 100;

  static ImportState run(
      Address from, Address to, TargetWriter.Existing existing, Path stateFile, long rate, int connections, PrintStream log)
      throws ToolException, IOException {
    Topology source = Topology.discover(from);
    ImportState state = loadOrCreate(from, to, existing, stateFile, source, log);
    if (state.finished) {
      log.println("the import from " + from + " to " + to + " is already done (" + stateFile + "); --verify checks it");
      return state;
    }
    Integer intoDb = to.db();
    if (intoDb != null && state.parts.stream().map(p -> p.db).distinct().count() > 1) {
      throw new ToolException(ToolException.USAGE, "--to names database " + intoDb + " but the source has several: name one in --from too");
    }
    boolean resumed = state.keys > 0 || state.parts.stream().anyMatch(p -> !"0".equals(p.cursor) || p.done);
    try (TargetWriter writer = new TargetWriter(to, existing);
        Workers workers = new Workers(connections, to, existing)) {
      if (resumed) {
        writer.replaceExisting(); // the keys there are this import's
        workers.replaceExisting();
        log.println("resuming the import recorded in " + stateFile + " (" + state.keys + " keys copied)");
      } else if (existing == TargetWriter.Existing.REFUSE) {
        refuseIfHoldsKeys(writer.topology());
      }
      // The function libraries first, with the keys' policy (a resumed run's are its own).
      ImportFunctions.copy(
          source, writer.topology(), !resumed && existing == TargetWriter.Existing.REFUSE,
          resumed || existing == TargetWriter.Existing.REPLACE, log);
      state.write(stateFile);
      if (state.inProgress != null) {
        state.inProgressKeys.add(state.inProgress); // a state file of an earlier version
        state.inProgress = null;
      }
      for (ImportState.InProgress half : state.inProgressKeys) {
        // Half copied when the last run stopped: deleted, then copied again with its batch.
        writer.delete(half.db, List.of(Base64.getDecoder().decode(half.key)));
      }
      state.inProgressKeys.clear();
      state.write(stateFile);
      boolean dump = supportsDump(source.shards().get(0).address());
      if (!dump) {
        log.println(from + " has no DUMP: every key is read by its type");
      }
      Progress progress = Progress.onStderr("import", 0);
      long started = System.nanoTime();
      long startKeys = state.keys;
      for (ImportState.Part part : state.parts) {
        if (part.done) {
          continue;
        }
        Address node = addressOf(source, part.node);
        for (int attempt = 1; ; attempt++) {
          try (Jedis src = node.connect()) {
            walk(part, src, node, dump, intoDb, workers, state, stateFile, rate, started, startKeys, progress, log);
            break;
          } catch (JedisConnectionException e) {
            // The source went away: wait for it (it may be restarting), then go on from the last
            // acknowledged batch; a restarted source is walked again (its run_id says so).
            if (attempt >= SOURCE_ATTEMPTS) {
              throw new ToolException(
                  ToolException.REFUSED, ToolException.explain(node, e) + "; gave up after " + attempt
                      + " attempts: run the same command again to go on", e);
            }
            long wait = Math.min(16_000L, 1000L << (attempt - 1));
            progress.interrupt();
            log.println(ToolException.explain(node, e) + ": trying again in " + wait / 1000 + " s (" + attempt + " of " + SOURCE_ATTEMPTS + ")");
            sleep(wait);
            workers.reconnectSources();
          } catch (JedisDataException e) {
            throw new ToolException(ToolException.REFUSED, ToolException.explain(node, e), e);
          } catch (JedisException e) {
            throw new ToolException(
                ToolException.REFUSED, ToolException.explain(node, e) + "; run the same command again to go on", e);
          }
        }
      }
      if (state.slotMap != null) {
        recopyMovedSlots(from, dump, intoDb, writer, state, stateFile, log);
      }
      progress.done(state.keys, state.bytes);
      state.finished = true;
      state.write(stateFile);
      log.println(
          "imported " + (state.keys - state.skippedExisting) + " keys (" + state.bytes + " bytes read) from " + from + " to " + to
              + (state.gone > 0 ? "; " + state.gone + " expired or deleted before they were read" : "")
              + (state.skippedExisting > 0 ? "; " + state.skippedExisting + " existing keys kept" : "")
              + (state.retried > 0 ? "; " + state.retried + " sent again after a retriable error" : ""));
      if (state.unsupported > 0) {
        log.println(
            state.unsupported + " keys of types Keyshard does not hold were not copied (listed in " + stateFile + "):");
        state.unsupportedKeys.stream().limit(20).forEach(k -> log.println("  " + k));
      }
      return state;
    }
  }

  /** Connections to a source that went away, before the run stops (about a minute of waiting). */
  static final int SOURCE_ATTEMPTS = 7;

  /** A batch handed to the workers: acknowledged, the walk may record the cursor after it. */
  private record Batch(java.util.concurrent.Future<Tally> copied, String cursor, boolean last) {}

  /**
   * One source primary's database, from its recorded cursor to the end of the SCAN: this thread
   * scans and hands the batches to the workers; a batch's cursor is recorded once it and every
   * batch before it are acknowledged.
   */
  private static void walk(
      ImportState.Part part, Jedis src, Address node, boolean dump, Integer intoDb, Workers workers, ImportState state,
      Path stateFile, long rate, long started, long startKeys, Progress progress, PrintStream log)
      throws ToolException, IOException {
    String runId = runId(src);
    if (!runId.equals(part.runId) && !"0".equals(part.cursor)) {
      progress.interrupt();
      log.println(
          node + " restarted since the last run (run_id changed): its SCAN cursor means nothing now; database "
              + part.db + " is walked again from the start (keys copied before are copied again)");
      part.cursor = "0";
      part.restarts++;
    }
    part.runId = runId;
    src.select(part.db);
    int targetDb = intoDb != null ? intoDb : part.db;
    ScanParams params = new ScanParams().count(BATCH);
    BigKeyLog bigKeys = stateLog(state, stateFile);
    java.util.ArrayDeque<Batch> inFlight = new java.util.ArrayDeque<>();
    String cursor = part.cursor;
    try {
      boolean last;
      do {
        ScanResult<byte[]> r = src.scan(cursor.getBytes(StandardCharsets.US_ASCII), params);
        cursor = r.getCursor();
        last = r.isCompleteIteration();
        inFlight.add(new Batch(workers.submit(node, part.db, r.getResult(), dump, targetDb, bigKeys), cursor, last));
        while (inFlight.size() >= 2 * workers.size() || (last && !inFlight.isEmpty())) {
          Batch b = inFlight.poll();
          Tally t = Workers.await(b.copied());
          synchronized (state) {
            t.addTo(state);
            part.cursor = b.cursor();
            part.done = b.last();
            state.write(stateFile);
          }
          progress.update(state.keys, state.bytes);
          throttle(rate, started, state.keys - startKeys);
        }
      } while (!last);
    } finally {
      // Failed: nothing may still write once this returns (a retry starts from the recorded cursor).
      for (Batch b : inFlight) {
        b.copied().cancel(false);
      }
      for (Batch b : inFlight) {
        try {
          b.copied().get();
        } catch (Exception ignored) {
          // its failure, if any, is not the one reported
        }
      }
    }
  }

  private static void sleep(long millis) throws ToolException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ToolException(ToolException.REFUSED, "interrupted; run the same command again to go on");
    }
  }

  /**
   * A source cluster: the slots whose owner changed since the copy began (a migration, a
   * failover) may hold keys that were scanned on neither node; each is copied again from its
   * owner now (CLUSTER GETKEYSINSLOT), replacing what was copied of it. Waits for a migration
   * under way to end first.
   */
  private static void recopyMovedSlots(
      Address from, boolean dump, Integer intoDb, TargetWriter writer, ImportState state, Path stateFile, PrintStream log)
      throws ToolException, IOException {
    Topology now = settled(from);
    if (state.recopy == null) {
      java.util.Map<String, String> current = slotMap(now);
      String[] before = owners(state.slotMap);
      String[] after = owners(current);
      List<Integer> moved = new ArrayList<>();
      for (int slot = 0; slot < before.length; slot++) {
        if (!java.util.Objects.equals(before[slot], after[slot])) {
          moved.add(slot);
        }
      }
      state.recopy = moved;
      state.slotMap = current;
      state.write(stateFile);
      if (!moved.isEmpty()) {
        log.println(moved.size() + " slots of the source changed owners during the copy: copying their keys again from their owners");
      }
    }
    writer.replaceExisting();
    int[] owner = now.ownerBySlot();
    int targetDb = intoDb != null ? intoDb : 0;
    while (!state.recopy.isEmpty()) {
      int slot = state.recopy.get(0);
      Address node = now.shards().get(owner[slot]).address();
      try (Jedis src = node.connect()) {
        long count = src.clusterCountKeysInSlot(slot);
        if (count > 0) {
          List<byte[]> keys = src.clusterGetKeysInSlotBinary(slot, (int) Math.min(Integer.MAX_VALUE, count));
          for (int i = 0; i < keys.size(); i += BATCH) {
            copyBatch(src, keys.subList(i, Math.min(keys.size(), i + BATCH)), dump, targetDb, writer, state, stateFile, false);
          }
        }
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, ToolException.explain(node, e) + "; run the same command again to go on", e);
      }
      state.recopy.remove(0);
      state.write(stateFile);
    }
  }

  /** The source's slot map once no slot is migrating (waits up to a minute). */
  private static Topology settled(Address from) throws ToolException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      try {
        return Topology.discover(from);
      } catch (ToolException e) {
        if (!e.getMessage().contains("is migrating") || System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(500);
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  static java.util.Map<String, String> slotMap(Topology t) {
    java.util.Map<String, String> m = new java.util.TreeMap<>();
    for (Topology.Shard s : t.shards()) {
      m.put(s.id(), Topology.ranges(s.slots()));
    }
    return m;
  }

  /** Per slot, the id of its owner in {@code map}. */
  private static String[] owners(java.util.Map<String, String> map) {
    String[] owner = new String[io.keyshard.protocol.Slots.SLOT_COUNT];
    for (java.util.Map.Entry<String, String> e : map.entrySet()) {
      String id = e.getKey();
      for (String range : e.getValue().split(" ")) {
        if (range.isEmpty()) {
          continue;
        }
        int dash = range.indexOf('-');
        int a = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
        int b = dash < 0 ? a : Integer.parseInt(range.substring(dash + 1));
        for (int s = a; s <= b; s++) {
          owner[s] = id;
        }
      }
    }
    return owner;
  }

  /** What copying some keys did; added to the state once their batch is acknowledged. */
  static final class Tally {
    long keys;
    long bytes;
    long gone;
    long deleted;
    long unsupported;
    long skippedExisting;
    long retried;
    final List<String> unsupportedKeys = new ArrayList<>();

    void addTo(ImportState s) {
      s.keys += keys;
      s.bytes += bytes;
      s.gone += gone;
      s.unsupported += unsupported;
      s.skippedExisting += skippedExisting;
      s.retried += retried;
      for (String k : unsupportedKeys) {
        if (s.unsupportedKeys.size() < UNSUPPORTED_LISTED) {
          s.unsupportedKeys.add(k);
        }
      }
    }
  }

  /**
   * Records a big key while its chunks are written: a run killed half way deletes it on the
   * target first. {@code begin} answers false if the key is being copied already (skip it).
   */
  interface BigKeyLog {
    boolean begin(byte[] key, int db) throws IOException;

    void end(byte[] key, int db) throws IOException;
  }

  /** The big keys in progress kept in the state file (written at once: it must be there first). */
  static BigKeyLog stateLog(ImportState state, Path stateFile) {
    return new BigKeyLog() {
      @Override
      public boolean begin(byte[] key, int db) throws IOException {
        synchronized (state) {
          state.inProgressKeys.add(new ImportState.InProgress(Base64.getEncoder().encodeToString(key), db));
          state.write(stateFile);
        }
        return true;
      }

      @Override
      public void end(byte[] key, int db) {
        String k = Base64.getEncoder().encodeToString(key);
        synchronized (state) {
          state.inProgressKeys.removeIf(p -> p.db == db && p.key.equals(k));
        }
      }
    };
  }

  /**
   * Copies {@code keys} of {@code src}'s selected database into {@code targetDb} and adds what it
   * did to {@code state} (one thread's use). A key gone from the source is counted, or with
   * {@code deleteGone} (a live import following writes) deleted on the target; answers how many
   * were deleted.
   */
  static long copyBatch(
      Jedis src, List<byte[]> keys, boolean dump, int targetDb, TargetWriter writer, ImportState state, Path stateFile,
      boolean deleteGone)
      throws ToolException, IOException {
    Tally t = new Tally();
    long skipped = writer.skippedExisting;
    long retried = writer.retried;
    copyBatch(src, keys, dump, targetDb, writer, t, stateLog(state, stateFile), deleteGone);
    t.skippedExisting = writer.skippedExisting - skipped;
    t.retried = writer.retried - retried;
    synchronized (state) {
      t.addTo(state);
    }
    return t.deleted;
  }

  static void copyBatch(
      Jedis src, List<byte[]> keys, boolean dump, int targetDb, TargetWriter writer, Tally t, BigKeyLog log,
      boolean deleteGone)
      throws ToolException, IOException {
    if (keys.isEmpty()) {
      return;
    }
    List<SourceReads.Read> reads = SourceReads.read(src, keys, dump);
    List<SourceReads.Big> big = new ArrayList<>();
    List<byte[]> gone = new ArrayList<>();
    for (SourceReads.Read read : reads) {
      if (deleteGone && read instanceof SourceReads.Gone g) {
        gone.add(g.key());
      } else {
        write(read, targetDb, writer, t, big);
      }
    }
    writer.delete(targetDb, gone);
    t.deleted += gone.size();
    for (Object[] refused : writer.flush()) {
      // The target could not read the source's payload: by type instead.
      for (SourceReads.Read read : SourceReads.read(src, List.of((byte[]) refused[1]), false)) {
        t.keys--; // counted when the payload was queued
        write(read, targetDb, writer, t, big);
      }
    }
    if (!writer.flush().isEmpty()) {
      throw new ToolException(ToolException.REFUSED, "the target cannot read a value Keyshard encoded for it; nothing more was copied");
    }
    for (SourceReads.Big b : big) {
      if (!log.begin(b.key(), targetDb)) {
        continue; // another connection is copying it (SCAN returned it twice)
      }
      if (writer.copyBig(targetDb, b.key(), b.expireAt(), BigKeys.chunks(src, b.key(), b.type()), false)) {
        t.keys++;
      }
      log.end(b.key(), targetDb);
    }
  }

  private static void write(SourceReads.Read read, int db, TargetWriter writer, Tally t, List<SourceReads.Big> big) {
    if (read instanceof SourceReads.Dumped d) {
      writer.restore(db, d.key(), d.payload(), d.expireAt());
      t.keys++;
      t.bytes += d.payload().length;
    } else if (read instanceof SourceReads.Whole w) {
      byte[] payload = DumpPayload.of(w.value());
      writer.restore(db, w.key(), payload, w.expireAt());
      t.keys++;
      t.bytes += payload.length;
    } else if (read instanceof SourceReads.Big b) {
      big.add(b);
    } else if (read instanceof SourceReads.Gone) {
      t.gone++;
    } else if (read instanceof SourceReads.Unsupported u) {
      t.unsupported++;
      if (t.unsupportedKeys.size() < UNSUPPORTED_LISTED) {
        t.unsupportedKeys.add("db" + db + " " + new String(u.key(), StandardCharsets.UTF_8) + " (" + u.type() + ")");
      }
    }
  }

  static ImportState loadOrCreate(
      Address from, Address to, TargetWriter.Existing existing, Path stateFile, Topology source, PrintStream log)
      throws ToolException, IOException {
    if (Files.exists(stateFile)) {
      ImportState s;
      try {
        s = ImportState.read(stateFile);
      } catch (IOException e) {
        throw new ToolException(ToolException.DAMAGED, stateFile + " is not an import's state file: " + e.getMessage(), e);
      }
      if (s.format != ImportState.FORMAT || !from.toString().equals(s.from) || !to.toString().equals(s.to)) {
        throw new ToolException(
            ToolException.USAGE,
            stateFile + " records an import from " + s.from + " to " + s.to + ": give another --state file, or delete it");
      }
      return s;
    }
    ImportState s = new ImportState();
    s.from = from.toString();
    s.to = to.toString();
    s.existing = existing.name();
    s.parts = parts(source, from.db(), new ArrayList<>());
    s.slotMap = source.cluster() ? slotMap(source) : null;
    return s; // written once the target is found fit
  }

  /** A part per source primary and database holding keys (database 0 only in a cluster). */
  private static List<ImportState.Part> parts(Topology source, Integer onlyDb, List<ImportState.Part> out)
      throws ToolException {
    for (Topology.Shard shard : source.shards()) {
      try (Jedis j = shard.address().connect()) {
        String runId = runId(j);
        if (onlyDb != null) {
          out.add(new ImportState.Part(shard.address().toString(), runId, onlyDb));
          continue;
        }
        for (int db : Topology.keysByDb(j).keySet()) {
          out.add(new ImportState.Part(shard.address().toString(), runId, db));
        }
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, ToolException.explain(shard.address(), e), e);
      }
    }
    return out;
  }

  private static Address addressOf(Topology t, String node) throws ToolException {
    for (Topology.Shard s : t.shards()) {
      if (s.address().toString().equals(node)) {
        return s.address();
      }
    }
    throw new ToolException(
        ToolException.REFUSED, "the source has no primary " + node + " any more (recorded in the state file): delete the state file and start over");
  }

  private static String runId(Jedis j) {
    for (String line : j.info("server").split("\r?\n")) {
      if (line.startsWith("run_id:")) {
        return line.substring(7).trim();
      }
    }
    return "";
  }

  /** Whether the source answers DUMP (Pika does not; a renamed command does not either). */
  private static boolean supportsDump(Address a) throws ToolException {
    try (Jedis j = a.connect()) {
      j.dump("keyshard-import-probe-" + System.nanoTime());
      return true;
    } catch (JedisDataException e) {
      // A cluster node answers MOVED for a key of another node's slot: it has DUMP.
      return SourceReads.movedAway(e);
    } catch (JedisException e) {
      throw new ToolException(ToolException.REFUSED, ToolException.explain(a, e), e);
    }
  }

  /** The keys every primary of {@code target} holds, over all databases. */
  static long targetKeys(Topology target) throws ToolException {
    long keys = 0;
    for (Topology.Shard shard : target.shards()) {
      try (Jedis j = shard.address().connect()) {
        keys += Topology.keysByDb(j).values().stream().mapToLong(Long::longValue).sum();
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, ToolException.explain(shard.address(), e), e);
      }
    }
    return keys;
  }

  static void refuseIfHoldsKeys(Topology target) throws ToolException {
    long keys = targetKeys(target);
    if (keys > 0) {
      throw new ToolException(
          ToolException.REFUSED,
          "the target holds " + keys + " keys; refused: --replace overwrites the keys that exist, --skip-existing keeps them");
    }
  }

  /** Sleeps as needed to keep to {@code rate} keys per second (0: no limit). */
  static void throttle(long rate, long startedNanos, long keys) {
    if (rate <= 0) {
      return;
    }
    long dueNanos = keys * 1_000_000_000L / rate;
    long ahead = dueNanos - (System.nanoTime() - startedNanos);
    if (ahead > 0) {
      try {
        Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
