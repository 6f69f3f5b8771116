package io.keyshard.tools.importer;

import com.moilioncircle.redis.replicator.Configuration;
import com.moilioncircle.redis.replicator.RedisReplicator;
import com.moilioncircle.redis.replicator.Replicator;
import com.moilioncircle.redis.replicator.cmd.Command;
import com.moilioncircle.redis.replicator.cmd.CommandName;
import com.moilioncircle.redis.replicator.cmd.impl.DefaultCommand;
import com.moilioncircle.redis.replicator.cmd.impl.SelectCommand;
import com.moilioncircle.redis.replicator.cmd.parser.DefaultCommandParser;
import com.moilioncircle.redis.replicator.event.AbstractEvent;
import com.moilioncircle.redis.replicator.event.Event;
import com.moilioncircle.redis.replicator.event.EventListener;
import com.moilioncircle.redis.replicator.event.PostRdbSyncEvent;
import com.moilioncircle.redis.replicator.event.PreCommandSyncEvent;
import com.moilioncircle.redis.replicator.event.PreRdbSyncEvent;
import com.moilioncircle.redis.replicator.rdb.dump.DumpRdbVisitor;
import com.moilioncircle.redis.replicator.rdb.dump.datatype.DumpFunction;
import com.moilioncircle.redis.replicator.rdb.dump.datatype.DumpKeyValuePair;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * keyshard-import --live: the importer is a replica of the source (PSYNC). The RDB the source
 * sends is spooled to local disk and loaded into the target with RESTORE; the command stream
 * that follows is reduced to the keys each write names, and each such key is copied again from
 * the source as it is then (or deleted on the target if the source no longer has it). So the
 * target follows the source without Keyshard having to run the source's commands itself, and a
 * key written a thousand times while the target is behind is copied once. The position (the
 * source's replication id and offset, up to which every write's key has been copied) is
 * checkpointed after each batch; the same command run again asks the source to go on from there
 * (PSYNC id offset+1), and if the source's backlog no longer holds it, takes a new RDB and drops
 * from the target the keys the source deleted in between (docs/decisions/2026-12-07-live-import.md).
 */
final class LiveImport {
  private LiveImport() {}

  /** The DUMP payload version the RDB's values are re-encoded in: Redis 7.0's, which Keyshard reads. */
  private static final int PAYLOAD_VERSION = 10;

  /** RDB value types Keyshard holds no counterpart of: streams and modules' values. */
  private static boolean unsupportedRdbType(int type) {
    return type == 6 || type == 7 || type == 15 || type == 19 || type == 21;
  }

