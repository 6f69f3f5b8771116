package io.keyshard.node.server;

import io.keyshard.node.commands.BlockingTimeout;
import io.keyshard.node.commands.StreamCommands;
import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.node.slot.Waiter;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX, BZMPOP, and XREAD and
 * XREADGROUP with BLOCK, outside MULTI
 * (docs/decisions/2026-11-22-blocking-commands.md).
 *
 * <p>First the command runs once as it would inside MULTI (never blocking): that answers every
 * argument error and serves a client whose keys already hold data, with the exact semantics of
 * the non-blocking path, across slots too. If it found nothing, a {@link Waiter} is queued on
 * its keys, slot by slot in key order (each slot checks again, so a push in between is not
 * missed); from then on the slot whose key gets data serves it, in the same actor turn as the
 * write. The timeout and the connection's close end the wait. Inside MULTI these commands never
 * get here: EXEC runs their non-blocking bodies, as Redis does.
 */
public final class Blocking {
  /** Runs a keyed command once where its keys are (the router's non-blocking path). */
  @FunctionalInterface
  public interface Keyed {
    CompletionStage<Reply> run(int db, byte[][] argv, Route route);
  }

  private final SlotClient slotClient;
  private final Keyed keyed;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "keyshard-blocking-timeouts");
            t.setDaemon(true);
            return t;
          });

  public Blocking(SlotClient slots, Keyed keyed) {
    this.slotClient = slots;
    this.keyed = keyed;
  }

  public CompletionStage<Reply> run(Session s, byte[][] argv, Route route) {
    return attempt(s, s.db, argv, route, System.currentTimeMillis(), -1);
  }

  /** One non-blocking run, then a wait if it found nothing; {@code deadline} -1: not known yet. */
  private CompletionStage<Reply> attempt(
      Session s, int db, byte[][] argv, Route route, long start, long deadline) {
    return keyed
        .run(db, argv, route)
        .thenCompose(
            r -> {
              if (!Waiter.isNothing(r)) {
                return CompletableFuture.completedFuture(r);
              }
              String name = route.top().name();
              long end = deadline;
              if (end == -1) {
                long ms;
                if (isStreamRead(name)) {
                  ms = StreamCommands.waitFor(db, argv).timeoutMs();
                  if (ms == -1) {
                    return CompletableFuture.completedFuture(r); // no BLOCK: answered
                  }
                } else {
                  ms = BlockingTimeout.millis(argv[timeoutIndex(name, argv)]);
                }
                end = ms == 0 ? 0 : start + ms;
              }
              if (end != 0 && end <= System.currentTimeMillis()) {
                return CompletableFuture.completedFuture(Reply.NULL_ARRAY);
              }
              return block(s, db, argv, route, start, end);
            });
  }

  private CompletionStage<Reply> block(
      Session s, int db, byte[][] argv, Route route, long start, long deadline) {
    String name = route.top().name();
    Reply nothing = Reply.NULL_ARRAY; // Redis 7.0 answers a timeout so, BLMOVE and XREAD included
    List<byte[]> keys;
    Waiter w;
    if (isStreamRead(name)) {
      // Woken by __xwake, which serves the first of its keys with entries past its id.
      StreamCommands.Wait wait = StreamCommands.waitFor(db, argv);
      keys = wait.keys();
      w = new Waiter(db, "__xwake", "stream", false, wait.argvFor(), nothing);
      w.onQueue(wait.pin());
    } else {
      keys = keys(name, argv);
      boolean moves = name.equals("blmove") || name.equals("brpoplpush");
      boolean retry = moves && Slots.slot(argv[1]) != Slots.slot(argv[2]);
      w = new Waiter(
          db, name, route.top().group().equals("list") ? "list" : "zset", retry, ks -> argvFor(name, argv, ks), nothing);
    }

    // Runs of consecutive keys in one slot: one Block message each, in key order.
    List<Integer> slots = new ArrayList<>();
    List<List<byte[]>> groups = new ArrayList<>();
    for (byte[] key : keys) {
      int slot = Slots.slot(key);
      if (slots.isEmpty() || slots.get(slots.size() - 1) != slot) {
        slots.add(slot);
        groups.add(new ArrayList<>());
      }
      groups.get(groups.size() - 1).add(key);
    }

    w.setClient(s.id);
    s.blockedOn = w;
    ScheduledFuture<?> timeout =
        deadline == 0
            ? null
            : timer.schedule(
                w::expire, Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
    w.result()
        .whenComplete(
            (r, t) -> {
              s.blockedOn = null;
              if (timeout != null) {
                timeout.cancel(false);
              }
              for (int slot : new HashSet<>(slots)) {
                slotClient.tell(slot, new SlotEntity.Unblock(w));
              }
            });
    if (s.closed) {
      w.expire(); // closed while the first try ran
    }
    register(w, slots, groups, 0);
    return w.result()
        .thenCompose(
            r -> r == Waiter.RETRY
                ? attempt(s, db, argv, route, start, deadline)
                : CompletableFuture.completedFuture(r));
  }

  private void register(Waiter w, List<Integer> slots, List<List<byte[]>> groups, int i) {
    if (i == slots.size() || w.isDone()) {
      return;
    }
    slotClient
        .<Boolean>ask(slots.get(i), replyTo -> new SlotEntity.Block(w, groups.get(i), replyTo))
        .whenComplete(
            (served, t) -> {
              if (t != null) {
                if (w.claim()) {
                  w.complete(SlotClient.failure(t, true));
                }
              } else if (!served) {
                register(w, slots, groups, i + 1);
              }
            });
  }

  private static boolean isStreamRead(String name) {
    return name.equals("xread") || name.equals("xreadgroup");
  }

  private static int timeoutIndex(String name, byte[][] argv) {
    return switch (name) {
      case "blmpop", "bzmpop" -> 1;
      default -> argv.length - 1;
    };
  }

  /** The keys to wait on: all of them, except a move's destination. */
  private static List<byte[]> keys(String name, byte[][] argv) {
    return switch (name) {
      case "blmpop", "bzmpop" -> Arrays.asList(argv).subList(3, 3 + numkeys(argv));
      case "blmove", "brpoplpush" -> List.of(argv[1]);
      default -> Arrays.asList(argv).subList(1, argv.length - 1);
    };
  }

  private static int numkeys(byte[][] argv) {
    return Integer.parseInt(new String(argv[2], StandardCharsets.US_ASCII));
  }

  /** The command's arguments with only {@code keys} as its keys (a move keeps its own). */
  private static byte[][] argvFor(String name, byte[][] argv, List<byte[]> keys) {
    switch (name) {
      case "blmove", "brpoplpush":
        return argv;
      case "blmpop", "bzmpop": {
        int n = numkeys(argv);
        List<byte[]> out = new ArrayList<>();
        out.add(argv[0]);
        out.add(argv[1]);
        out.add(Integer.toString(keys.size()).getBytes(StandardCharsets.US_ASCII));
        out.addAll(keys);
        out.addAll(Arrays.asList(argv).subList(3 + n, argv.length));
        return out.toArray(new byte[0][]);
      }
      default: {
        byte[][] out = new byte[keys.size() + 2][];
        out[0] = argv[0];
        for (int i = 0; i < keys.size(); i++) {
          out[i + 1] = keys.get(i);
        }
        out[out.length - 1] = argv[argv.length - 1];
        return out;
      }
    }
  }

  /** The connection closed: a client waiting there stops waiting. */
  void closed(Session s) {
    s.closed = true;
    Waiter w = s.blockedOn;
    if (w != null) {
      w.expire();
    }
  }
}
