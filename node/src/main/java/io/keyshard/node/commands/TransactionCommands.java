package io.keyshard.node.commands;

import io.keyshard.node.commands.CommandRegistry.Binding;
import io.keyshard.node.commands.CommandRegistry.Kind;
import io.keyshard.node.commands.CommandRegistry.Trait;
import io.keyshard.node.route.Verdict;
import io.keyshard.node.server.CommandStats;
import io.keyshard.node.server.Router;
import io.keyshard.node.server.Session;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.node.tx.Transactions;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.RespWriter;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;

/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH with Redis 7.0 semantics, on the atomic multi-slot
 * mechanism: EXEC locks every slot its commands touch (and, for DBSIZE, KEYS, RANDOMKEY,
 * FLUSHDB and FLUSHALL, every non-empty slot), checks WATCH under those locks, and runs the
 * queued commands as one transaction that no other client can interleave with.
 */
final class TransactionCommands {
  private final Router router;
  private final ServerCommands server;

  TransactionCommands(Router router, ServerCommands server) {
    this.router = router;
    this.server = server;
  }

  void register(CommandRegistry.Builder r) {
    r.transactionControl("multi", (s, a, spec) -> done(multi(s)), Trait.ACTS_ON_MULTI);
    r.transactionControl(
        "discard", (s, a, spec) -> discard(s), Trait.ACTS_ON_MULTI, Trait.TAKEN_IN_MULTI_WHEN_OOM);
    r.transactionControl("watch", this::watch, Trait.ACTS_ON_MULTI);
    // UNWATCH inside MULTI is queued, as in Redis.
    r.transactionControl("unwatch", (s, a, spec) -> unwatchAll(s).thenApply(v -> Reply.OK));
    r.transactionControl(
        "exec", (s, a, spec) -> exec(s), Trait.ACTS_ON_MULTI, Trait.TAKEN_IN_MULTI_WHEN_OOM);
  }

  private Reply multi(Session s) {
    if (s.multi != null) {
      return Err.MULTI_NESTED;
    }
    s.multi = new ArrayList<>();
    s.multiFailed = false;
    return Reply.OK;
  }

  private CompletionStage<Reply> discard(Session s) {
    if (s.multi == null) {
      return done(Err.DISCARD_WITHOUT_MULTI);
    }
    s.multi = null;
    s.multiFailed = false;
    return unwatchAll(s).thenApply(v -> Reply.OK);
  }

  private CompletionStage<Reply> watch(Session s, byte[][] argv, CommandSpec spec) {
    if (s.multi != null) {
      return done(Err.err("WATCH inside MULTI is not allowed"));
    }
    Map<Integer, List<byte[]>> bySlot = new LinkedHashMap<>();
    for (int i = 1; i < argv.length; i++) {
      bySlot.computeIfAbsent(Slots.slot(argv[i]), x -> new ArrayList<>()).add(argv[i]);
    }
    int db = s.db;
    List<CompletableFuture<Done>> acks = new ArrayList<>();
    bySlot.forEach(
        (slot, keys) -> {
          s.watchedSlots.add(slot);
          acks.add(
              router.slots()
                  .<Done>ask(slot, r -> new SlotEntity.Watch(s.id, db, keys, r))
                  .toCompletableFuture());
        });
    return CompletableFuture.allOf(acks.toArray(new CompletableFuture[0]))
        .thenApply(v -> Reply.OK)
        .exceptionally(ServerCommands::failed);
  }

  /** Forgets the connection's WATCHes (also on EXEC, DISCARD, RESET and disconnect). */
  CompletionStage<Void> unwatchAll(Session s) {
    for (int slot : s.watchedSlots) {
      // Unwatch has no reply: an ask would only wait out the request timeout.
      router.slots().tell(slot, new SlotEntity.Unwatch(s.id));
    }
    s.watchedSlots.clear();
    return CompletableFuture.completedFuture(null);
  }

