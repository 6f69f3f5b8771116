package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.SetValue;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * SMOVE, SINTER/SUNION/SDIFF and their STORE forms, and SINTERCARD with keys in several slots,
 * as programs over the slots the transaction holds: read every source with {@code __smembers}
 * (which type-checks it, so any source of the wrong type fails the command before anything is
 * written, as in Redis), compute with {@link SetCommands}' algebra, then write the destination
 * with {@code __sstore}. Sources are all read before the destination is written, so the
 * destination may be one of them. Atomicity comes from the transaction, not from here.
 */
final class SetCrossSlot {
  private SetCrossSlot() {}

  static void register(CommandRegistry.Builder r) {
    for (String name :
        List.of(
            "smove", "sinter", "sunion", "sdiff", "sinterstore", "sunionstore", "sdiffstore",
            "sintercard")) {
      r.crossSlot(name, SetCrossSlot::run);
    }
  }

  private static CompletionStage<Reply> run(SlotExecutor ex, int db, byte[][] argv, CommandSpec spec) {
    try {
      return switch (spec.name()) {
        case "smove" -> smove(ex, db, argv);
        case "sinter" -> read(ex, db, argv, 1, argv.length)
            .thenApply(r -> r.error != null ? r.error : SetCommands.setReply(SetCommands.inter(r.sets, 0)));
        case "sunion" -> read(ex, db, argv, 1, argv.length)
            .thenApply(r -> r.error != null ? r.error : SetCommands.setReply(SetCommands.union(r.sets).ordered()));
        case "sdiff" -> read(ex, db, argv, 1, argv.length)
            .thenApply(r -> r.error != null ? r.error : SetCommands.setReply(SetCommands.diff(r.sets).ordered()));
        case "sinterstore" -> store(ex, db, argv, "sinterstore", sets -> SetValue.of(SetCommands.inter(sets, 0)));
        case "sunionstore" -> store(ex, db, argv, "sunionstore", SetCommands::union);
        case "sdiffstore" -> store(ex, db, argv, "sdiffstore", SetCommands::diff);
        case "sintercard" -> {
          SetCommands.CardOptions o = SetCommands.parseCard(argv);
          yield read(ex, db, argv, 2, 2 + o.numKeys())
              .thenApply(
                  r -> r.error != null
                      ? r.error
                      : Reply.integer(SetCommands.inter(r.sets, o.limit()).size()));
        }
        default -> throw new IllegalArgumentException("not a cross-slot command: " + spec.name());
      };
    } catch (RedisException e) {
      return CompletableFuture.completedFuture(e.reply());
    }
  }

  /** The sources read, null for a missing key, or the first error in key order. */
  private record Sources(List<SetValue> sets, Reply error) {}

  private static CompletionStage<Sources> read(
      SlotExecutor ex, int db, byte[][] argv, int from, int to) {
    List<CompletableFuture<Reply>> parts = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      parts.add(
          ex.exec(Slots.slot(argv[i]), "__smembers", db, Args.command("__smembers", argv[i]), false)
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenApply(
            v -> {
              List<SetValue> sets = new ArrayList<>(parts.size());
              for (CompletableFuture<Reply> p : parts) {
                Reply r = p.join();
                if (r.isError()) {
                  return new Sources(null, r);
                }
                if (r instanceof Reply.Array a) {
                  List<Bytes> members = new ArrayList<>(a.items().size());
                  a.items().forEach(m -> members.add(Bytes.wrap(((Reply.Bulk) m).value())));
                  sets.add(SetValue.of(members));
                } else {
                  sets.add(null);
                }
              }
              return new Sources(sets, null);
            });
  }

  private static CompletionStage<Reply> store(
      SlotExecutor ex,
      int db,
      byte[][] argv,
      String event,
      Function<List<SetValue>, SetValue> op) {
    byte[] dst = argv[1];
    return read(ex, db, argv, 2, argv.length)
        .thenCompose(
            r -> {
              if (r.error != null) {
                return CompletableFuture.completedFuture(r.error);
              }
              SetValue result = op.apply(r.sets);
              List<byte[]> args = new ArrayList<>(result.size() + 1);
              args.add(dst);
              args.add(Args.bytes(event));
              result.ordered().forEach(m -> args.add(m.array()));
              return ex.exec(
                  Slots.slot(dst), "__sstore", db, Args.command("__sstore", args.toArray(new byte[0][])), true);
            });
  }

  /**
   * SMOVE between slots, checked as Redis checks it: a missing source answers 0 whatever the
   * destination; then both types; then the member moves (SREM here, SADD there).
   */
  private static CompletionStage<Reply> smove(SlotExecutor ex, int db, byte[][] argv) {
    byte[] src = argv[1];
    byte[] dst = argv[2];
    byte[] member = argv[3];
    CompletionStage<Reply> source =
        ex.exec(Slots.slot(src), "__sprobe", db, Args.command("__sprobe", src, member), false);
    CompletionStage<Reply> target =
        ex.exec(Slots.slot(dst), "__sprobe", db, Args.command("__sprobe", dst, member), false);
    return source
        .thenCombine(target, (s, t) -> new Reply[] {s, t})
        .thenCompose(
            probes -> {
              Reply s = probes[0];
              Reply t = probes[1];
              if (s instanceof Reply.Null) {
                return CompletableFuture.completedFuture(Reply.ZERO);
              }
              if (s.isError()) {
                return CompletableFuture.completedFuture(s);
              }
              if (t.isError()) {
                return CompletableFuture.completedFuture(t);
              }
              if (!(s instanceof Reply.Int in) || in.value() == 0) {
                return CompletableFuture.completedFuture(Reply.ZERO);
              }
              return ex.exec(Slots.slot(src), "srem", db, Args.command("srem", src, member), true)
                  .thenCompose(
                      removed ->
                          removed.isError()
                              ? CompletableFuture.completedFuture(removed)
                              : ex.exec(Slots.slot(dst), "sadd", db, Args.command("sadd", dst, member), true)
                                  .thenApply(added -> added.isError() ? added : Reply.ONE));
            });
  }
}
