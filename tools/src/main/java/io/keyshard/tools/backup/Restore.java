package io.keyshard.tools.backup;

import io.keyshard.persistence.rdb.DumpPayload;
import io.keyshard.persistence.rdb.RdbFileReader;
import io.keyshard.persistence.rdb.RdbFormatException;
import io.keyshard.persistence.rdb.RdbItem;
import io.keyshard.protocol.Slots;
import io.keyshard.tools.Address;
import io.keyshard.tools.Progress;
import io.keyshard.tools.ToolException;
import io.keyshard.tools.Topology;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.RestoreParams;

/**
 * {@code keyshard-backup restore}: a backup archive (verified whole first) or an RDB file written
 * by redis-server, into a standalone server or a cluster of any size. Every key goes through
 * RESTORE to the primary serving its slot (so a Keyshard target journals it like any write), in
 * pipelines; TTLs stay absolute times (ABSTTL) and keys already expired are left out. Nothing is
 * written unless the whole source reads cleanly first, the target is in one piece (no slot
 * migrating, every slot served) and, unless told otherwise, holds no keys and none of the
 * backup's function libraries by name. The libraries go first, to every target primary
 * ({@link BackupFunctions#restore}).
 */
final class Restore {
  private Restore() {}

  /** What to do with keys the target already holds. */
  enum Existing {
    REFUSE,
    REPLACE,
    SKIP
  }

  private static final int BATCH = 500;

  record Outcome(long restored, long expired, long skippedExisting, long skippedUnsupported) {}

  static Outcome run(Path source, Address to, Existing existing, boolean skipUnsupported, PrintStream log)
      throws ToolException, IOException {
    Path data;
    List<Integer> dbs;
    long total;
    String sourceId;
    List<byte[]> functions;
    if (Files.isDirectory(source)) {
      Manifest m = Verify.archive(source);
      data = source.resolve(Manifest.DATA);
      try {
        functions = BackupFunctions.head(data);
      } catch (RdbFormatException e) {
        throw new ToolException(ToolException.DAMAGED, data + " is damaged: " + e.getMessage(), e);
      }
      if (m.functions() != null && !m.functions().disagreeing().isEmpty()) {
        log.println(
            "the backup's source nodes did not hold the same function libraries (" + m.functions().disagreeing()
                + " differ): the libraries of " + Manifest.DATA + ", those most nodes held, go to every primary");
      }
      dbs = m.databases().keySet().stream().map(Integer::parseInt).toList();
      total = m.keys();
      sourceId = "backup " + m.backupId();
      log.println("archive " + source + " verified: backup " + m.backupId() + " of " + m.createdAt() + ", " + m.keys() + " keys");
    } else if (Files.isRegularFile(source)) {
      Scan scan = scan(source);
      if (!scan.unsupported.isEmpty() && !skipUnsupported) {
        StringBuilder sb = new StringBuilder(source + " holds what Keyshard cannot hold yet (" + scan.unsupportedCount + "):");
        scan.unsupported.forEach(u -> sb.append("\n  ").append(u));
        sb.append("\nrefused; --skip-unsupported restores the rest");
        throw new ToolException(ToolException.REFUSED, sb.toString());
      }
      data = source;
      functions = scan.functions;
      dbs = List.copyOf(scan.dbs);
      total = scan.keys;
      sourceId = "file " + source.toAbsolutePath() + " " + Files.size(source) + " bytes, modified " + Files.getLastModifiedTime(source);
      log.println(source + " read: " + scan.keys + " keys"
          + (functions.isEmpty() ? "" : ", " + functions.size() + " function libraries") + (scan.unsupportedCount > 0 ? ", " + scan.unsupportedCount + " items skipped (unsupported)" : ""));
    } else {
      throw new ToolException(ToolException.USAGE, source + " does not exist");
    }
    Integer intoDb = to.db();
    if (intoDb != null && dbs.size() > 1) {
      throw new ToolException(
          ToolException.USAGE, "--to names database " + intoDb + ", but the backup holds databases " + dbs + ": give no database");
    }
    Topology target = Topology.discover(to);
    Path stateFile = stateFile(source, to);
    RestoreState state = resumed(stateFile, sourceId, to);
    if (state == null) {
      refuseIfHoldsKeys(target, existing);
      if (existing == Existing.REFUSE) {
        BackupFunctions.refuseIfHeld(target, functions);
      }
      state = new RestoreState();
      state.source = sourceId;
      state.to = to.toString();
      state.existing = existing.name().toLowerCase(java.util.Locale.ROOT);
    } else {
      // The keys after the checkpoint may be this restore's own, written before it stopped: they
      // are written again (replaced), unless the first run was told to keep existing keys.
      state.runs++;
      if (existing == Existing.REFUSE) {
        existing = "skip".equals(state.existing) ? Existing.SKIP : Existing.REPLACE;
      }
      log.println(
          "resuming: " + state.entries + " of " + total + " entries were restored by an earlier run (" + stateFile + ")");
    }
    // The libraries first: a target that refuses them gets no key. On a resumed run they may be
    // the first run's, so they are replaced (or kept, as its keys are).
    BackupFunctions.restore(target, functions, existing, skipUnsupported, log);
    return write(data, target, existing, intoDb, total, state, stateFile, log);
  }