  private CompletionStage<Reply> exec(Session s) {
    if (s.multi == null) {
      return done(Err.EXEC_WITHOUT_MULTI);
    }
    List<byte[][]> queued = s.multi;
    boolean failed = s.multiFailed;
    s.multi = null;
    s.multiFailed = false;
    Set<Integer> watched = Set.copyOf(s.watchedSlots);
    if (failed) {
      return unwatchAll(s)
          .thenApply(
              v -> Reply.error("EXECABORT Transaction discarded because of previous errors."));
    }
    CommandTable table = router.table();
    SortedSet<Integer> slots = new TreeSet<>(watched);
    boolean everySlot = false;
    for (byte[][] argv : queued) {
      CommandSpec top = table.lookup(argv[0]);
      if (router.commands().get(top.name()).kind() == Kind.KEYSPACE_WIDE) {
        // Inside EXEC it runs over every locked non-empty slot.
        everySlot = true;
      }
      int[] keys = table.keyPositions(table.resolve(argv), argv);
      slots.addAll(Router.slotsOf(argv, keys));
    }
    int startDb = s.db;
    // Client tracking: the keys of the read-only commands queued, remembered with EXEC's reply.
    List<byte[][]> tracked = new ArrayList<>();
    if (s.tracking != null) {
      for (byte[][] argv : queued) {
        CommandSpec spec = table.resolve(argv);
        if (spec != null && spec.isReadonly()) {
          byte[][] keys =
              io.keyshard.node.pubsub.Tracking.keysToRemember(
                  s, s.trackingCachingNow, argv, table.keyPositions(spec, argv));
          if (keys != null) {
            tracked.add(keys);
          }
        }
      }
    }
    return execHolding(s, queued, watched, slots, everySlot, startDb, 1)
        .thenApply(
            r -> {
              if (r instanceof Reply.Array) {
                tracked.forEach(keys -> router.tracking().rememberAfter(s, keys));
              }
              return r;
            })
        .whenComplete((r, t) -> unwatchAll(s))
        .exceptionally(ServerCommands::failed);
  }

