package io.keyshard.node.commands;

import io.keyshard.node.server.Router;
import io.keyshard.node.server.Session;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Multi-key commands whose keys may span slots (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH). Keys
 * in one slot take the fast path unchanged; otherwise the command is split into one command per
 * slot, with the keys in their original order, and the replies are merged.
 *
 * <p>Not yet atomic across slots: another client may see part of an MSET or DEL that spans
 * slots. The atomic multi-slot mechanism (issue 3) replaces this split for writes.
 */
final class MultiSlot {
  private final Router router;

  MultiSlot(Router router) {
    this.router = router;
  }

  /** Argument groups by slot: for each slot, the argv indexes of its keys (and values). */
  private static Map<Integer, List<Integer>> group(byte[][] argv, int first, int step) {
    Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
    for (int i = first; i < argv.length; i += step) {
      bySlot.computeIfAbsent(Slots.slot(argv[i]), s -> new ArrayList<>()).add(i);
    }
    return bySlot;
  }

  private static byte[][] subCommand(byte[][] argv, List<Integer> positions, int step) {
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

  CompletionStage<Reply> mget(Session s, byte[][] argv, CommandSpec spec) {
    Map<Integer, List<Integer>> groups = group(argv, 1, 1);
    if (groups.size() == 1) {
      return router.execInSlot(groups.keySet().iterator().next(), "mget", s.db, argv, false);
    }
    Reply[] out = new Reply[argv.length - 1];
    List<CompletableFuture<Void>> parts = new ArrayList<>();
    for (Map.Entry<Integer, List<Integer>> g : groups.entrySet()) {
      List<Integer> positions = g.getValue();
      parts.add(
          router
              .execInSlot(g.getKey(), "mget", s.db, subCommand(argv, positions, 1), false)
              .thenAccept(
                  r -> {
                    for (int i = 0; i < positions.size(); i++) {
                      out[positions.get(i) - 1] =
                          r instanceof Reply.Array a ? a.items().get(i) : r;
                    }
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
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

  CompletionStage<Reply> mset(Session s, byte[][] argv, CommandSpec spec) {
    if (argv.length % 2 == 0) {
      return CompletableFuture.completedFuture(Err.wrongArity(spec.fullName()));
    }
    return fanOut(s, argv, spec, 2, "mset").thenApply(replies -> firstErrorOr(replies, Reply.OK));
  }

  /** DEL, UNLINK, EXISTS, TOUCH: the per-slot counts add up. */
  CompletionStage<Reply> sum(Session s, byte[][] argv, CommandSpec spec) {
    String name = spec.name();
    return fanOut(s, argv, spec, 1, name)
        .thenApply(
            replies -> {
              long total = 0;
              for (Reply r : replies) {
                if (r instanceof Reply.Int n) {
                  total += n.value();
                } else {
                  return r;
                }
              }
              return Reply.integer(total);
            });
  }

  private CompletionStage<List<Reply>> fanOut(
      Session s, byte[][] argv, CommandSpec spec, int step, String name) {
    boolean write = spec.flags().contains("write");
    Map<Integer, List<Integer>> groups = group(argv, 1, step);
    List<CompletableFuture<Reply>> parts = new ArrayList<>();
    for (Map.Entry<Integer, List<Integer>> g : groups.entrySet()) {
      byte[][] sub = groups.size() == 1 ? argv : subCommand(argv, g.getValue(), step);
      parts.add(router.execInSlot(g.getKey(), name, s.db, sub, write).toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
  }

  private static Reply firstErrorOr(List<Reply> replies, Reply ok) {
    for (Reply r : replies) {
      if (r.isError()) {
        return r;
      }
    }
    return ok;
  }
}