  /** Beside the archive (or RDB file), one per target: {@code <name>.restore-<host>_<port>.json}. */
  static Path stateFile(Path source, Address to) {
    Path abs = source.toAbsolutePath().normalize();
    return abs.resolveSibling(abs.getFileName() + ".restore-" + to.host() + "_" + to.port() + ".json");
  }

  /** The state an earlier, interrupted run of this restore left, or null. */
  private static RestoreState resumed(Path stateFile, String sourceId, Address to) throws ToolException {
    if (!Files.exists(stateFile)) {
      return null;
    }
    RestoreState state;
    try {
      state = RestoreState.read(stateFile);
    } catch (IOException e) {
      throw new ToolException(
          ToolException.DAMAGED, stateFile + " cannot be read (" + e.getMessage() + "); remove it to start the restore over", e);
    }
    if (state.format != RestoreState.FORMAT || !sourceId.equals(state.source) || !to.toString().equals(state.to)) {
      throw new ToolException(
          ToolException.DAMAGED,
          stateFile + " belongs to another restore (" + state.source + " into " + state.to + "); remove it to start over");
    }
    return state;
  }

  /** Entries read between checkpoints: every sink is flushed, then the state file is written. */
  private static final int CHECKPOINT = 5_000;

  private static Outcome write(
      Path data, Topology target, Existing existing, Integer intoDb, long total, RestoreState state, Path stateFile,
      PrintStream log)
      throws ToolException, IOException {
    int[] owner = target.ownerBySlot();
    List<Sink> sinks = new ArrayList<>();
    long entries = 0;
    try {
      for (Topology.Shard shard : target.shards()) {
        sinks.add(new Sink(shard.address(), existing));
      }
      long now = System.currentTimeMillis();
      long expired = state.expired;
      long unsupported = 0;
      long sent = state.restored + state.skippedExisting;
      long sinceCheckpoint = 0;
      long skipped0 = state.skippedExisting;
      long retried0 = state.retried;
      Progress progress = Progress.onStderr("restore", Files.size(data));
      try (InputStream in = new BufferedInputStream(Files.newInputStream(data), 1 << 16)) {
        RdbFileReader reader = new RdbFileReader(in, RdbFileReader.Options.DEFAULT.withDecode(false));
        for (RdbItem item = reader.next(); item != null; item = reader.next()) {
          if (item instanceof RdbItem.Unsupported) {
            unsupported++;
          } else if (item instanceof RdbItem.Entry e) {
            if (entries++ < state.entries) {
              continue;
            }
            if (e.expireAtMs() >= 0 && e.expireAtMs() <= now) {
              expired++;
            } else {
              sinks.get(owner[Slots.slot(e.key())]).restore(intoDb != null ? intoDb : e.db(), e.key(), e.encoded(), e.expireAtMs());
              sent++;
              progress.update(sent, reader.offset());
            }
            if (++sinceCheckpoint >= CHECKPOINT) {
              checkpoint(sinks, state, skipped0, retried0, entries, sent, expired, stateFile);
              sinceCheckpoint = 0;
            }
          }
        }
        for (Sink s : sinks) {
          s.flush();
        }
        progress.done(sent, reader.offset());
      } catch (RdbFormatException e) {
        // Checked before: the file changed since.
        throw new ToolException(ToolException.DAMAGED, data + " is damaged: " + e.getMessage(), e);
      }
      long skipped = skipped0 + sinks.stream().mapToLong(s -> s.skipped).sum();
      long retried = retried0 + sinks.stream().mapToLong(s -> s.retried).sum();
      Files.deleteIfExists(stateFile);
      Outcome outcome = new Outcome(sent - skipped, expired, skipped, unsupported);
      log.println(
          "restored " + outcome.restored() + " keys into the " + target.describe() + " at " + target.shards().get(0).address()
              + (state.runs > 1 ? " (over " + state.runs + " runs)" : "")
              + (expired > 0 ? "; " + expired + " already expired, left out" : "")
              + (skipped > 0 ? "; " + skipped + " existing keys kept" : "")
              + (unsupported > 0 ? "; " + unsupported + " unsupported items skipped" : "")
              + (retried > 0 ? "; " + retried + " sent again after a retriable error" : ""));
      return outcome;
    } catch (JedisException e) {
      throw new ToolException(
          ToolException.REFUSED,
          "the target failed during the restore: " + e.getMessage() + "; " + stoppedAt(state, stateFile), e);
    } catch (ToolException e) {
      throw new ToolException(e.exitCode(), e.getMessage() + "; " + stoppedAt(state, stateFile), e);
    } finally {
      for (Sink s : sinks) {
        s.close();
      }
    }
  }

