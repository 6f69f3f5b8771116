package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.is;

import io.keyshard.node.cluster.ClusterView;
import io.keyshard.node.commands.SaveCopies.SlotCopy;
import io.keyshard.node.journal.JournalEngine;
import io.keyshard.node.journal.JournalHistory;
import io.keyshard.node.server.Router;
import io.keyshard.node.server.ServerStats;
import io.keyshard.node.server.Session;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SAVE, BGSAVE and LASTSAVE as Redis 7.0 answers them, writing {@code dbfilename} in {@code dir}
 * (docs/decisions/2026-12-07-bgsave.md): the cut is one keyspace-wide transaction in which every
 * slot copies its keys ({@link SaveCopies}) and the node's function libraries are read (written
 * first in the file, as Redis 7.0 does); the slots are unlocked once copied, and the file is
 * written from the copies on the blocking-I/O dispatcher ({@link RdbDump}). BGSAVE answers at
 * once; SAVE answers when the file is written. One save at a time, as Redis's one child. The
 * file is never read back: the journal is the data.
 */
final class SaveCommand {
  private static final Logger log = LoggerFactory.getLogger(SaveCommand.class);

  static final Reply IN_PROGRESS = Err.err("Background save already in progress");
  /** Redis's shared.err: what SAVE answers when the file could not be written. */
  static final Reply FAILED = Reply.error("ERR");

  private final Router router;
  private final ServerStats stats;
  private final Runnable countSave;
  private final Executor io;
  private final JournalEngine journal;

  /**
   * How long after an instant a point-in-time cut waits before it reads the journal, so that a
   * write stamped just before the instant has landed: the journal stamps a write when it takes
   * it (RocksJournal) or inserts its row (PostgreSQL), a few ms before it is readable.
   */
  static final long LANDING_MS = 1000;

  private final AtomicBoolean running = new AtomicBoolean();
  private volatile boolean background;
  private volatile long startedAtMs;
  private volatile long lastBgsaveSeconds = -1;
  private volatile boolean lastBgsaveOk = true;
  /** The change count at the last successful save's cut. */
  private volatile long changesAtLastSave;
  private final AtomicLong keysWritten = new AtomicLong();
  private volatile long keysTotal;

  SaveCommand(Router router, ServerStats stats, Runnable countSave, Executor io, JournalEngine journal) {
    this.journal = journal;
    this.router = router;
    this.stats = stats;
    this.countSave = countSave;
    this.io = io;
  }

  CompletionStage<Reply> save(Session s, byte[][] a) {
    if (!running.compareAndSet(false, true)) {
      return done(IN_PROGRESS);
    }
    background = false;
    return dump().handle((v, t) -> t == null ? Reply.OK : FAILED);
  }

  /**
   * BGSAVE [SCHEDULE]. SCHEDULE changes nothing here: Redis schedules only while another child
   * (an AOF rewrite) runs, which Keyshard never has; during a save it answers as without it.
   */
  CompletionStage<Reply> bgsave(Session s, byte[][] a) {
    if (a.length > 2 || (a.length == 2 && !is(a[1], "SCHEDULE"))) {
      return done(Err.SYNTAX);
    }
    if (!running.compareAndSet(false, true)) {
      return done(IN_PROGRESS);
    }
    background = true;
    dump();
    return done(Reply.simple("Background saving started"));
  }

  /** Takes the cut, then writes the file; completes exceptionally if either fails. */
  private CompletionStage<Void> dump() {
    long started = System.currentTimeMillis();
    startedAtMs = started;
    keysWritten.set(0);
    keysTotal = 0;
    AtomicLong changesAtCut = new AtomicLong();
    long[] lockedAt = new long[1];
    AtomicReference<List<byte[]>> functions = new AtomicReference<>(List.of());
    CompletionStage<Void> saved =
        cut(changesAtCut, lockedAt, functions)
            .thenApplyAsync(
                copies -> {
                  keysTotal = RdbDump.keys(copies);
                  long cutMs = System.currentTimeMillis() - started;
                  try {
                    long t0 = System.nanoTime();
                    RdbDump.write(target(), functions.get(), copies, router.memory().used(), keysWritten);
                    log.info(
                        "{}: {} keys of {} slots and {} function libraries written to {} in {} ms after a cut"
                            + " of {} ms ({} ms to lock every slot, {} ms to copy)",
                        background ? "BGSAVE" : "SAVE", keysTotal, copies.size(), functions.get().size(), target(),
                        (System.nanoTime() - t0) / 1_000_000, cutMs, lockedAt[0] - started,
                        started + cutMs - lockedAt[0]);
                  } catch (IOException e) {
                    throw new CompletionException(e);
                  }
                  return null;
                },
                io);
    return saved.whenComplete(
        (v, t) -> {
          boolean ok = t == null;
          long now = System.currentTimeMillis();
          if (ok) {
            stats.lastSave = now / 1000;
            changesAtLastSave = changesAtCut.get();
            countSave.run();
          } else {
            log.warn("{} failed", background ? "BGSAVE" : "SAVE", t);
          }
          if (background) {
            lastBgsaveOk = ok;
            lastBgsaveSeconds = now / 1000 - started / 1000;
          }
          background = false;
          running.set(false);
        });
  }

