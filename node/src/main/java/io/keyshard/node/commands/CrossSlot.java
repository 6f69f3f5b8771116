package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;

/**
 * Multi-key commands whose keys span slots, as programs over the slots a transaction holds:
 * each slot gets the same command with its own keys (in their original order) and the replies
 * are merged; RENAME, RENAMENX and COPY move the value with {@code __take}/{@code __peek} and
 * {@code __put}. Atomicity comes from the transaction, not from here.
 */
final class CrossSlot {
  private CrossSlot() {}

  static void register(CommandRegistry.Builder r) {
    for (String name :
        List.of("mget", "mset", "msetnx", "del", "unlink", "exists", "touch", "rename", "renamenx", "copy")) {
      r.crossSlot(name, CrossSlot::run);
    }
  }

  private static CompletionStage<Reply> run(SlotExecutor ex, int db, byte[][] argv, CommandSpec spec) {
    String name = spec.name();
    try {
      return switch (name) {
        case "mget" -> mget(ex, db, argv);
        case "mset" -> mset(ex, db, argv, spec);
        case "msetnx" -> msetnx(ex, db, argv, spec);
        case "del", "unlink", "exists", "touch" -> sum(ex, name, db, argv, spec.isWrite());
        case "rename" -> rename(ex, db, argv, false);
        case "renamenx" -> rename(ex, db, argv, true);
        case "copy" -> copy(ex, db, argv);
        default -> throw new IllegalArgumentException("not a cross-slot command: " + name);
      };
    } catch (RedisException e) {
      return CompletableFuture.completedFuture(e.reply());
    }
  }

  /** For each slot, the argv indexes of its keys (each key with its {@code step - 1} values). */
  private static Map<Integer, List<Integer>> group(byte[][] argv, int step) {
    Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
    for (int i = 1; i < argv.length; i += step) {
      bySlot.computeIfAbsent(Slots.slot(argv[i]), s -> new ArrayList<>()).add(i);
    }
    return bySlot;
  }

  private static byte[][] part(byte[][] argv, List<Integer> positions, int step) {
    byte[][] sub = new byte[1 + positions.size() * step][];
    sub[0] = argv[0];
    int j = 1;
    for (int p : positions) {
      for (int k = 0; k < step; k++) {
        sub[j++] = argv[p + k];
      }
    }
    return sub;
  }

