package io.keyshard.node.commands;

import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.StringValue;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Generic key commands, the part that runs inside one slot: deletion, existence, type, expiry,
 * rename/copy/move within the slot, and OBJECT. Redis 7.0's replies and error texts.
 *
 * <p>Introspection (EXISTS, TYPE, TTL and friends, OBJECT) peeks without touching the access
 * time, as Redis's LOOKUP_NOTOUCH does; everything else looks keys up normally.
 */
public final class KeyCommands {
  private KeyCommands() {}

  /** Redis shares the integers 0..9999 as immortal objects, reported with this refcount. */
  private static final int SHARED_INTEGERS = 10_000;
  private static final long SHARED_REFCOUNT = Integer.MAX_VALUE;

  public static void register(CommandRegistry.Builder r) {
    r.slot("del", KeyCommands::del);
    r.slot("unlink", KeyCommands::del);
    r.slot("exists", KeyCommands::exists);
    r.slot("type", KeyCommands::type);
    r.slot("touch", KeyCommands::touch);
    r.slot("expire", ctx -> expire(ctx, true, true, "expire"));
    r.slot("pexpire", ctx -> expire(ctx, false, true, "pexpire"));
    r.slot("expireat", ctx -> expire(ctx, true, false, "expireat"));
    r.slot("pexpireat", ctx -> expire(ctx, false, false, "pexpireat"));
    r.slot("ttl", ctx -> ttl(ctx, false, false));
    r.slot("pttl", ctx -> ttl(ctx, true, false));
    r.slot("expiretime", ctx -> ttl(ctx, false, true));
    r.slot("pexpiretime", ctx -> ttl(ctx, true, true));
    r.slot("persist", KeyCommands::persist);
    r.slot("rename", ctx -> rename(ctx, false));
    r.slot("renamenx", ctx -> rename(ctx, true));
    r.slot("copy", KeyCommands::copy);
    r.slot("move", KeyCommands::move);
    r.slot("object", KeyCommands::object);
  }

  // ---------------------------------------------------------------- existence

