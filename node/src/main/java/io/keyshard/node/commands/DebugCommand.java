package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.str;

import io.keyshard.node.server.Router;
import io.keyshard.node.server.Session;
import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.rdb.RedisDigest;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * DEBUG DIGEST, DIGEST-VALUE and SET-ACTIVE-EXPIRE, with Redis 7.0.15's answers for the same
 * data (the digest: {@link RedisDigest}); the router refuses DEBUG before this unless enable-debug-command allows
 * it. Redis's other DEBUG subcommands (crash, reload, sleep, object internals...) are answered as
 * unknown. DIGEST reads every slot in one keyspace-wide transaction, so a cross-slot write is
 * wholly in the digest or wholly out; DIGEST-VALUE reads its keys' slots in one transaction.
 */
final class DebugCommand {
  private static final byte[] ZERO = new byte[RedisDigest.LENGTH];

  private final Router router;

  DebugCommand(Router router) {
    this.router = router;
  }

  CompletionStage<Reply> run(Session s, byte[][] a) {
    String sub = str(a[1]).toLowerCase(Locale.ROOT);
    if (sub.equals("help") && a.length == 2) {
      return done(help());
    }
    if (sub.equals("digest") && a.length == 2) {
      return router
          .transactions()
          .run(new TreeSet<>(), true, tx -> digest(tx::exec, tx.slots()))
          .exceptionally(ServerCommands::failed);
    }
    if (sub.equals("set-active-expire") && a.length == 3) {
      // Redis reads the flag with atoi: anything but a number starting non-zero is off.
      Long on = Args.parseLongOrNull(a[2]);
      router.slots().localSlots().setActiveExpire(on != null && on != 0);
      return done(Reply.OK);
    }
    if (sub.equals("digest-value")) {
      SortedSet<Integer> slots = new TreeSet<>();
      for (int i = 2; i < a.length; i++) {
        slots.add(Slots.slot(a[i]));
      }
      int db = s.db;
      return router
          .transactions()
          .run(slots, tx -> digestValues(tx::exec, tx.slots(), db, a))
          .exceptionally(ServerCommands::failed);
    }
    return done(unknown(a[1]));
  }

  /** Inside EXEC, whose transaction already holds every non-empty slot (DEBUG is keyspace-wide). */
  CompletionStage<Reply> inTransaction(
      SlotExecutor slots, SortedSet<Integer> locked, Session s, byte[][] a) {
    String sub = str(a[1]).toLowerCase(Locale.ROOT);
    if (sub.equals("help") && a.length == 2) {
      return done(help());
    }
    if (sub.equals("digest") && a.length == 2) {
      return digest(slots, locked);
    }
    if (sub.equals("digest-value")) {
      return digestValues(slots, locked, s.db, a);
    }
    return done(unknown(a[1]));
  }

  private static CompletionStage<Reply> digest(SlotExecutor exec, Collection<Integer> slots) {
    byte[][] argv = Args.command("__digest");
    List<CompletableFuture<Reply>> parts = new ArrayList<>();
    for (int slot : slots) {
      parts.add(exec.exec(slot, "__digest", 0, argv, false).toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenApply(
            v -> {
              byte[][] dbs = new byte[SlotState.DATABASES][];
              for (CompletableFuture<Reply> part : parts) {
                Reply r = part.join();
                if (!(r instanceof Reply.Array perDb)) {
                  return r; // an error of a slot (TRYAGAIN...)
                }
                for (int db = 0; db < dbs.length; db++) {
                  if (perDb.items().get(db) instanceof Reply.Bulk b) {
                    if (dbs[db] == null) {
                      dbs[db] = new byte[RedisDigest.LENGTH];
                    }
                    RedisDigest.xorInto(dbs[db], b.value());
                  }
                }
              }
              return Reply.simple(RedisDigest.hex(new RedisDigest().dataset(dbs)));
            });
  }

  /** One digest per key, in the order given; a key of a slot not held is absent (zeros). */
  private static CompletionStage<Reply> digestValues(
      SlotExecutor exec, Collection<Integer> held, int db, byte[][] a) {
    TreeMap<Integer, List<Integer>> bySlot = new TreeMap<>();
    for (int i = 2; i < a.length; i++) {
      bySlot.computeIfAbsent(Slots.slot(a[i]), k -> new ArrayList<>()).add(i);
    }
    Reply[] out = new Reply[a.length - 2];
    List<CompletableFuture<Void>> asks = new ArrayList<>();
    bySlot.forEach(
        (slot, positions) -> {
          if (!held.contains(slot)) {
            positions.forEach(i -> out[i - 2] = Reply.simple(RedisDigest.hex(ZERO)));
            return;
          }
          byte[][] argv = new byte[positions.size() + 1][];
          argv[0] = Args.bytes("__digest-value");
          for (int j = 0; j < positions.size(); j++) {
            argv[j + 1] = a[positions.get(j)];
          }
          asks.add(
              exec.exec(slot, "__digest-value", db, argv, false)
                  .thenAccept(
                      r -> {
                        for (int j = 0; j < positions.size(); j++) {
                          out[positions.get(j) - 2] =
                              r instanceof Reply.Array digests
                                  ? Reply.simple(RedisDigest.hex(((Reply.Bulk) digests.items().get(j)).value()))
                                  : r;
                        }
                      })
                  .toCompletableFuture());
        });
    return CompletableFuture.allOf(asks.toArray(new CompletableFuture[0]))
        .thenApply(
            v -> {
              for (Reply r : out) {
                if (r.isError()) {
                  return r;
                }
              }
              return Reply.array(List.of(out));
            });
  }

  private static Reply unknown(byte[] sub) {
    return Err.err(
        "unknown subcommand or wrong number of arguments for '"
            + str(sub)
            + "'. Try DEBUG HELP.");
  }

  private static Reply help() {
    List<Reply> lines = new ArrayList<>();
    for (String line :
        List.of(
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "HELP",
            "    Prints this help.")) {
      lines.add(Reply.simple(line));
    }
    return Reply.array(lines);
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
