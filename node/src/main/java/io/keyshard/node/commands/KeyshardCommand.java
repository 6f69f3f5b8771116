package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.str;

import io.keyshard.node.journal.JournalEngine;
import io.keyshard.node.journal.JournalHistory;
import io.keyshard.node.server.Router;
import io.keyshard.node.slot.JournalRetention;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * KEYSHARD: Keyshard's own commands, for its tools (Redis has none of these).
 * <ul>
 *   <li>{@code KEYSHARD DIGESTS [slot | from-to ...]}: for each slot of those (all without
 *       arguments) that this node serves and that holds keys, [slot, [[db, keys, expires, digest,
 *       expiry digest] ...]]: what a backup's manifest holds per slot (docs/BACKUP-FORMAT.md), so
 *       `keyshard-backup verify --against` compares slot by slot without reading keys. Each slot
 *       is read on its own (a live node being written may differ from itself between slots).
 *   <li>{@code KEYSHARD KEYDIGESTS slot db}: the slot's live keys in the database, each [key,
 *       digest, expiry in Unix ms or -1]: for the slots that differ.
 *   <li>{@code KEYSHARD HOLD seconds}: until released (or for that long at most), no slot of this
 *       node trims what rebuilds an instant from now on; answers [hold id, the journal clock's
 *       time now in Unix ms]. A backup holds every primary, takes an instant after all their
 *       clocks, and reads that instant from each journal (REPLCONF keyshard-at, SYNC).
 *   <li>{@code KEYSHARD RELEASE id}: ends a hold (1), or finds none (0).
 *   <li>{@code KEYSHARD CHANGED slot db unix-ms}: [1 if the database was flushed since, else 0,
 *       [key ...]]: the keys of the slot's database that a write journaled at or after that
 *       instant touched, read from the journal; an error when the journal no longer holds every
 *       write since (verify --against, to tell keys written since a backup from the others).
 * </ul>
 */
final class KeyshardCommand {
  /**
   * A hold keeps what rebuilds instants from this long before it was taken: the trims compare
   * snapshot times of the node's clock, a cluster's instants are the database's clock.
   */
  static final long HOLD_MARGIN_MS = 10_000;

  private final Router router;
  private final Supplier<CompletionStage<int[]>> nonEmptySlots;
  private final JournalRetention retention;
  private final JournalEngine journal;
  private final Executor io;

  KeyshardCommand(
      Router router,
      Supplier<CompletionStage<int[]>> nonEmptySlots,
      JournalRetention retention,
      JournalEngine journal,
      Executor io) {
    this.router = router;
    this.nonEmptySlots = nonEmptySlots;
    this.retention = retention;
    this.journal = journal;
    this.io = io;
  }