  private static String stoppedAt(RestoreState state, Path stateFile) {
    if (state.entries == 0) {
      return "what was restored stays: run it again with --replace (or --skip-existing) to finish";
    }
    return "the same command goes on from entry " + state.entries + " (" + stateFile + ")";
  }

  /**
   * Waits for every sink's acknowledgements, then records that the first {@code entries} are in.
   * The counts of skipped and retried keys add this run's (the sinks') to the earlier runs' ones.
   */
  private static void checkpoint(
      List<Sink> sinks, RestoreState state, long skipped0, long retried0, long entries, long sent, long expired,
      Path stateFile)
      throws ToolException, IOException {
    for (Sink s : sinks) {
      s.flush();
    }
    state.entries = entries;
    state.expired = expired;
    state.skippedExisting = skipped0 + sinks.stream().mapToLong(s -> s.skipped).sum();
    state.retried = retried0 + sinks.stream().mapToLong(s -> s.retried).sum();
    state.restored = sent - state.skippedExisting;
    state.write(stateFile);
  }

  /**
   * The RESTOREs for one primary: a pipeline, checked every {@link #BATCH} keys. A key the node
   * answers with a retriable error (TRYAGAIN, LOADING, CLUSTERDOWN, or its request timeout, after
   * which the write may or may not be in) is sent again, with REPLACE unless existing keys are to
   * be kept: the target held none of these keys, or they are to be replaced anyway.
   */
  private static final class Sink implements AutoCloseable {
    private record Pending(int db, byte[] key, byte[] payload, long expireAtMs) {}

    private static final int ATTEMPTS = 8;

    private final Address address;
    private final Existing existing;
    private final Jedis jedis;
    private final Pipeline pipeline;
    private final List<Response<String>> replies = new ArrayList<>();
    private final List<Pending> sent = new ArrayList<>();
    private int db = 0;
    long skipped;
    long retried;

    Sink(Address address, Existing existing) {
      this.address = address;
      this.existing = existing;
      this.jedis = address.connect();
      this.pipeline = jedis.pipelined();
    }

    void restore(int toDb, byte[] key, byte[] encoded, long expireAtMs) throws ToolException {
      send(new Pending(toDb, key, DumpPayload.wrap(encoded), expireAtMs), existing == Existing.REPLACE);
      if (replies.size() >= BATCH) {
        flush();
      }
    }

    private void send(Pending p, boolean replace) {
      if (p.db() != db) {
        pipeline.select(p.db());
        db = p.db();
      }
      RestoreParams params = RestoreParams.restoreParams();
      if (replace) {
        params.replace();
      }
      if (p.expireAtMs() >= 0) {
        params.absTtl();
      }
      replies.add(pipeline.restore(p.key(), Math.max(0, p.expireAtMs()), p.payload(), params));
      sent.add(p);
    }

