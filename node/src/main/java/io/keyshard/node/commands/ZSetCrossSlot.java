package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotCommand;
import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotSnapshot;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.TxEvent;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The sorted-set commands whose keys may span slots (the *STORE forms, ZUNION/ZINTER/ZDIFF,
 * ZINTERCARD, ZRANGESTORE and the pops over several keys), as one program: read every key's
 * value from its slot ({@code __peek}), run the very same command body over a private copy of
 * those keys, then send each event the body emitted to the slot of its key ({@code __zevents}).
 * The transaction around the program holds every slot involved, so nothing changes in between
 * and the events land atomically; the command's semantics stay in {@link ZSetCommands} alone.
 */
final class ZSetCrossSlot {
  private ZSetCrossSlot() {}

  static void register(CommandRegistry.Builder r) {
    for (String name :
        List.of(
            "zunionstore", "zinterstore", "zdiffstore", "zrangestore", "zunion", "zinter", "zdiff",
            "zintercard", "zmpop", "bzmpop", "bzpopmin", "bzpopmax")) {
      r.crossSlot(name, ZSetCrossSlot::run);
    }
  }

  private static final KeyshardSerializer FORMAT = new KeyshardSerializer();

  /** The sorted-set bodies, run here against a copy of the keys read from their slots. */
  private static final Map<String, SlotCommand> BODIES = zsetBodies();

  private static Map<String, SlotCommand> zsetBodies() {
    CommandRegistry.Builder zsets = new CommandRegistry.Builder();
    ZSetCommands.register(zsets);
    return zsets.slotBodies();
  }

  private static CompletionStage<Reply> run(SlotExecutor ex, int db, byte[][] argv, CommandSpec spec) {
    String name = spec.name();
    List<byte[]> keys = keys(name, argv);
    byte[] destination = destination(name, argv);
    SlotState local = new SlotState();
    long now = System.currentTimeMillis();
    CompletableFuture<Reply> read = CompletableFuture.completedFuture(null);
    for (byte[] key : keys) {
      boolean onlyWritten =
          destination != null
              && Arrays.equals(key, destination)
              && !isSource(name, argv, key);
      read =
          read.thenCompose(
              err ->
                  err != null
                      ? CompletableFuture.completedFuture(err)
                      : onlyWritten
                          ? placeholder(ex, local, db, key, now)
                          : ex.exec(Slots.slot(key), "__peek", db, Args.command("__peek", key), false)
                              .thenApply(r -> load(local, db, key, r, now))
                              .toCompletableFuture());
    }
    return read.thenCompose(
        err -> {
          if (err != null) {
            return CompletableFuture.completedFuture(err);
          }
          SlotContext ctx = new SlotContext(local, db, argv, now, true, RECORD_NOTICES);
          Reply reply;
          try {
            reply = BODIES.get(name).run(ctx);
          } catch (RedisException e) {
            return CompletableFuture.completedFuture(e.reply());
          }
          return ship(ex, db, ctx.events(), ctx.notices())
              .thenApply(failed -> failed != null ? failed : reply);
        });
  }

  /** The keys of a command in argv order, each once; a malformed count yields what fits. */
  static List<byte[]> keys(String name, byte[][] argv) {
    Set<Integer> positions = new LinkedHashSet<>();
    switch (name) {
      case "zunionstore", "zinterstore", "zdiffstore" -> {
        positions.add(1);
        counted(argv, 2, positions);
      }
      case "zrangestore" -> {
        positions.add(1);
        positions.add(2);
      }
      case "zunion", "zinter", "zdiff", "zintercard", "zmpop" -> counted(argv, 1, positions);
      case "bzmpop" -> counted(argv, 2, positions);
      default -> {
        for (int i = 1; i < argv.length - 1; i++) {
          positions.add(i);
        }
      }
    }
    Map<String, byte[]> unique = new LinkedHashMap<>();
    for (int p : positions) {
      if (p < argv.length) {
        unique.putIfAbsent(new String(argv[p], StandardCharsets.ISO_8859_1), argv[p]);
      }
    }
    return new ArrayList<>(unique.values());
  }

  /** The key a *STORE writes, or null. */
  private static byte[] destination(String name, byte[][] argv) {
    return name.endsWith("store") && argv.length > 1 ? argv[1] : null;
  }