  /**
   * The whole dataset as one RDB file in memory, from a cut of its own (SYNC for {@code
   * redis-cli --rdb}); not a save: LASTSAVE and the INFO fields do not move. {@code keys} false
   * leaves the keys out and takes no cut ({@code redis-cli --functions-rdb}), {@code functions}
   * false the libraries.
   */
  CompletionStage<byte[]> rdbBytes(boolean keys, boolean functions) {
    AtomicReference<List<byte[]>> libraries = new AtomicReference<>(List.of());
    CompletionStage<List<SlotCopy>> cut;
    if (keys) {
      cut = cut(new AtomicLong(), new long[1], libraries);
    } else {
      libraries.set(publishedFunctions());
      cut = CompletableFuture.completedFuture(List.of());
    }
    return cut
        .thenApplyAsync(
            copies -> {
              ByteArrayOutputStream out = new ByteArrayOutputStream();
              try {
                RdbDump.write(
                    out, functions ? libraries.get() : List.of(), copies, router.memory().used(), new AtomicLong());
              } catch (IOException e) {
                throw new CompletionException(e);
              }
              return out.toByteArray();
            },
            io);
  }

  /**
   * The node's slots (a cluster node's own) as they were just before {@code at} (Unix ms), as
   * one RDB file in memory, rebuilt from the journal without asking any slot ({@link
   * HistoryCut}): a point-in-time backup's part, or with {@code at} = now a cut that pauses no
   * writer. Fails with HistoryCut.OutOfWindow when the journal no longer holds that instant.
   * The function libraries are not journaled: the file holds them as they are when this is
   * asked (for a backup at now, within about {@link #LANDING_MS} of the instant; for an earlier
   * instant, today's, not that instant's).
   */
  CompletionStage<byte[]> historyBytes(long at, boolean keys, boolean functions) {
    if (!keys) {
      return rdbBytes(false, functions);
    }
    List<byte[]> libraries = functions ? publishedFunctions() : List.of();
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            long now;
            try (JournalHistory h = journal.history()) {
              now = h.now();
            }
            if (at > now) {
              throw new HistoryCut.OutOfWindow(
                  Instant.ofEpochMilli(at) + " is in the future: the journal's clock says "
                      + Instant.ofEpochMilli(now));
            }
            if (at + LANDING_MS > now) {
              Thread.sleep(at + LANDING_MS - now);
            }
            long t0 = System.nanoTime();
            ClusterView view = router.cluster();
            List<SlotCopy> copies;
            try (JournalHistory h = journal.history()) {
              copies = HistoryCut.copies(h, view == null ? slot -> true : view::owns, at);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            RdbDump.write(out, libraries, copies, router.memory().used(), new AtomicLong());
            log.info(
                "Rebuilt {} keys of {} slots as they were at {} from the journal in {} ms ({} bytes of RDB,"
                    + " {} function libraries as they are now)",
                RdbDump.keys(copies), copies.size(), Instant.ofEpochMilli(at),
                (System.nanoTime() - t0) / 1_000_000, out.size(), libraries.size());
            return out.toByteArray();
          } catch (Exception e) {
            throw new CompletionException(e);
          }
        },
        io);
  }

  /**
   * One keyspace-wide transaction: every non-empty slot locked at once, each copies its keys
   * ({@link SaveCopies}), then all are unlocked. Fails if any slot could not copy. The function
   * libraries are read while every slot is locked, into {@code functions}: no FCALL's writes
   * are half in the file, and the libraries are those of the cut's moment (a change to them is
   * saved before it is answered).
   */
  private CompletionStage<List<SlotCopy>> cut(
      AtomicLong changesAtCut, long[] lockedAt, AtomicReference<List<byte[]>> functions) {
    long id = SaveCopies.open();
    return router
        .transactions()
        .run(
            new TreeSet<>(),
            true,
            tx -> {
              // Every slot is locked now: no write of any slot is before or after the cut in
              // some slots and not in others.
              changesAtCut.set(router.memory().changes());
              functions.set(publishedFunctions());
              lockedAt[0] = System.currentTimeMillis();
              return CrossSlot.inEach(
                  tx::exec,
                  tx.slots(),
                  "__save-copy",
                  0,
                  slot -> Args.command("__save-copy", Args.bytes(Long.toString(id)), Args.bytes(Integer.toString(slot))),
                  false);
            })
        .handle(
            (reply, t) -> {
              List<SlotCopy> copies = SaveCopies.close(id);
              if (t != null) {
                throw new CompletionException(t);
              }
              if (reply.isError()) {
                throw new IllegalStateException("the cut failed: " + reply);
              }
              return copies;
            });
  }

  /** The node's function libraries as saved (FUNCTION LOAD and the rest answer after saving). */
  private List<byte[]> publishedFunctions() {
    io.keyshard.node.scripting.Scripts scripts = router.scripts();
    return scripts == null ? List.of() : scripts.functions().published();
  }

  private Path target() {
    return router.settings().dir().resolve(router.settings().dbFilename());
  }

  // ---- INFO persistence ----

  boolean bgsaveInProgress() {
    return running.get() && background;
  }

  long changesSinceLastSave() {
    return Math.max(0, router.memory().changes() - changesAtLastSave);
  }

  boolean lastBgsaveOk() {
    return lastBgsaveOk;
  }

  long lastBgsaveSeconds() {
    return lastBgsaveSeconds;
  }

  long currentBgsaveSeconds() {
    return bgsaveInProgress() ? System.currentTimeMillis() / 1000 - startedAtMs / 1000 : -1;
  }

  long keysProcessed() {
    return running.get() ? keysWritten.get() : 0;
  }

  long keysTotal() {
    return running.get() ? keysTotal : 0;
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
