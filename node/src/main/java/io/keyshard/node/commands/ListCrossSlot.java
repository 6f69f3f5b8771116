package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * List commands whose keys span slots, as programs over the slots the transaction holds (never
 * waiting: a blocking command here is its non-blocking form, as inside MULTI).
 *
 * <ul>
 *   <li>LMOVE, RPOPLPUSH, BLMOVE, BRPOPLPUSH: the source is checked (missing: nil; another type:
 *       WRONGTYPE), then the destination's type, and only then is the element popped and pushed,
 *       so a destination of the wrong type never loses the source an element.
 *   <li>BLPOP, BRPOP, LMPOP, BLMPOP: each key in order, in its own slot, as the same command
 *       with that one key; the first that pops answers, an error stops the search.
 * </ul>
 * Arguments are checked before any slot is asked, in Redis's order; the locks make the checks
 * and the change one step.
 */
final class ListCrossSlot {
  private ListCrossSlot() {}

  static void register(CommandRegistry.Builder r) {
    for (String name :
        List.of("lmove", "rpoplpush", "blmove", "brpoplpush", "blpop", "brpop", "lmpop", "blmpop")) {
      r.crossSlot(name, ListCrossSlot::run);
    }
  }

  private static CompletionStage<Reply> run(SlotExecutor ex, int db, byte[][] argv, CommandSpec spec) {
    try {
      return switch (spec.name()) {
        case "lmove", "rpoplpush", "blmove", "brpoplpush" ->
            move(ex, db, ListCommands.parseMove(argv));
        case "blpop", "brpop" -> firstThatPops(ex, db, argv, ListCommands.parseBpop(argv).keys());
        default -> firstThatPops(ex, db, argv, ListCommands.parseMpop(argv).keys());
      };
    } catch (RedisException e) {
      return CompletableFuture.completedFuture(e.reply());
    }
  }

  private static CompletionStage<Reply> move(SlotExecutor ex, int db, ListCommands.Move m) {
    int from = Slots.slot(m.source());
    int to = Slots.slot(m.destination());
    return ex.exec(from, "llen", db, Args.command("llen", m.source()), false)
        .thenCompose(
            srcLen -> {
              if (!(srcLen instanceof Reply.Int n) || n.value() == 0) {
                return done(srcLen instanceof Reply.Int ? Reply.NULL : srcLen);
              }
              return ex.exec(to, "llen", db, Args.command("llen", m.destination()), false)
                  .thenCompose(
                      dstLen -> {
                        if (dstLen.isError()) {
                          return done(dstLen);
                        }
                        // Read the element, push it, then pop it: Redis's order of the
                        // notifications (push, then pop); the locks keep the list unchanged.
                        byte[] end = Args.bytes(m.fromLeft() ? "0" : "-1");
                        String pop = m.fromLeft() ? "lpop" : "rpop";
                        return ex.exec(from, "lindex", db, Args.command("lindex", m.source(), end), false)
                            .thenCompose(element -> push(ex, db, to, m, element))
                            .thenCompose(
                                pushed ->
                                    pushed.isError()
                                        ? done(pushed)
                                        : ex.exec(from, pop, db, Args.command(pop, m.source()), true));
                      });
            });
  }

  private static CompletionStage<Reply> push(
      SlotExecutor ex, int db, int slot, ListCommands.Move m, Reply popped) {
    if (!(popped instanceof Reply.Bulk value)) {
      return done(popped);
    }
    String push = m.toLeft() ? "lpush" : "rpush";
    return ex.exec(slot, push, db, Args.command(push, m.destination(), value.value()), true)
        .thenApply(r -> r.isError() ? r : popped);
  }

  /**
   * Tries each key (argv index) in order as the same command with only that key; the first
   * reply that is not "nothing to pop" is the answer.
   */
  private static CompletionStage<Reply> firstThatPops(
      SlotExecutor ex, int db, byte[][] argv, int[] keys) {
    List<byte[][]> forms = new ArrayList<>(keys.length);
    for (int k : keys) {
      forms.add(singleKey(argv, keys, k));
    }
    return tryFrom(ex, db, argv, keys, forms, 0);
  }

  private static CompletionStage<Reply> tryFrom(
      SlotExecutor ex, int db, byte[][] argv, int[] keys, List<byte[][]> forms, int i) {
    if (i == keys.length) {
      return done(Reply.NULL_ARRAY);
    }
    byte[][] form = forms.get(i);
    String name = Args.str(form[0]).toLowerCase(Locale.ROOT);
    return ex.exec(Slots.slot(argv[keys[i]]), name, db, form, true)
        .thenCompose(
            r ->
                ListCommands.isNullReply(r)
                    ? tryFrom(ex, db, argv, keys, forms, i + 1)
                    : done(r));
  }

  /** argv with its key list (consecutive indexes {@code keys}) cut down to the key at k. */
  static byte[][] singleKey(byte[][] argv, int[] keys, int k) {
    int first = keys[0];
    int last = keys[keys.length - 1];
    byte[][] out = new byte[argv.length - keys.length + 1][];
    int j = 0;
    for (int i = 0; i < first; i++) {
      out[j++] = argv[i];
    }
    out[j++] = argv[k];
    for (int i = last + 1; i < argv.length; i++) {
      out[j++] = argv[i];
    }
    if (keys.length > 1 && isMpop(argv[0])) {
      out[first - 1] = Args.bytes("1"); // the key count before the keys
    }
    return out;
  }

  private static boolean isMpop(byte[] name) {
    return Args.is(name, "LMPOP") || Args.is(name, "BLMPOP");
  }

  private static CompletionStage<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }
}
