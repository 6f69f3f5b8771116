package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * XREAD and XREADGROUP whose streams are in several slots, as programs over the slots the
 * transaction holds (never waiting: here they are their non-blocking forms, as inside MULTI).
 * The arguments are checked first, then every stream in key order in its slot ({@code __xcheck}:
 * WRONGTYPE, NOGROUP, the id), as Redis checks them all before it reads any; then each stream is
 * read in its slot as the same command naming it alone, and the answers are joined in key order.
 */
final class StreamCrossSlot {
  private StreamCrossSlot() {}

  static void register(CommandRegistry.Builder r) {
    r.crossSlot("xread", StreamCrossSlot::run);
    r.crossSlot("xreadgroup", StreamCrossSlot::run);
  }

  private static CompletionStage<Reply> run(SlotExecutor ex, int db, byte[][] argv, CommandSpec spec) {
    StreamCommands.ReadArgs r;
    try {
      r = StreamCommands.parseRead(argv);
    } catch (RedisException e) {
      return done(e.reply());
    }
    return check(ex, db, argv, r, 0).thenCompose(err -> err != null ? done(err) : read(ex, db, argv, r, 0, new ArrayList<>()));
  }

  private static CompletionStage<Reply> check(SlotExecutor ex, int db, byte[][] argv, StreamCommands.ReadArgs r, int i) {
    if (i == r.streams()) {
      return done(null);
    }
    byte[] key = r.key(argv, i);
    byte[][] form = Args.command("__xcheck", argv[0], r.group() ? r.groupName() : new byte[0], key, r.id(argv, i));
    return ex.exec(Slots.slot(key), "__xcheck", db, form, false)
        .thenCompose(reply -> reply.isError() ? done(reply) : check(ex, db, argv, r, i + 1));
  }

  private static CompletionStage<Reply> read(
      SlotExecutor ex, int db, byte[][] argv, StreamCommands.ReadArgs r, int i, List<Reply> out) {
    if (i == r.streams()) {
      return done(out.isEmpty() ? Reply.NULL_ARRAY : new Reply.PairMap(out));
    }
    byte[] key = r.key(argv, i);
    byte[][] form = single(argv, r, key, r.id(argv, i));
    String name = r.group() ? "xreadgroup" : "xread";
    return ex.exec(Slots.slot(key), name, db, form, r.group())
        .thenCompose(reply -> {
          if (reply.isError()) {
            return done(reply);
          }
          if (reply instanceof Reply.PairMap m) {
            out.addAll(m.keysAndValues());
          }
          return read(ex, db, argv, r, i + 1, out);
        });
  }

  /** The command with one stream: its options kept (BLOCK dropped: this run never waits). */
  static byte[][] single(byte[][] argv, StreamCommands.ReadArgs r, byte[] key, byte[] id) {
    List<byte[]> a = new ArrayList<>();
    a.add(argv[0]);
    if (r.group()) {
      a.add(Args.bytes("GROUP"));
      a.add(r.groupName());
      a.add(r.consumer());
    }
    if (r.count() != 0) {
      a.add(Args.bytes("COUNT"));
      a.add(Args.bytes(Long.toString(r.count())));
    }
    if (r.noack()) {
      a.add(Args.bytes("NOACK"));
    }
    a.add(Args.bytes("STREAMS"));
    a.add(key);
    a.add(id);
    return a.toArray(new byte[0][]);
  }

  private static CompletionStage<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }
}