    void flush() throws ToolException {
      for (int attempt = 1; !replies.isEmpty(); attempt++) {
        pipeline.sync();
        List<Pending> again = new ArrayList<>();
        String lastError = null;
        for (int i = 0; i < replies.size(); i++) {
          try {
            replies.get(i).get();
          } catch (JedisDataException e) {
            String m = String.valueOf(e.getMessage());
            if (existing == Existing.SKIP && m.startsWith("BUSYKEY")) {
              skipped++;
            } else if (retriable(m) && attempt < ATTEMPTS) {
              again.add(sent.get(i));
              lastError = m;
            } else {
              throw new ToolException(
                  ToolException.REFUSED,
                  address + " refused key '" + new String(sent.get(i).key(), StandardCharsets.UTF_8) + "': " + m
                      + "; what was restored before it stays");
            }
          }
        }
        replies.clear();
        sent.clear();
        if (!again.isEmpty()) {
          retried += again.size();
          System.err.println(
              "restore: " + again.size() + " keys sent again to " + address + " (" + lastError + "), attempt " + (attempt + 1));
          try {
            Thread.sleep(200L * attempt);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolException(ToolException.REFUSED, "interrupted");
          }
          for (Pending p : again) {
            send(p, existing != Existing.SKIP);
          }
        }
      }
    }

    private static boolean retriable(String m) {
      return m.startsWith("TRYAGAIN") || m.startsWith("LOADING") || m.startsWith("CLUSTERDOWN")
          || m.contains("did not answer in time");
    }

    @Override
    public void close() {
      jedis.close();
    }
  }

  private static void refuseIfHoldsKeys(Topology target, Existing existing) throws ToolException {
    if (existing != Existing.REFUSE) {
      return;
    }
    long keys = 0;
    StringBuilder where = new StringBuilder();
    for (Topology.Shard shard : target.shards()) {
      try (Jedis j = shard.address().connect()) {
        for (var db : Topology.keysByDb(j).entrySet()) {
          keys += db.getValue();
          where.append(where.isEmpty() ? "" : ", ").append(shard.address()).append(" db").append(db.getKey());
        }
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, shard.address() + ": " + e.getMessage(), e);
      }
    }
    if (keys > 0) {
      throw new ToolException(
          ToolException.REFUSED,
          "the target holds " + keys + " keys (" + where + "); refused: --replace overwrites the keys that exist, "
              + "--skip-existing keeps them");
    }
  }

  private static final class Scan {
    long keys;
    final TreeSet<Integer> dbs = new TreeSet<>();
    final List<String> unsupported = new ArrayList<>();
    long unsupportedCount;
    /** The function libraries' code, wherever in the file (Redis writes them first). */
    final List<byte[]> functions = new ArrayList<>();
  }

  /** Reads a whole RDB file (its checksum too) before anything is written. */
  private static Scan scan(Path file) throws ToolException, IOException {
    Scan scan = new Scan();
    Progress progress = Progress.onStderr("check", Files.size(file));
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      RdbFileReader reader = new RdbFileReader(in);
      for (RdbItem item = reader.next(); item != null; item = reader.next()) {
        if (item instanceof RdbItem.Entry e) {
          scan.keys++;
          scan.dbs.add(e.db());
          progress.update(scan.keys, reader.offset());
        } else if (item instanceof RdbItem.Function f) {
          scan.functions.add(f.code());
        } else if (item instanceof RdbItem.Unsupported u) {
          scan.unsupportedCount++;
          if (scan.unsupported.size() < 10) {
            scan.unsupported.add(describe(u));
          }
        }
      }
      progress.done(scan.keys, reader.offset());
    } catch (RdbFormatException e) {
      throw new ToolException(ToolException.DAMAGED, file + " is damaged: " + e.getMessage() + "; nothing was written", e);
    }
    return scan;
  }

  static String describe(RdbItem.Unsupported u) {
    String what =
        switch (u.kind()) {
          case MODULE_AUX -> "module data";
          case MODULE_VALUE -> "a module-type key";
          case STREAM -> "a stream";
        };
    return what
        + (u.key() != null ? " '" + new String(u.key(), StandardCharsets.UTF_8) + "' in database " + u.db() : "")
        + (u.detail() != null ? " (" + u.detail() + ")" : "");
  }
}