  static ImportState run(
      Address from, Address to, TargetWriter.Existing existing, Path stateFile, long rate, int connections,
      PrintStream log, AtomicBoolean stop)
      throws ToolException, IOException {
    if (existing == TargetWriter.Existing.SKIP) {
      throw new ToolException(ToolException.USAGE, "--live keeps the target equal to the source: --skip-existing cannot go with it");
    }
    Topology source = Topology.discover(from);
    if (source.cluster()) {
      throw new ToolException(
          ToolException.USAGE,
          "--live follows one server's replication stream; a source cluster is not supported yet: import it without --live, then --verify");
    }
    KeySpecs specs;
    boolean dump;
    boolean psync;
    try (Jedis j = from.connect()) {
      specs = KeySpecs.of(j, null);
      psync = specs.spec(new byte[][] {"psync".getBytes(StandardCharsets.US_ASCII)}) != null;
      dump = specs.spec(new byte[][] {"dump".getBytes(StandardCharsets.US_ASCII)}) != null;
      if (!psync) {
        enableNotifications(j, from, log);
      }
    } catch (JedisException e) {
      throw new ToolException(ToolException.REFUSED, ToolException.explain(from, e), e);
    }
    ImportState state = ImportRun.loadOrCreate(from, to, existing, stateFile, source, log);
    if (state.live == null) {
      if (state.keys > 0) {
        throw new ToolException(
            ToolException.USAGE, stateFile + " records an import without --live: give --live another --state file");
      }
      state.live = new ImportState.Live();
    }
    String mode = psync ? "psync" : "notifications";
    if (state.live.mode != null && !state.live.mode.equals(mode)) {
      throw new ToolException(
          ToolException.USAGE, stateFile + " records a live import by " + state.live.mode + ", but the source now offers " + mode + ": give another --state file");
    }
    state.live.mode = mode;
    ImportState.Live live = state.live;
    try (TargetWriter writer = new TargetWriter(to, existing);
        Jedis src = from.connect();
        Jedis keysConn = from.connect()) {
      boolean first = live.replId == null && live.loads == 0 && live.spool == null && live.passes == 0 && state.keys == 0;
      if (first) {
        if (existing == TargetWriter.Existing.REFUSE) {
          ImportRun.refuseIfHoldsKeys(writer.topology());
        }
        live.targetWasEmpty = ImportRun.targetKeys(writer.topology()) == 0;
      }
      if (!first) {
        log.println("resuming the live import recorded in " + stateFile
            + (live.replId != null ? " (source replication id " + live.replId + ", offset " + live.offset + ")" : ""));
      }
      writer.replaceExisting();
      state.write(stateFile);
      LiveRun run = new LiveRun(from, to, state, stateFile, writer, src, dump, rate, connections, log, stop);
      if (!psync) {
        return run.followNotifications(stop, existing); // each pass copies the libraries (ImportRun)
      }
      // The function libraries as they are now; a FUNCTION command in the source's stream later
      // stops the run (it names no key), and they are copied again after each full RDB.
      ImportFunctions.copy(
          source, writer.topology(), first && existing == TargetWriter.Existing.REFUSE,
          !first || existing == TargetWriter.Existing.REPLACE, log);
      if (live.spool != null && !Files.exists(Path.of(live.spool))) {
        log.println(live.spool + " (the source's RDB, spooled) is gone: a new full copy");
        live.spool = null;
        live.replId = null;
      }
      if (live.spool != null) {
        // Killed while loading a complete spool: go on from the entry it had reached.
        if (!run.load(Path.of(live.spool), live.spoolEntries, live.spoolBytes,
            new LiveFeed.Position(live.spoolReplId, live.spoolOffset, -1))) {
          log.println("stopped while loading the source's RDB (at key " + live.loaded + "); run the same command again to go on");
          return state;
        }
      }
      return run.follow(specs.withGetKeys(argv -> getKeys(keysConn, argv)), stop);
    } catch (JedisException e) {
      throw new ToolException(ToolException.REFUSED, "the source or the target failed: " + e.getMessage() + "; run the same command again to go on", e);
    }
  }

  /** The keys of a command whose keys move with its arguments, as the source finds them. */
  private static List<byte[]> getKeys(Jedis j, byte[][] argv) {
    byte[][] args = new byte[argv.length + 1][];
    args[0] = "GETKEYS".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(argv, 0, args, 1, argv.length);
    try {
      List<byte[]> out = new ArrayList<>();
      for (Object o : (List<?>) j.sendCommand(Protocol.Command.COMMAND, args)) {
        out.add((byte[]) o);
      }
      return out;
    } catch (redis.clients.jedis.exceptions.JedisDataException e) {
      return List.of(); // "Invalid arguments": none
    }
  }

  /** The keyspace events a source without PSYNC must publish: every key event, on the keyevent channels. */
  static final String EVENTS = "EA";

  /**
   * Makes the source publish an event for every write (notify-keyspace-events with E and A), or
   * says how to: a managed server may refuse CONFIG SET.
   */
  private static void enableNotifications(Jedis j, Address from, PrintStream log) throws ToolException {
    String was;
    try {
      List<String> got = j.configGet("notify-keyspace-events").values().stream().toList();
      was = got.isEmpty() ? "" : got.get(0);
    } catch (JedisException e) {
      throw new ToolException(
          ToolException.REFUSED,
          from + " has neither PSYNC nor a readable notify-keyspace-events (" + e.getMessage() + "): --live needs one of them "
              + "(Pika and Kvrocks have neither): copy without --live while writes are stopped, then --verify");
    }
    String flags = was;
    boolean all = flags.contains("A") || "g$lshzxet".chars().allMatch(c -> flags.indexOf(c) >= 0);
    if (was.contains("E") && all) {
      return;
    }
    String now = was.replace("E", "").replace("A", "") + EVENTS;
    try {
      j.configSet("notify-keyspace-events", now);
    } catch (JedisException e) {
      throw new ToolException(
          ToolException.REFUSED,
          from + " has no PSYNC and its keyspace notifications are off (notify-keyspace-events '" + was + "'), and it refused "
              + "to turn them on (" + e.getMessage() + "): set notify-keyspace-events to EA on it (a managed server: in its "
              + "parameters), then run this again");
    }
    log.println(from + " has no PSYNC: following it by its keyspace notifications; notify-keyspace-events was '" + was
        + "', is now '" + now + "' (set it back after the cut-over)");
  }