  /** DEL and UNLINK: a key named twice is deleted (and counted) once; expired keys don't count. */
  private static Reply del(SlotContext ctx) {
    Set<Bytes> seen = new LinkedHashSet<>();
    List<byte[]> deleted = new ArrayList<>();
    for (int j = 1; j < ctx.argc(); j++) {
      byte[] key = ctx.arg(j);
      if (seen.add(Bytes.wrap(key)) && ctx.lookup(key) != null) {
        deleted.add(key);
      }
    }
    if (!deleted.isEmpty()) {
      ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), deleted));
      for (byte[] key : deleted) {
        ctx.notify(Notifications.GENERIC, "del", key);
      }
    }
    return Reply.integer(deleted.size());
  }

  /** EXISTS counts every argument, so a key named twice counts twice. */
  private static Reply exists(SlotContext ctx) {
    long n = 0;
    for (int j = 1; j < ctx.argc(); j++) {
      if (ctx.peek(ctx.db(), ctx.arg(j)) != null) {
        n++;
      }
    }
    return Reply.integer(n);
  }

  /** TOUCH counts like EXISTS but, being an access, refreshes each key's idle time. */
  private static Reply touch(SlotContext ctx) {
    long n = 0;
    for (int j = 1; j < ctx.argc(); j++) {
      if (ctx.lookup(ctx.arg(j)) != null) {
        n++;
      }
    }
    return Reply.integer(n);
  }

  private static Reply type(SlotContext ctx) {
    Keyspace.Entry e = ctx.peek(ctx.db(), ctx.arg(1));
    return Reply.simple(e == null ? "none" : e.value.typeName());
  }

  // ---------------------------------------------------------------- expiry

  /** EXPIRE's NX/XX/GT/LT once parsed; at most one of NX, XX and one of GT, LT survive checks. */
  record ExpireOptions(boolean nx, boolean xx, boolean gt, boolean lt) {}

  static ExpireOptions parseExpireOptions(byte[][] argv) {
    boolean nx = false;
    boolean xx = false;
    boolean gt = false;
    boolean lt = false;
    for (int j = 3; j < argv.length; j++) {
      byte[] opt = argv[j];
      if (Args.is(opt, "NX")) {
        nx = true;
      } else if (Args.is(opt, "XX")) {
        xx = true;
      } else if (Args.is(opt, "GT")) {
        gt = true;
      } else if (Args.is(opt, "LT")) {
        lt = true;
      } else {
        throw new RedisException(Err.err("Unsupported option " + printable(opt)));
      }
    }
    if (nx && (xx || gt || lt)) {
      throw new RedisException(
          Err.err("NX and XX, GT or LT options at the same time are not compatible"));
    }
    if (gt && lt) {
      throw new RedisException(Err.err("GT and LT options at the same time are not compatible"));
    }
    return new ExpireOptions(nx, xx, gt, lt);
  }

  /**
   * EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT. Unlike SET, negative times are allowed (they delete
   * the key); only overflow while converting to absolute milliseconds is an error. The options
   * and the time are validated before the key is looked at.
   */
  private static Reply expire(SlotContext ctx, boolean seconds, boolean relative, String command) {
    ExpireOptions o = parseExpireOptions(ctx.argv());
    long when = Args.parseLong(ctx.arg(2));
    if (seconds) {
      if (when > Long.MAX_VALUE / 1000 || when < Long.MIN_VALUE / 1000) {
        throw new RedisException(Err.invalidExpire(command));
      }
      when *= 1000;
    }
    long base = relative ? ctx.now() : 0;
    if (when > Long.MAX_VALUE - base) {
      throw new RedisException(Err.invalidExpire(command));
    }
    when += base;

    byte[] key = ctx.arg(1);
    Keyspace.Entry e = ctx.lookup(key);
    if (e == null) {
      return Reply.ZERO;
    }
    // No expiry counts as an infinite one: GT never beats it and LT always does.
    boolean persistent = e.expireAt == 0;
    if ((o.nx() && !persistent)
        || (o.xx() && persistent)
        || (o.gt() && (persistent || when <= e.expireAt))
        || (o.lt() && !persistent && when >= e.expireAt)) {
      return Reply.ZERO;
    }
    if (when <= ctx.now()) {
      // A time already past deletes the key outright, as Redis replicates it: a DEL.
      ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), List.of(key)));
      ctx.notify(Notifications.GENERIC, "del", key);
    } else {
      ctx.emit(new SlotEvent.ExpirySet(ctx.db(), key, when));
      ctx.notify(Notifications.GENERIC, "expire", key);
    }
    return Reply.ONE;
  }

  /** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for no key, -1 for no expiry. */
  private static Reply ttl(SlotContext ctx, boolean millis, boolean absolute) {
    Keyspace.Entry e = ctx.peek(ctx.db(), ctx.arg(1));
    if (e == null) {
      return Reply.integer(-2);
    }
    if (e.expireAt == 0) {
      return Reply.integer(-1);
    }
    long t = Math.max(0, absolute ? e.expireAt : e.expireAt - ctx.now());
    // Seconds round to nearest; unsigned so that an expiry near Long.MAX_VALUE does not wrap.
    return Reply.integer(millis ? t : Long.divideUnsigned(t + 500, 1000));
  }

  private static Reply persist(SlotContext ctx) {
    byte[] key = ctx.arg(1);
    Keyspace.Entry e = ctx.lookup(key);
    if (e == null || e.expireAt == 0) {
      return Reply.ZERO;
    }
    ctx.emit(new SlotEvent.ExpirySet(ctx.db(), key, 0));
    ctx.notify(Notifications.GENERIC, "persist", key);
    return Reply.ONE;
  }

  // ---------------------------------------------------------------- rename, copy, move

  /**
   * RENAME and RENAMENX within the slot. A missing source is an error even when both names are
   * the same; an existing key renamed to itself is a no-op (OK, or 0 for RENAMENX).
   */
  private static Reply rename(SlotContext ctx, boolean nx) {
    byte[] from = ctx.arg(1);
    byte[] to = ctx.arg(2);
    if (ctx.lookup(from) == null) {
      throw new RedisException(Err.NO_SUCH_KEY);
    }
    if (Arrays.equals(from, to)) {
      return nx ? Reply.ZERO : Reply.OK;
    }
    boolean overwrites = ctx.lookup(to) != null;
    if (overwrites && nx) {
      return Reply.ZERO;
    }
    ctx.emit(new SlotEvent.KeyRenamed(ctx.db(), from, to));
    if (overwrites) {
      ctx.notifyNew(ctx.db(), to);
    }
    ctx.notify(Notifications.GENERIC, "rename_from", from);
    ctx.notify(Notifications.GENERIC, "rename_to", to);
    return nx ? Reply.ONE : Reply.OK;
  }

  /** COPY's options once parsed. */
  record CopyOptions(int toDb, boolean replace) {}

  /** Options are validated in argument order, so the first bad one decides the error. */
  static CopyOptions parseCopyOptions(byte[][] argv, int currentDb) {
    int toDb = currentDb;
    boolean replace = false;
    for (int j = 3; j < argv.length; j++) {
      if (Args.is(argv[j], "REPLACE")) {
        replace = true;
      } else if (Args.is(argv[j], "DB") && j + 1 < argv.length) {
        toDb = parseDbIndex(argv[++j]);
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    return new CopyOptions(toDb, replace);
  }

  private static Reply copy(SlotContext ctx) {
    CopyOptions o = parseCopyOptions(ctx.argv(), ctx.db());
    byte[] from = ctx.arg(1);
    byte[] to = ctx.arg(2);
    if (o.toDb() == ctx.db() && Arrays.equals(from, to)) {
      throw new RedisException(Err.SAME_OBJECT);
    }
    if (ctx.lookup(from) == null) {
      return Reply.ZERO;
    }
    boolean overwrites = ctx.lookup(o.toDb(), to) != null;
    if (overwrites && !o.replace()) {
      return Reply.ZERO;
    }
    // KeyCopied overwrites the target with the source's value and expiry.
    ctx.emit(new SlotEvent.KeyCopied(ctx.db(), from, o.toDb(), to));
    if (overwrites) {
      ctx.notifyNew(o.toDb(), to);
    }
    ctx.notify(Notifications.GENERIC, "copy_to", o.toDb(), to);
    return Reply.ONE;
  }

  /** MOVE to another database of the same slot; 0 if absent here or present there. */
  private static Reply move(SlotContext ctx) {
    byte[] key = ctx.arg(1);
    int toDb = parseDbIndex(ctx.arg(2));
    if (toDb == ctx.db()) {
      throw new RedisException(Err.SAME_OBJECT);
    }
    if (ctx.lookup(key) == null || ctx.lookup(toDb, key) != null) {
      return Reply.ZERO;
    }
    ctx.emit(new SlotEvent.KeyMoved(ctx.db(), key, toDb));
    ctx.notify(Notifications.GENERIC, "move_from", key);
    ctx.notify(Notifications.GENERIC, "move_to", toDb, key);
    return Reply.ONE;
  }

  /**
   * A database index as Redis's getIntFromObjectOrReply reads it (not an integer, then outside
   * int range, each with its own text), then checked against the number of databases.
   */
  static int parseDbIndex(byte[] arg) {
    long v = Args.parseLong(arg);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new RedisException(
          Err.err(
              "value is out of range, value must between "
                  + Integer.MIN_VALUE
                  + " and "
                  + Integer.MAX_VALUE));
    }
    if (v < 0 || v >= SlotState.DATABASES) {
      throw new RedisException(Err.DB_OUT_OF_RANGE);
    }
    return (int) v;
  }

  // ---------------------------------------------------------------- OBJECT

  private static final List<String> OBJECT_HELP =
      List.of(
          "ENCODING <key>",
          "    Return the kind of internal representation used in order to store the value",
          "    associated with a <key>.",
          "FREQ <key>",
          "    Return the access frequency index of the <key>. The returned integer is",
          "    proportional to the logarithm of the recent access frequency of the key.",
          "IDLETIME <key>",
          "    Return the idle time of the <key>, that is the approximated number of",
          "    seconds elapsed since the last access to the key.",
          "REFCOUNT <key>",
          "    Return the number of references of the value associated with the specified",
          "    <key>.",
          "HELP",
          "    Prints this help.");

  /**
   * OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key, and OBJECT HELP. A missing key is a nil reply,
   * not an error. Keyshard has no maxmemory eviction, so the policy is never LFU: FREQ answers
   * Redis's error for that case and IDLETIME always works.
   */
  private static Reply object(SlotContext ctx) {
    byte[] sub = ctx.arg(1);
    if (Args.is(sub, "HELP")) {
      if (ctx.argc() != 2) {
        throw new RedisException(Err.wrongArity("object|help"));
      }
      List<Reply> lines = new ArrayList<>(OBJECT_HELP.size() + 1);
      lines.add(
          Reply.simple(
              printable(ctx.arg(0)).toUpperCase()
                  + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
      OBJECT_HELP.forEach(line -> lines.add(Reply.simple(line)));
      return Reply.array(lines);
    }
    boolean known =
        Args.is(sub, "ENCODING")
            || Args.is(sub, "FREQ")
            || Args.is(sub, "IDLETIME")
            || Args.is(sub, "REFCOUNT");
    if (!known) {
      // Normally refused by the command table first; the same words here keep it consistent.
      String name = printable(sub);
      throw new RedisException(
          Err.err(
              "unknown subcommand '"
                  + (name.length() > 128 ? name.substring(0, 128) : name)
                  + "'. Try OBJECT HELP."));
    }
    if (ctx.argc() != 3) {
      throw new RedisException(Err.wrongArity("object|" + printable(sub).toLowerCase()));
    }
    Keyspace.Entry e = ctx.peek(ctx.db(), ctx.arg(2));
    if (e == null) {
      return Reply.NULL;
    }
    if (Args.is(sub, "ENCODING")) {
      return Reply.bulk(encoding(e));
    } else if (Args.is(sub, "REFCOUNT")) {
      return Reply.integer(refcount(e));
    } else if (Args.is(sub, "IDLETIME")) {
      return Reply.integer(Math.max(0, ctx.now() - e.lastAccess) / 1000);
    }
    throw new RedisException(
        Err.err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. Please note"
                + " that when switching between policies at runtime LRU and LFU data will take"
                + " some time to adjust."));
  }

  private static String encoding(Keyspace.Entry e) {
    return e.value.encoding();
  }

  /** 1, except int-encoded 0..9999, which Redis stores as shared immortal objects. */
  private static long refcount(Keyspace.Entry e) {
    if (e.value instanceof StringValue s
        && s.encoding().equals("int")
        && !s.has(StringValue.UNSHARED)) {
      long v = Args.parseLong(s.bytes());
      if (v >= 0 && v < SHARED_INTEGERS) {
        return SHARED_REFCOUNT;
      }
    }
    return 1;
  }

  /** An argument as Redis prints it inside an error: line breaks become spaces. */
  private static String printable(byte[] arg) {
    return Args.str(arg).replace('\r', ' ').replace('\n', ' ');
  }
}