  /**
   * EXEC's transaction over {@code slots}; run again holding more when a script in it touched a
   * slot it did not declare (or a keyspace-wide command), as EVAL does by itself.
   */
  private CompletionStage<Reply> execHolding(
      Session s, List<byte[][]> queued, Set<Integer> watched, SortedSet<Integer> slots, boolean everySlot, int startDb,
      int run) {
    ScriptCommands.Needs needs = new ScriptCommands.Needs();
    return router
        .transactions()
        .run(
            slots,
            everySlot,
            tx -> {
              tx.by(s.id);
              s.db = startDb; // a run refused at the barrier runs again from the start
              return program(tx, s, queued, watched, tx.slots(), everySlot, needs)
                  .thenApply(
                      r -> {
                        if (needs.any()) {
                          tx.abort();
                        }
                        return r;
                      });
            })
        .thenCompose(
            r -> {
              if (!needs.any() || run >= 16) {
                return done(r);
              }
              SortedSet<Integer> more = new TreeSet<>(slots);
              more.addAll(needs.slots);
              return execHolding(s, queued, watched, more, everySlot || needs.everySlot, startDb, run + 1);
            });
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  private CompletionStage<Reply> program(
      Transactions.Tx tx,
      Session s,
      List<byte[][]> queued,
      Set<Integer> watched,
      SortedSet<Integer> locked,
      boolean everySlot,
      ScriptCommands.Needs needs) {
    List<CompletableFuture<Boolean>> checks = new ArrayList<>();
    for (int slot : watched) {
      checks.add(tx.watchClean(slot, s.id).toCompletableFuture());
    }
    return CompletableFuture.allOf(checks.toArray(new CompletableFuture[0]))
        .thenCompose(
            v -> {
              if (checks.stream().anyMatch(c -> !c.join())) {
                tx.abort();
                return done(Reply.NULL_ARRAY);
              }
              List<Reply> replies = new ArrayList<>();
              CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
              for (byte[][] argv : queued) {
                // Each reply in the protocol in force once its command ran: HELLO inside MULTI
                // switches the rest of EXEC's reply, as in Redis.
                chain =
                    chain
                        .thenCompose(x -> needs.any() ? done(Reply.NULL) : runQueued(tx, s, argv, locked, everySlot, needs))
                        .thenAccept(r -> replies.add(new Reply.Raw(RespWriter.encode(r, s.proto))));
              }
              return chain.thenApply(x -> Reply.array(replies));
            });
  }

  /** One queued command (or a script's command), inside the transaction. */
  CompletionStage<Reply> runQueued(
      Transactions.Tx tx, Session s, byte[][] argv, SortedSet<Integer> locked, boolean everySlot, ScriptCommands.Needs needs) {
    return runQueued(tx, s, argv, locked, everySlot, needs, false);
  }

  /**
   * {@code script}: called by a script, whose {@code needs} it is (SORT's pattern keys may ask
   * for slots the transaction does not hold: the script or the EXEC then runs again).
   */
  CompletionStage<Reply> runQueued(
      Transactions.Tx tx, Session s, byte[][] argv, SortedSet<Integer> locked, boolean everySlot, ScriptCommands.Needs needs,
      boolean script) {
    CommandTable table = router.table();
    CommandSpec top = table.lookup(argv[0]);
    CommandSpec spec = table.resolve(argv);
    CommandStats stats = router.commandStats();
    // Checked again, as Redis does: the user's rules may have changed since it was queued.
    Reply denied = router.acl().recheck(s, top, spec, argv);
    if (denied != null) {
      stats.rejected(spec);
      stats.error(denied);
      return CompletableFuture.completedFuture(denied);
    }
    // Inside EXEC or a script a command counts under its own name, and its error in errorstats
    // (EXEC's array and a script's reply are not errors themselves).
    long start = System.nanoTime();
    return runChecked(tx, s, argv, locked, everySlot, needs, script, top, spec)
        .whenComplete(
            (r, t) -> {
              if (needs.any()) {
                return; // undone: it runs again, and is counted then
              }
              stats.ran(spec, start, t == null ? r : null);
              if (r != null) {
                s.countError(stats, r);
              }
            });
  }

  private CompletionStage<Reply> runChecked(
      Transactions.Tx tx, Session s, byte[][] argv, SortedSet<Integer> locked, boolean everySlot, ScriptCommands.Needs needs,
      boolean script, CommandSpec top, CommandSpec spec) {
    CommandTable table = router.table();
    String name = top.name();
    int db = s.db;
    switch (name) {
      case "dbsize":
        return overAll(tx, locked, "__count", db, Args.command("__count"))
            .thenApply(rs -> Reply.integer(rs.stream().mapToLong(r -> ((Reply.Int) r).value()).sum()));
      case "keys":
        return overAll(tx, locked, "__keys", db, Args.command("__keys", argv[1])).thenApply(TransactionCommands::concat);
      case "scan": {
        // Under the transaction's locks one pass returns every key; the cursor ends at 0.
        ServerCommands.ScanOptions o;
        try {
          o = ServerCommands.parseScan(argv);
        } catch (RedisException e) {
          return done(e.reply());
        }
        byte[] match = o.pattern() == null ? Args.bytes("*") : o.pattern();
        byte[][] args = o.type() == null ? Args.command("__keys", match) : Args.command("__keys", match, Args.bytes(o.type()));
        SortedSet<Integer> from = o.cursor() < 0 ? new TreeSet<>() : locked.tailSet((int) Math.min(o.cursor(), Slots.SLOT_COUNT));
        return overAll(tx, from, "__keys", db, args)
            .thenApply(rs -> Reply.array(List.of(Reply.bulk("0"), concat(rs))));
      }
      case "info":
        // Key counts from the slots this transaction holds: asking them directly would wait on us.
        return server.info().render(s, argv, () -> lockedStats(tx, locked));
      case "randomkey":
        return overAll(tx, locked, "__keys", db, Args.command("__keys", Args.bytes("*")))
            .thenApply(
                rs -> {
                  List<Reply> all = ((Reply.Array) concat(rs)).items();
                  return all.isEmpty() ? Reply.NULL : all.get(ThreadLocalRandom.current().nextInt(all.size()));
                });
      case "flushdb":
      case "flushall":
        if (argv.length > 2 || (argv.length == 2 && !Args.is(argv[1], "ASYNC") && !Args.is(argv[1], "SYNC"))) {
          return done(Err.SYNTAX);
        }
        byte[] which = Args.bytes(Integer.toString(name.equals("flushall") ? -1 : db));
        return overAll(tx, locked, "__flush", db, Args.command("__flush", which))
            .thenApply(rs -> server.flushedIfOk(s, Reply.OK));
      case "debug":
        return server.debug().inTransaction(tx::exec, locked, s, argv);
      case "wait":
        return server.waitCommand().inTransaction(s, argv);
      case "migrate":
        // EXEC already holds its keys' slots: it runs inside this transaction, not a new one.
        return server.migrate().inTransaction(tx::exec, s, argv);
      case "sort":
      case "sort_ro": {
        SortedSet<Integer> missing = new TreeSet<>();
        return SortCommand.inTransaction(tx, router, s, argv, script, missing)
            .thenApply(
                r -> {
                  if (missing.isEmpty()) {
                    return r;
                  }
                  if (needs != null) {
                    synchronized (needs) {
                      needs.slots.addAll(missing);
                    }
                  }
                  return Err.err("SORT needs slots this transaction does not hold: it runs again");
                });
      }
      case "eval":
      case "evalsha":
      case "eval_ro":
      case "evalsha_ro":
        return server.scripts().inTransaction(tx, everySlot, s, argv, needs);
      default:
        break;
    }
    Binding binding = router.commands().get(name);
    if (binding.kind().atConnection()) {
      return binding.session().run(s, argv, spec);
    }
    int[] keys = table.keyPositions(spec, argv);
    if (keys.length == 0) {
      // Any slot can answer a keyless form; waiting for one this transaction does not hold
      // could wait on a transaction that waits on us.
      return locked.isEmpty()
          ? router.slots().execInSlot(0, name, db, argv, false)
          : tx.exec(locked.first(), name, db, argv, false);
    }
    SortedSet<Integer> slots = Router.slotsOf(argv, keys);
    if (slots.size() == 1) {
      return tx.exec(slots.first(), name, db, argv, spec.isWrite());
    }
    if (binding.crossSlot() != null) {
      return binding.crossSlot().run(tx::exec, db, argv, spec);
    }
    return done(Verdict.CROSS_SLOT.reply());
  }

  private static CompletionStage<SlotEntity.Stats> lockedStats(
      Transactions.Tx tx, SortedSet<Integer> locked) {
    return overAll(tx, locked, "__stats", 0, Args.command("__stats"))
        .thenApply(
            rs -> {
              long[] keys = new long[16];
              long[] expires = new long[16];
              for (Reply r : rs) {
                List<Reply> n = ((Reply.Array) r).items();
                for (int db = 0; db < 16; db++) {
                  keys[db] += ((Reply.Int) n.get(2 * db)).value();
                  expires[db] += ((Reply.Int) n.get(2 * db + 1)).value();
                }
              }
              return new SlotEntity.Stats(keys, expires);
            });
  }

  private static CompletionStage<List<Reply>> overAll(
      Transactions.Tx tx, SortedSet<Integer> locked, String name, int db, byte[][] argv) {
    List<CompletableFuture<Reply>> parts = new ArrayList<>();
    for (int slot : locked) {
      parts.add(tx.exec(slot, name, db, argv, name.equals("__flush")).toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
  }

  private static Reply concat(List<Reply> parts) {
    List<Reply> all = new ArrayList<>();
    for (Reply r : parts) {
      if (r instanceof Reply.Array a) {
        all.addAll(a.items());
      }
    }
    return Reply.array(all);
  }

}