  CompletionStage<Reply> run(byte[][] a) {
    String sub = str(a[1]).toLowerCase(Locale.ROOT);
    switch (sub) {
      case "digests" -> {
        BitSet wanted = new BitSet(Slots.SLOT_COUNT);
        if (a.length == 2) {
          wanted.set(0, Slots.SLOT_COUNT);
        }
        for (int i = 2; i < a.length; i++) {
          String range = str(a[i]);
          int dash = range.indexOf('-');
          int from = slot(dash < 0 ? range : range.substring(0, dash));
          int to = dash < 0 ? from : slot(range.substring(dash + 1));
          if (from < 0 || to < 0 || to < from) {
            return done(Reply.error("ERR Invalid or out of range slot range '" + range + "'"));
          }
          wanted.set(from, to + 1);
        }
        return nonEmptySlots.get().thenCompose(slots -> digests(slots, wanted));
      }
      case "keydigests" -> {
        if (a.length != 4) {
          return done(Err.wrongArity("keyshard|keydigests"));
        }
        int slot = slot(str(a[2]));
        int db = slot(str(a[3]));
        if (slot < 0 || db < 0 || db > 15) {
          return done(Reply.error("ERR Invalid slot or database"));
        }
        return router.slots().execInSlot(slot, "__key-digests", db, Args.command("__key-digests"), false);
      }
      case "hold" -> {
        if (a.length != 3) {
          return done(Err.wrongArity("keyshard|hold"));
        }
        Long seconds = Args.parseLongOrNull(a[2]);
        if (seconds == null || seconds < 1 || seconds > 86_400) {
          return done(Reply.error("ERR hold seconds must be between 1 and 86400"));
        }
        return CompletableFuture.supplyAsync(
            () -> {
              long now = System.currentTimeMillis();
              long id = retention.hold(now - HOLD_MARGIN_MS, now + seconds * 1000);
              try (JournalHistory h = journal.history()) {
                return Reply.array(List.of(Reply.integer(id), Reply.integer(h.now())));
              } catch (Exception e) {
                retention.release(id);
                return Reply.error("ERR cannot read the journal's clock: " + e.getMessage());
              }
            },
            io);
      }
      case "changed" -> {
        if (a.length != 5) {
          return done(Err.wrongArity("keyshard|changed"));
        }
        int slot = slot(str(a[2]));
        int db = slot(str(a[3]));
        Long at = Args.parseLongOrNull(a[4]);
        if (slot < 0 || db < 0 || db > 15 || at == null || at < 0) {
          return done(Reply.error("ERR Invalid slot, database or time"));
        }
        return CompletableFuture.supplyAsync(
            () -> {
              try (JournalHistory h = journal.history()) {
                HistoryCut.Changes c = HistoryCut.changedSince(h, slot, db, at);
                if (c == null) {
                  return Reply.error("ERR the journal no longer holds every write to slot " + slot + " since " + java.time.Instant.ofEpochMilli(at));
                }
                List<Reply> keys = new ArrayList<>();
                c.keys().forEach(k -> keys.add(Reply.bulk(k.array())));
                return Reply.array(List.of(Reply.integer(c.flushed() ? 1 : 0), Reply.array(keys)));
              } catch (Exception e) {
                return Reply.error("ERR cannot read the journal: " + e.getMessage());
              }
            },
            io);
      }
      case "release" -> {
        if (a.length != 3) {
          return done(Err.wrongArity("keyshard|release"));
        }
        Long id = Args.parseLongOrNull(a[2]);
        return done(Reply.integer(id != null && retention.release(id) ? 1 : 0));
      }
      case "help" -> {
        return done(
            Reply.array(
                List.of(
                    Reply.simple("KEYSHARD <subcommand> [<arg> ...]. Subcommands are:"),
                    Reply.simple("DIGESTS [<slot>|<from>-<to> ...]"),
                    Reply.simple("    Per slot served here holding keys: each database's key counts and digests."),
                    Reply.simple("KEYDIGESTS <slot> <db>"),
                    Reply.simple("    Each live key of the slot in the database: its digest and expiry."),
                    Reply.simple("HOLD <seconds>"),
                    Reply.simple("    Keep what rebuilds instants from now on; answers [hold id, journal time in ms]."),
                    Reply.simple("CHANGED <slot> <db> <unix-ms>"),
                    Reply.simple("    The keys of the slot's database written since that instant, from the journal."),
                    Reply.simple("RELEASE <id>"),
                    Reply.simple("    End a hold."),
                    Reply.simple("HELP"),
                    Reply.simple("    Print this help."))));
      }
      default -> {
        return done(
            Reply.error(
                "ERR unknown subcommand or wrong number of arguments for '" + str(a[1]) + "'. Try KEYSHARD HELP."));
      }
    }
  }

  private CompletionStage<Reply> digests(int[] slots, BitSet wanted) {
    List<Integer> asked = new ArrayList<>();
    List<CompletableFuture<Reply>> parts = new ArrayList<>();
    byte[][] argv = Args.command("__slot-digest");
    for (int slot : slots) {
      if (wanted.get(slot)) {
        asked.add(slot);
        parts.add(router.slots().execInSlot(slot, "__slot-digest", 0, argv, false).toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenApply(
            v -> {
              List<Reply> out = new ArrayList<>();
              for (int i = 0; i < parts.size(); i++) {
                Reply r = parts.get(i).join();
                if (!(r instanceof Reply.Array dbs)) {
                  return r; // a slot's error (TRYAGAIN...): the caller asks again
                }
                if (!dbs.items().isEmpty()) {
                  out.add(Reply.array(List.of(Reply.integer(asked.get(i)), r)));
                }
              }
              return Reply.array(out);
            });
  }

  private static int slot(String s) {
    try {
      int n = Integer.parseInt(s);
      return n >= 0 && n < Slots.SLOT_COUNT ? n : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static CompletionStage<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }
}