  private static CompletableFuture<List<Reply>> each(
      SlotExecutor ex, String name, int db, byte[][] argv, int step, boolean write) {
    List<CompletableFuture<Reply>> parts = new ArrayList<>();
    for (Map.Entry<Integer, List<Integer>> g : group(argv, step).entrySet()) {
      parts.add(ex.exec(g.getKey(), name, db, part(argv, g.getValue(), step), write).toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Runs a command in each of {@code slots} at once ({@code argvOf} gives each its arguments);
   * answers the first error among the replies, else OK.
   */
  static CompletableFuture<Reply> inEach(
      SlotExecutor ex, Collection<Integer> slots, String name, int db, IntFunction<byte[][]> argvOf, boolean write) {
    List<CompletableFuture<Reply>> parts = new ArrayList<>();
    for (int slot : slots) {
      parts.add(ex.exec(slot, name, db, argvOf.apply(slot), write).toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenApply(v -> parts.stream().map(CompletableFuture::join).filter(Reply::isError).findFirst().orElse(Reply.OK));
  }

  private static Reply firstError(List<Reply> replies) {
    return replies.stream().filter(Reply::isError).findFirst().orElse(null);
  }

  private static CompletionStage<Reply> mget(SlotExecutor ex, int db, byte[][] argv) {
    Map<Integer, List<Integer>> groups = group(argv, 1);
    Reply[] out = new Reply[argv.length - 1];
    List<CompletableFuture<Void>> parts = new ArrayList<>();
    for (Map.Entry<Integer, List<Integer>> g : groups.entrySet()) {
      List<Integer> positions = g.getValue();
      parts.add(
          ex.exec(g.getKey(), "mget", db, part(argv, positions, 1), false)
              .thenAccept(
                  r -> {
                    for (int i = 0; i < positions.size(); i++) {
                      out[positions.get(i) - 1] = r instanceof Reply.Array a ? a.items().get(i) : r;
                    }
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenApply(
            v -> {
              Reply err = firstError(Arrays.asList(out));
              return err != null ? err : Reply.array(List.of(out));
            });
  }

  private static void checkPairs(byte[][] argv, CommandSpec spec) {
    if (argv.length % 2 == 0) {
      throw new RedisException(Err.wrongArity(spec.fullName()));
    }
  }

  private static CompletionStage<Reply> mset(
      SlotExecutor ex, int db, byte[][] argv, CommandSpec spec) {
    checkPairs(argv, spec);
    return each(ex, "mset", db, argv, 2, true)
        .thenApply(rs -> firstError(rs) != null ? firstError(rs) : Reply.OK);
  }

  /** MSETNX: no key may exist anywhere, then all are set; the check and the set are one unit. */
  private static CompletionStage<Reply> msetnx(
      SlotExecutor ex, int db, byte[][] argv, CommandSpec spec) {
    checkPairs(argv, spec);
    byte[][] keys = new byte[1 + (argv.length - 1) / 2][];
    keys[0] = "EXISTS".getBytes();
    for (int i = 1, j = 1; i < argv.length; i += 2) {
      keys[j++] = argv[i];
    }
    return each(ex, "exists", db, keys, 1, false)
        .thenCompose(
            counts -> {
              Reply err = firstError(counts);
              if (err != null) {
                return CompletableFuture.completedFuture(err);
              }
              if (counts.stream().mapToLong(r -> ((Reply.Int) r).value()).sum() > 0) {
                return CompletableFuture.completedFuture(Reply.ZERO);
              }
              return each(ex, "mset", db, argv, 2, true)
                  .thenApply(rs -> firstError(rs) != null ? firstError(rs) : Reply.ONE);
            });
  }

  private static CompletionStage<Reply> sum(
      SlotExecutor ex, String name, int db, byte[][] argv, boolean write) {
    return each(ex, name, db, argv, 1, write)
        .thenApply(
            rs -> {
              long total = 0;
              for (Reply r : rs) {
                if (!(r instanceof Reply.Int n)) {
                  return r;
                }
                total += n.value();
              }
              return Reply.integer(total);
            });
  }


  /**
   * RENAME/RENAMENX between slots: check as Redis does (source missing first, then for NX an
   * existing target), then take the source with its expiry and put it at the target. Every step
   * runs under the transaction's locks, so the checks still hold when the value moves.
   */
  private static CompletionStage<Reply> rename(SlotExecutor ex, int db, byte[][] argv, boolean nx) {
    byte[] from = argv[1];
    byte[] to = argv[2];
    return ex.exec(Slots.slot(from), "exists", db, Args.command("exists", from), false)
        .thenCompose(
            exists -> {
              if (!(exists instanceof Reply.Int n)) {
                return CompletableFuture.completedFuture(exists);
              }
              if (n.value() == 0) {
                return CompletableFuture.completedFuture(Err.NO_SUCH_KEY);
              }
              if (!nx) {
                return move(ex, db, from, to, Reply.OK);
              }
              return ex.exec(Slots.slot(to), "exists", db, Args.command("exists", to), false)
                  .thenCompose(
                      target ->
                          target instanceof Reply.Int t && t.value() > 0
                              ? CompletableFuture.completedFuture(Reply.ZERO)
                              : move(ex, db, from, to, Reply.ONE));
            });
  }

  private static CompletionStage<Reply> move(
      SlotExecutor ex, int db, byte[] from, byte[] to, Reply done) {
    return ex.exec(Slots.slot(from), "__take", db, Args.command("__take", from), true)
        .thenCompose(
            taken ->
                taken instanceof Reply.Bulk payload
                    ? ex.exec(Slots.slot(to), "__put", db, Args.command("__put", to, payload.value(), Args.bytes("REPLACE")), true)
                        .thenApply(put -> put.isError() ? put : done)
                    : CompletableFuture.completedFuture(taken));
  }

  /** COPY between slots (DB and REPLACE as usual); the source is untouched. */
  private static CompletionStage<Reply> copy(SlotExecutor ex, int db, byte[][] argv) {
    KeyCommands.CopyOptions o = KeyCommands.parseCopyOptions(argv, db);
    byte[] from = argv[1];
    byte[] to = argv[2];
    return ex.exec(Slots.slot(from), "__peek", db, Args.command("__peek", from), false)
        .thenCompose(
            peeked -> {
              if (peeked instanceof Reply.Null) {
                return CompletableFuture.completedFuture(Reply.ZERO);
              }
              if (!(peeked instanceof Reply.Bulk payload)) {
                return CompletableFuture.completedFuture(peeked);
              }
              byte[] mode = Args.bytes(o.replace() ? "REPLACE" : "NX");
              return ex.exec(
                  Slots.slot(to),
                  "__put",
                  o.toDb(),
                  Args.command("__put", to, payload.value(), mode, Args.bytes("COPY")),
                  true);
            });
  }
}