  /** One live import: the link's thread feeds, the calling thread applies. */
  private static final class LiveRun {
    private final Address from;
    private final Address to;
    private final ImportState state;
    private final ImportState.Live live;
    private final Path stateFile;
    private final TargetWriter writer;
    private final Jedis src;
    private final boolean dump;
    private final long rate;
    private final PrintStream log;
    private final AtomicBoolean stop;
    private final int connections;
    private final LiveFeed feed = new LiveFeed();
    private final Progress progress = Progress.onStderr("import", 0);
    private volatile long sourceOffset = -1;
    private boolean caughtUp;

    LiveRun(
        Address from, Address to, ImportState state, Path stateFile, TargetWriter writer, Jedis src, boolean dump,
        long rate, int connections, PrintStream log, AtomicBoolean stop) {
      this.stop = stop;
      this.connections = connections;
      this.from = from;
      this.to = to;
      this.state = state;
      this.live = state.live;
      this.stateFile = stateFile;
      this.writer = writer;
      this.src = src;
      this.dump = dump;
      this.rate = rate;
      this.log = log;
    }

    /** The database of the target a source database's keys go to; null if it is not imported. */
    private Integer targetDb(int sourceDb) {
      if (from.db() != null && from.db() != sourceDb) {
        return null;
      }
      return to.db() != null ? to.db() : sourceDb;
    }