  /** Whether a key is also read by the command (ZUNIONSTORE a 2 a b reads its destination). */
  private static boolean isSource(String name, byte[][] argv, byte[] key) {
    Set<Integer> sources = new LinkedHashSet<>();
    if (name.equals("zrangestore")) {
      sources.add(2);
    } else {
      counted(argv, 2, sources);
    }
    for (int p : sources) {
      if (p < argv.length && Arrays.equals(argv[p], key)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A destination that is only written: the body needs to know whether it exists (an empty
   * result deletes it), not its value, so a large value is not copied for nothing.
   */
  private static CompletableFuture<Reply> placeholder(
      SlotExecutor ex, SlotState local, int db, byte[] key, long now) {
    return ex.exec(Slots.slot(key), "exists", db, Args.command("exists", key), false)
        .thenApply(
            r -> {
              if (!(r instanceof Reply.Int n)) {
                return r;
              }
              if (n.value() > 0) {
                local.apply(new SlotEvent.KeyRestored(db, key, StringValue.of(new byte[0]), 0), now);
              }
              return (Reply) null;
            })
        .toCompletableFuture();
  }

  private static void counted(byte[][] argv, int numkeysIdx, Set<Integer> positions) {
    Long n = numkeysIdx < argv.length ? Args.parseLongOrNull(argv[numkeysIdx]) : null;
    if (n == null) {
      return;
    }
    for (long i = 0; i < n && numkeysIdx + 1 + i < argv.length; i++) {
      positions.add((int) (numkeysIdx + 1 + i));
    }
  }

  /** Puts a peeked value into the private copy; an error reply to stop with, else null. */
  private static Reply load(SlotState local, int db, byte[] key, Reply peeked, long now) {
    if (peeked instanceof Reply.Null) {
      return null;
    }
    if (!(peeked instanceof Reply.Bulk payload)) {
      return peeked;
    }
    try {
      SlotSnapshot one = (SlotSnapshot) FORMAT.fromBinary(payload.value(), "SlotSnapshot");
      SlotSnapshot.Entry e = one.dbs().get(0).entries().get(0);
      local.apply(new SlotEvent.KeyRestored(db, key, e.value(), e.expireAt()), now);
      return null;
    } catch (NotSerializableException e) {
      throw new IllegalStateException("corrupt transfer payload", e);
    }
  }

  /**
   * The body over the private copy records every notification it decides (but "new", which the
   * slot that applies the event finds itself); each goes with the events of its key's slot, and
   * that slot decides whether its class is published.
   */
  private static final Notifications RECORD_NOTICES = new Notifications();

  static {
    RECORD_NOTICES.setFlags(Notifications.ALL | Notifications.KEYSPACE | Notifications.KEYEVENT);
  }

  private static final String NOTICE = "notice:";

  /**
   * Sends each event to its key's slot, in order, and then the notifications of that slot's keys;
   * the first error reply, or null.
   */
  private static CompletableFuture<Reply> ship(
      SlotExecutor ex, int db, List<SlotEvent> events, List<Notifications.Notice> notices) {
    Map<Integer, List<byte[]>> bySlot = new LinkedHashMap<>();
    for (SlotEvent e : events) {
      for (SlotEvent one : perKey(e)) {
        TxEvent.Nested n = FORMAT.nest(one);
        List<byte[]> args = bySlot.computeIfAbsent(Slots.slot(keyOf(one)), s -> new ArrayList<>());
        args.add(Args.bytes(n.manifest()));
        args.add(n.bytes());
      }
    }
    for (Notifications.Notice n : notices) {
      List<byte[]> args = bySlot.computeIfAbsent(Slots.slot(n.key()), s -> new ArrayList<>());
      args.add(Args.bytes(NOTICE + n.type() + ":" + n.event()));
      args.add(n.key());
    }
    CompletableFuture<Reply> done = CompletableFuture.completedFuture(null);
    for (Map.Entry<Integer, List<byte[]>> g : bySlot.entrySet()) {
      byte[][] argv = Args.command("__zevents", g.getValue().toArray(new byte[0][]));
      done =
          done.thenCompose(
              failed ->
                  failed != null
                      ? CompletableFuture.completedFuture(failed)
                      : ex.exec(g.getKey(), "__zevents", db, argv, true)
                          .thenApply(r -> r.isError() ? r : null)
                          .toCompletableFuture());
    }
    return done;
  }

  private static List<SlotEvent> perKey(SlotEvent e) {
    if (e instanceof SlotEvent.KeysDeleted d) {
      return d.keys().stream().map(k -> (SlotEvent) new SlotEvent.KeysDeleted(d.db(), List.of(k))).toList();
    }
    if (e instanceof SlotEvent.KeysExpired d) {
      return d.keys().stream().map(k -> (SlotEvent) new SlotEvent.KeysExpired(d.db(), List.of(k))).toList();
    }
    return List.of(e);
  }

  private static byte[] keyOf(SlotEvent e) {
    if (e instanceof SlotEvent.KeyChange c) {
      return c.key();
    }
    if (e instanceof SlotEvent.KeyRestored r) {
      return r.key();
    }
    if (e instanceof SlotEvent.KeysDeleted d) {
      return d.keys().get(0);
    }
    if (e instanceof SlotEvent.KeysExpired d) {
      return d.keys().get(0);
    }
    throw new IllegalStateException("unexpected event from a sorted-set body: " + e.getClass());
  }

  /**
   * {@code __zevents manifest bytes [manifest bytes ...]}: applies events computed elsewhere;
   * a manifest {@code notice:type:event} is a notification for the key that follows it.
   */
  static Reply applyEvents(SlotContext ctx) {
    for (int i = 1; i + 1 < ctx.argc(); i += 2) {
      String manifest = Args.str(ctx.arg(i));
      if (manifest.startsWith(NOTICE)) {
        int colon = manifest.indexOf(':', NOTICE.length());
        int type = Integer.parseInt(manifest.substring(NOTICE.length(), colon));
        ctx.notify(type, manifest.substring(colon + 1), ctx.arg(i + 1));
        continue;
      }
      try {
        Object e = FORMAT.fromBinary(ctx.arg(i + 1), Args.str(ctx.arg(i)));
        ctx.emit((SlotEvent) e);
      } catch (NotSerializableException e) {
        throw new IllegalStateException("corrupt event", e);
      }
    }
    return Reply.OK;
  }
}