    ImportState follow(KeySpecs specs, AtomicBoolean stop) throws ToolException, IOException {
      Configuration conf =
          Configuration.defaultSetting()
              .setRetries(30)
              .setRetryTimeInterval(1000)
              .setConnectionTimeout(10_000)
              .setReadTimeout(60_000)
              .setSsl(from.tls());
      if (from.password() != null) {
        conf.setAuthPassword(from.password());
        if (from.user() != null) {
          conf.setAuthUser(from.user());
        }
      }
      if (live.replId != null) {
        conf.setReplId(live.replId);
        conf.setReplOffset(live.offset);
      }
      Replicator replicator = new RedisReplicator(from.host(), from.port(), conf);
      replicator.setRdbVisitor(new DumpRdbVisitor(replicator, PAYLOAD_VERSION));
      for (String name : specs.names()) {
        replicator.addCommandParser(CommandName.name(name.toUpperCase(Locale.ROOT)), new DefaultCommandParser());
      }
      Link link = new Link(specs, conf, live.replId != null ? live.db : -1);
      replicator.addEventListener(link);
      Thread linkThread =
          new Thread(
              () -> {
                try {
                  replicator.open();
                } catch (IOException | RuntimeException e) {
                  feed.barrier(new LiveFeed.Stop(from + " went away: " + e.getMessage(), true));
                }
              },
              "keyshard-import-link");
      linkThread.setDaemon(true);
      Thread poller = new Thread(this::pollSourceOffset, "keyshard-import-lag");
      poller.setDaemon(true);
      linkThread.start();
      poller.start();
      log.println("following " + from + " as its replica (" + (live.replId == null ? "a full copy first" : "from offset " + live.offset) + ")");
      try {
        while (!stop.get()) {
          LiveFeed.Item item;
          try {
            item = feed.take(200);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
          if (item != null) {
            apply(item);
          }
          report();
        }
      } finally {
        try {
          replicator.close();
        } catch (IOException ignored) {
          // stopping
        }
        poller.interrupt();
        state.write(stateFile);
        progress.interrupt();
      }
      log.println("stopped at offset " + live.offset + " of " + from + " (" + lag() + "); run the same command again to go on");
      return state;
    }

    /**
     * A source without PSYNC: subscribed to its key events first, then one full SCAN pass (the
     * one-time copy's, resumable), then every key an event names is copied again. Events are not
     * kept by the source: a broken subscription, or a run started again after a stop, walks the
     * whole source again and drops from the target what the source deleted meanwhile.
     */
    ImportState followNotifications(AtomicBoolean stop, TargetWriter.Existing existing) throws ToolException, IOException {
      java.util.concurrent.CountDownLatch subscribed = new java.util.concurrent.CountDownLatch(1);
      AtomicBoolean closing = new AtomicBoolean();
      Events events = new Events(subscribed);
      Thread subscriber = new Thread(() -> subscribe(events, closing), "keyshard-import-events");
      subscriber.setDaemon(true);
      subscriber.start();
      try {
        if (!subscribed.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
          throw new ToolException(ToolException.REFUSED, from + " did not confirm the subscription to its key events in 30 s");
        }
        log.println("following " + from + " by its keyspace notifications (subscribed before the copy)");
        pass(existing, live.passes > 0 || state.keys > 0 ? "a new run: events sent while no run listened are lost" : null);
        while (!stop.get()) {
          LiveFeed.Item item = feed.take(200);
          if (item instanceof LiveFeed.Keys k) {
            recopy(k);
            live.events = k.at.offset();
            state.write(stateFile);
          } else if (item instanceof LiveFeed.Rescan r) {
            pass(TargetWriter.Existing.REPLACE, r.why());
          } else if (item instanceof LiveFeed.Stop s) {
            throw new ToolException(ToolException.REFUSED, s.why() + (s.resumable() ? "; run the same command again to go on" : ""));
          }
          report();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        closing.set(true);
        events.close();
        state.write(stateFile);
        progress.interrupt();
      }
      log.println("stopped (" + lag() + "); run the same command again to go on: it walks the source again");
      return state;
    }

    /** One full walk of the source (the one-time copy's), then what the source deleted meanwhile is deleted. */
    private void pass(TargetWriter.Existing existing, String why) throws ToolException, IOException {
      if (why != null) {
        log.println("walking the whole source again (" + why + ")");
        for (ImportState.Part part : state.parts) {
          part.cursor = "0";
          part.done = false;
        }
        state.finished = false;
        state.recopy = null;
        existing = TargetWriter.Existing.REPLACE;
      }
      state.write(stateFile);
      ImportState after = ImportRun.run(from, to, existing, stateFile, rate, connections, log);
      // ImportRun kept its own copy of the state: take its counts, keep ours for the rest.
      state.keys = after.keys;
      state.bytes = after.bytes;
      state.gone = after.gone;
      state.skippedExisting = after.skippedExisting;
      state.retried = after.retried;
      state.inProgressKeys = after.inProgressKeys;
      state.unsupported = after.unsupported;
      state.unsupportedKeys = after.unsupportedKeys;
      state.parts = after.parts;
      state.finished = after.finished;
      if (why != null) {
        prune();
      }
      live.passes++;
      state.write(stateFile);
    }

    /** Runs on the subscriber's thread until closed; a broken subscription asks for a new pass. */
    private void subscribe(Events events, AtomicBoolean closing) {
      boolean first = true;
      while (!closing.get()) {
        try (Jedis j = from.connect()) {
          events.jedis = j;
          if (!first) {
            feed.barrier(new LiveFeed.Rescan("the subscription to the key events broke and was made again"));
          }
          first = false;
          j.psubscribe(events, "__keyevent@*__:*".getBytes(StandardCharsets.US_ASCII));
        } catch (JedisException e) {
          if (closing.get()) {
            return;
          }
          try {
            Thread.sleep(1000);
          } catch (InterruptedException x) {
            return;
          }
        }
      }
    }

    /** Each key event: the key, in the database its channel names, to be copied again. */
    private final class Events extends redis.clients.jedis.BinaryJedisPubSub {
      private final java.util.concurrent.CountDownLatch subscribed;
      volatile Jedis jedis;
      private long seen;

      Events(java.util.concurrent.CountDownLatch subscribed) {
        this.subscribed = subscribed;
      }

      @Override
      public void onPSubscribe(byte[] pattern, int count) {
        subscribed.countDown();
      }

      @Override
      public void onPMessage(byte[] pattern, byte[] channel, byte[] message) {
        // __keyevent@<db>__:<event>
        String c = new String(channel, StandardCharsets.US_ASCII);
        int at = c.indexOf('@');
        int end = c.indexOf("__:", at);
        if (at < 0 || end < 0) {
          return;
        }
        int db = Integer.parseInt(c.substring(at + 1, end));
        feed.touch(db, message, new LiveFeed.Position(null, ++seen, db));
      }

      void close() {
        try {
          if (isSubscribed()) {
            punsubscribe();
          }
        } catch (RuntimeException ignored) {
          // the connection is gone already
        }
      }
    }

    private void apply(LiveFeed.Item item) throws ToolException, IOException {
      if (item instanceof LiveFeed.Keys k) {
        recopy(k);
        checkpoint(k.at);
      } else if (item instanceof LiveFeed.Flush f) {
        flush(f.db());
        checkpoint(f.at());
      } else if (item instanceof LiveFeed.Load l) {
        live.spool = l.spool().toString();
        live.spoolEntries = l.entries();
        live.spoolBytes = l.bytes();
        live.spoolReplId = l.at().replId();
        live.spoolOffset = l.at().offset();
        live.loaded = 0;
        live.loadsStarted++;
        state.write(stateFile);
        load(l.spool(), l.entries(), l.bytes(), l.at());
      } else if (item instanceof LiveFeed.Stop s) {
        state.write(stateFile);
        throw new ToolException(ToolException.REFUSED, s.why() + (s.resumable() ? "; run the same command again to go on" : ""));
      }
    }

    private void checkpoint(LiveFeed.Position at) throws IOException {
      if (at == null) {
        return;
      }
      live.replId = at.replId();
      live.offset = at.offset();
      live.db = at.db();
      state.write(stateFile);
    }

    /** Copies the keys of {@code k} again from the source, or deletes those it no longer has. */
    private void recopy(LiveFeed.Keys k) throws ToolException, IOException {
      Map<Integer, List<byte[]>> byDb = new TreeMap<>();
      for (LiveFeed.DbKey key : k.keys) {
        byDb.computeIfAbsent(key.db(), d -> new ArrayList<>()).add(key.bytes());
      }
      for (Map.Entry<Integer, List<byte[]>> e : byDb.entrySet()) {
        Integer db = targetDb(e.getKey());
        if (db == null) {
          continue;
        }
        src.select(e.getKey());
        long before = state.keys;
        long gone = ImportRun.copyBatch(src, e.getValue(), dump, db, writer, state, stateFile, true);
        live.recopied += state.keys - before;
        live.deleted += gone;
      }
    }

    private void flush(Integer sourceDb) throws ToolException {
      if (sourceDb == null) {
        if (from.db() == null && to.db() == null) {
          writer.flushAll();
          live.flushes++;
          log.println("the source ran FLUSHALL: so did the target");
          return;
        }
        if (from.db() == null) {
          throw new ToolException(
              ToolException.REFUSED, "the source ran FLUSHALL while its databases go into one of the target's: stopped, nothing flushed");
        }
        sourceDb = from.db();
      }
      Integer db = targetDb(sourceDb);
      if (db != null) {
        writer.flushDb(db);
        live.flushes++;
        log.println("the source flushed database " + sourceDb + ": so did the target (database " + db + ")");
      }
    }

    /**
     * Loads a spooled RDB from the entry {@code live.loaded}, then goes on from {@code at}.
     * Answers false if stopped before the end (the entries loaded so far are recorded).
     */
    boolean load(Path spool, long entries, long bytes, LiveFeed.Position at) throws ToolException, IOException {
      boolean again = live.loadsStarted > 1; // an earlier full copy was at least begun
      log.println("loading the source's RDB (" + entries + " keys, " + Progress.mb(bytes) + ")"
          + (live.loaded > 0 ? " from key " + live.loaded : ""));
      progress.total(bytes);
      long started = System.nanoTime();
      long startKeys = state.keys;
      long done = 0;
      long doneBytes = 0;
      // Batches go to N connections; an entry count is recorded once every batch up to it is acknowledged.
      java.util.ArrayDeque<Object[]> inFlight = new java.util.ArrayDeque<>();
      try (Spool.Reader reader = new Spool.Reader(spool);
          Workers workers = new Workers(connections, to, TargetWriter.Existing.REPLACE)) {
        workers.replaceExisting();
        List<Spool.Entry> batch = new ArrayList<>();
        boolean stopped = false;
        for (Spool.Entry e = reader.next(); e != null && !stopped; e = reader.next()) {
          done++;
          doneBytes += e.key().length + e.payload().length;
          if (done <= live.loaded) {
            continue;
          }
          batch.add(e);
          if (batch.size() >= ImportRun.BATCH) {
            List<Spool.Entry> mine = batch;
            inFlight.add(new Object[] {workers.submit((w, sources) -> loadBatch(mine, w, sources)), done, doneBytes});
            batch = new ArrayList<>();
            while (inFlight.size() >= 2 * workers.size()) {
              commitLoad(inFlight.poll());
              ImportRun.throttle(rate, started, state.keys - startKeys);
            }
            stopped = stop.get();
          }
        }
        if (!stopped && !batch.isEmpty()) {
          List<Spool.Entry> mine = batch;
          inFlight.add(new Object[] {workers.submit((w, sources) -> loadBatch(mine, w, sources)), done, doneBytes});
        }
        while (!inFlight.isEmpty()) {
          commitLoad(inFlight.poll());
        }
        if (stopped) {
          return false;
        }
      } finally {
        for (Object[] b : inFlight) {
          ((java.util.concurrent.Future<?>) b[0]).cancel(false);
        }
      }
      progress.total(0);
      live.loaded = 0;
      live.loads++;
      if (again) {
        prune();
      }
      live.spool = null;
      live.replId = at.replId();
      live.offset = at.offset();
      live.db = at.db();
      state.write(stateFile);
      Files.deleteIfExists(spool);
      log.println("the RDB is loaded (" + entries + " keys); following the source's writes from offset " + at.offset());
      return true;
    }

    @SuppressWarnings("unchecked")
    private void commitLoad(Object[] b) throws ToolException, IOException {
      ImportRun.Tally t = Workers.await((java.util.concurrent.Future<ImportRun.Tally>) b[0]);
      synchronized (state) {
        t.addTo(state);
        live.loaded = (Long) b[1];
        state.write(stateFile);
      }
      progress.update(state.keys, (Long) b[2]);
    }

    /** One batch of the spool, on a worker: RESTOREs; a value the target cannot read is read by type from the source. */
    private ImportRun.Tally loadBatch(List<Spool.Entry> batch, TargetWriter w, Workers.Sources sources)
        throws ToolException, IOException {
      ImportRun.Tally t = new ImportRun.Tally();
      List<Spool.Entry> sent = new ArrayList<>();
      for (Spool.Entry e : batch) {
        Integer db = targetDb(e.db());
        if (db == null) {
          continue;
        }
        if (unsupportedRdbType(e.rdbType())) {
          t.unsupported++;
          t.unsupportedKeys.add("db" + e.db() + " " + new String(e.key(), StandardCharsets.UTF_8) + " (RDB type " + e.rdbType() + ")");
          continue;
        }
        w.restore(db, e.key(), e.payload(), e.expireAt());
        sent.add(e);
        t.keys++;
        t.bytes += e.payload().length;
      }
      long skipped = w.skippedExisting;
      for (Object[] u : w.flush()) {
        // A value Keyshard cannot read in this encoding: read by type from the source, as it is now.
        int db = (Integer) u[0];
        byte[] key = (byte[]) u[1];
        for (Spool.Entry e : sent) {
          if (java.util.Arrays.equals(e.key(), key) && targetDb(e.db()) == db) {
            t.keys--;
            ImportRun.copyBatch(sources.at(from, e.db()), List.of(key), false, db, w, t, ImportRun.stateLog(state, stateFile), true);
            break;
          }
        }
      }
      t.skippedExisting = w.skippedExisting - skipped;
      return t;
    }

    /**
     * After a second full copy: the target may still hold keys the source deleted while the link
     * was down. Only when the target held nothing before the import (so every key there is the
     * source's); otherwise they are left and --verify lists them.
     */
    private void prune() throws ToolException {
      if (!live.targetWasEmpty) {
        log.println("keys the source deleted while the link was down may remain on the target (it held keys before the import): --verify lists them");
        return;
      }
      long pruned = 0;
      for (Topology.Shard shard : writer.topology().shards()) {
        try (Jedis t = shard.address().connect()) {
          for (int db : Topology.keysByDb(t).keySet()) {
            int sourceDb = from.db() != null ? from.db() : db;
            if (to.db() != null && db != to.db()) {
              continue;
            }
            t.select(db);
            src.select(sourceDb);
            String cursor = "0";
            do {
              ScanResult<byte[]> r = t.scan(cursor.getBytes(StandardCharsets.US_ASCII), new ScanParams().count(ImportRun.BATCH));
              Pipeline p = src.pipelined();
              List<Response<Boolean>> exists = new ArrayList<>();
              for (byte[] key : r.getResult()) {
                exists.add(p.exists(key));
              }
              p.sync();
              for (int i = 0; i < exists.size(); i++) {
                if (!exists.get(i).get()) {
                  t.del(r.getResult().get(i));
                  pruned++;
                }
              }
              cursor = r.getCursor();
            } while (!"0".equals(cursor));
          }
        } catch (JedisException e) {
          throw new ToolException(ToolException.REFUSED, shard.address() + ": " + e.getMessage() + "; run the same command again to go on", e);
        }
      }
      live.deleted += pruned;
      log.println("a new full copy: " + pruned + " keys the source deleted in the meantime were deleted on the target");
    }

    private void pollSourceOffset() {
      while (!Thread.currentThread().isInterrupted()) {
        try (Jedis j = from.connect()) {
          while (!Thread.currentThread().isInterrupted()) {
            for (String line : j.info("replication").split("\r?\n")) {
              if (line.startsWith("master_repl_offset:")) {
                sourceOffset = Long.parseLong(line.substring(19).trim());
              }
            }
            Thread.sleep(1000);
          }
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          try {
            Thread.sleep(1000);
          } catch (InterruptedException x) {
            return;
          }
        }
      }
    }

    private String lag() {
      long source = sourceOffset;
      int pending = feed.pendingKeys();
      if ("notifications".equals(live.mode)) {
        return "lag " + pending + " keys waiting";
      }
      if (live.spool != null || live.replId == null) {
        return "full copy under way";
      }
      long behind = source < 0 ? -1 : Math.max(0, source - live.offset);
      return "lag " + (behind < 0 ? "?" : String.format(Locale.ROOT, "%,d bytes", behind)) + ", " + pending + " keys waiting";
    }

    private void report() {
      String lag = lag();
      progress.detail("live: " + lag + ", " + live.recopied + " copied again, " + live.deleted + " deleted");
      progress.update(state.keys, state.bytes);
      boolean now = lag.startsWith("lag 0 bytes, 0 keys") || lag.startsWith("lag 0 keys");
      if (now && !caughtUp) {
        progress.interrupt();
        log.println("caught up with " + from + ("notifications".equals(live.mode) ? "" : " at offset " + live.offset)
            + ": the target has every write the source acknowledged so far");
      }
      caughtUp = now;
    }

    /** Runs on the link's thread: spools the RDB, turns the stream into keys to copy again. */
    private final class Link implements EventListener {
      private final KeySpecs specs;
      private final Configuration conf;
      private int db;
      private Spool.Writer spool;
      private int spools;
      private boolean stopped;

      Link(KeySpecs specs, Configuration conf, int db) {
        this.specs = specs;
        this.conf = conf;
        this.db = db;
      }

      @Override
      public void onEvent(Replicator replicator, Event event) {
        if (stopped) {
          return;
        }
        try {
          if (event instanceof PreRdbSyncEvent) {
            if (spool != null) {
              spool.close();
            }
            spool = new Spool.Writer(stateFile.resolveSibling(stateFile.getFileName() + ".rdb-" + System.currentTimeMillis() + "-" + (++spools)));
            db = -1;
          } else if (event instanceof DumpKeyValuePair kv) {
            Long ms = kv.getExpiredMs();
            spool.add(new Spool.Entry((int) kv.getDb().getDbNumber(), kv.getKey(), ms == null ? -1 : ms, kv.getValueRdbType(), kv.getValue()));
          } else if (event instanceof DumpFunction) {
            // The libraries are copied by FUNCTION DUMP/RESTORE (at the start, and again below
            // once this RDB ends), not from the RDB.
          } else if (event instanceof PostRdbSyncEvent) {
            spool.finish();
            spool.close();
          } else if (event instanceof PreCommandSyncEvent) {
            try {
              // A library loaded between the copy at the start and the source's fork is in the
              // RDB and not in the stream: copied again now; a change after the fork is in the
              // stream, which stops the run.
              ImportFunctions.copy(Topology.discover(from), Topology.discover(to), false, true, log);
            } catch (ToolException e) {
              stop(e.getMessage(), true);
              return;
            }
            if (spool != null) {
              feed.barrier(new LiveFeed.Load(spool.file, spool.entries, spool.bytes, new LiveFeed.Position(conf.getReplId(), conf.getReplOffset(), -1)));
              spool = null;
            }
          } else if (event instanceof SelectCommand s) {
            db = s.getIndex();
          } else if (event instanceof DefaultCommand c) {
            command(c, ((AbstractEvent) c).getContext().getOffsets().getV2());
          } else if (event instanceof Command c) {
            stop("the source's stream holds a command the import was not set up for: " + c, false);
          }
        } catch (IOException e) {
          stop("the RDB could not be spooled to local disk: " + e.getMessage(), true);
        }
      }

      private void stop(String why, boolean resumable) {
        stopped = true;
        feed.barrier(new LiveFeed.Stop(why, resumable));
      }

      private void command(DefaultCommand c, long end) {
        byte[][] argv = new byte[c.getArgs().length + 1][];
        argv[0] = c.getCommand();
        System.arraycopy(c.getArgs(), 0, argv, 1, c.getArgs().length);
        String name = new String(argv[0], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        switch (name) {
          case "select" -> {
            db = Integer.parseInt(new String(argv[1], StandardCharsets.US_ASCII));
            feed.moved(at(end));
          }
          case "ping", "multi", "exec", "replconf", "publish", "spublish" -> feed.moved(at(end));
          case "flushdb" -> feed.barrier(new LiveFeed.Flush(db, at(end)));
          case "flushall" -> feed.barrier(new LiveFeed.Flush(null, at(end)));
          case "swapdb" -> stop("the source ran SWAPDB, which a copy key by key cannot follow: import again", false);
          default -> {
            KeySpecs.Spec spec = specs.spec(argv);
            if (spec == null) {
              stop("the source's stream holds " + name.toUpperCase(Locale.ROOT) + ", which its command table does not list", false);
              return;
            }
            List<byte[]> keys = specs.keys(spec, argv);
            if (keys.isEmpty()) {
              if (spec.write()) {
                stop("the source ran " + spec.name().toUpperCase(Locale.ROOT) + ", a write that names no key, which the import cannot follow", false);
              } else {
                feed.moved(at(end));
              }
              return;
            }
            LiveFeed.Position at = at(end);
            for (byte[] key : keys) {
              feed.touch(db, key, at);
            }
            if (name.equals("move") && argv.length > 2) {
              feed.touch(Integer.parseInt(new String(argv[2], StandardCharsets.US_ASCII)), argv[1], at);
            } else if (name.equals("copy")) {
              for (int i = 3; i + 1 < argv.length; i++) {
                if (new String(argv[i], StandardCharsets.US_ASCII).equalsIgnoreCase("db")) {
                  feed.touch(Integer.parseInt(new String(argv[i + 1], StandardCharsets.US_ASCII)), argv[2], at);
                }
              }
            }
          }
        }
      }

      private LiveFeed.Position at(long end) {
        return new LiveFeed.Position(conf.getReplId(), end, db);
      }
    }
  }
}
