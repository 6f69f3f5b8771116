package io.keyshard.node.commands;

import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotCommand;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.StringValue;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.LongDouble;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The string family, with Redis 7.0's semantics: options, reply shapes and error texts.
 *
 * <p>SET, SETNX, SETEX, PSETEX and GETEX parse their arguments into a {@link SetOptions} record
 * first and then run one generic routine, so the checks (option conflicts, expiry validation,
 * WRONGTYPE, NX/XX) happen in the same order for all of them. Every change is an event; a
 * computed result (INCRBYFLOAT's sum, an absolute expiry) is persisted, never recomputed.
 */
public final class StringCommands {
  private StringCommands() {}

  /** Redis's default proto-max-bulk-len, the largest string SETRANGE and APPEND may build. */
  static final long PROTO_MAX_BULK_LEN = 512L * 1024 * 1024;

  private static final Reply EMPTY_BULK = new Reply.Bulk(new byte[0]);

  public static void register(CommandRegistry.Builder r) {
    r.slot("get", StringCommands::get);
    r.slot("set", StringCommands::set);
    r.slot("setnx", StringCommands::setnx);
    r.slot("setex", ctx -> setex(ctx, Expiry.EX, "setex"));
    r.slot("psetex", ctx -> setex(ctx, Expiry.PX, "psetex"));
    r.slot("getset", StringCommands::getset);
    r.slot("getdel", StringCommands::getdel);
    r.slot("getex", StringCommands::getex);
    r.slot("mget", StringCommands::mget);
    r.slot("mset", ctx -> mset(ctx, false));
    r.slot("msetnx", ctx -> mset(ctx, true));
    r.slot("append", StringCommands::append);
    r.slot("strlen", StringCommands::strlen);
    r.slot("incr", ctx -> incrBy(ctx, 1));
    r.slot("decr", ctx -> incrBy(ctx, -1));
    r.slot("incrby", ctx -> incrBy(ctx, Args.parseLong(ctx.arg(2))));
    r.slot("decrby", StringCommands::decrby);
    r.slot("incrbyfloat", StringCommands::incrbyfloat);
    r.slot("getrange", StringCommands::getrange);
    r.slot("substr", StringCommands::getrange);
    r.slot("setrange", StringCommands::setrange);
    r.slot("lcs", StringCommands::lcs);
  }

  // ---------------------------------------------------------------- SET family

  /** How a SET-like command treats the key's time to live. */
  enum Expiry {
    NONE(false, false),
    EX(true, true),
    PX(false, true),
    EXAT(true, false),
    PXAT(false, false),
    KEEPTTL(false, false),
    PERSIST(false, false);

    final boolean seconds;
    final boolean relative;

    Expiry(boolean seconds, boolean relative) {
      this.seconds = seconds;
      this.relative = relative;
    }

    boolean timed() {
      return this == EX || this == PX || this == EXAT || this == PXAT;
    }
  }

  enum Condition {
    ALWAYS,
    NX,
    XX
  }

  /** SET's and GETEX's options once parsed; {@code expireArg} is the unvalidated time argument. */
  record SetOptions(Condition condition, Expiry expiry, byte[] expireArg, boolean get) {
    static final SetOptions PLAIN = new SetOptions(Condition.ALWAYS, Expiry.NONE, null, false);
  }

  /**
   * Parses SET's options (from argv[3]) or GETEX's (from argv[2]) as Redis does: an option may
   * repeat, the last time argument wins, and any option that conflicts with one already seen is a
   * syntax error rather than a dedicated message.
   */
  static SetOptions parseSetOptions(byte[][] argv, int from, boolean forSet) {
    Condition cond = Condition.ALWAYS;
    Expiry expiry = Expiry.NONE;
    byte[] expireArg = null;
    boolean get = false;
    for (int j = from; j < argv.length; j++) {
      byte[] opt = argv[j];
      boolean hasNext = j + 1 < argv.length;
      Expiry timed = timedOption(opt);
      if (forSet && Args.is(opt, "NX") && cond != Condition.XX) {
        cond = Condition.NX;
      } else if (forSet && Args.is(opt, "XX") && cond != Condition.NX) {
        cond = Condition.XX;
      } else if (forSet && Args.is(opt, "GET")) {
        get = true;
      } else if (forSet && Args.is(opt, "KEEPTTL") && compatible(expiry, Expiry.KEEPTTL)) {
        expiry = Expiry.KEEPTTL;
      } else if (!forSet && Args.is(opt, "PERSIST") && compatible(expiry, Expiry.PERSIST)) {
        expiry = Expiry.PERSIST;
      } else if (timed != null && hasNext && compatible(expiry, timed)) {
        expiry = timed;
        expireArg = argv[++j];
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    return new SetOptions(cond, expiry, expireArg, get);
  }

  private static Expiry timedOption(byte[] opt) {
    if (Args.is(opt, "EX")) {
      return Expiry.EX;
    } else if (Args.is(opt, "PX")) {
      return Expiry.PX;
    } else if (Args.is(opt, "EXAT")) {
      return Expiry.EXAT;
    } else if (Args.is(opt, "PXAT")) {
      return Expiry.PXAT;
    }
    return null;
  }

  /** Redis lets an expiry option repeat but never mix with a different one. */
  private static boolean compatible(Expiry current, Expiry next) {
    return current == Expiry.NONE || current == next;
  }

  /**
   * The absolute expiry (epoch ms) a SET-like time argument means, or Redis's "invalid expire
   * time" error: zero and negative times are refused, and so is anything whose conversion to
   * milliseconds or addition to the current time would overflow.
   */
  static long absoluteExpiry(SlotContext ctx, Expiry kind, byte[] arg, String command) {
    long ms = Args.parseLong(arg);
    if (ms <= 0 || (kind.seconds && ms > Long.MAX_VALUE / 1000)) {
      throw new RedisException(Err.invalidExpire(command));
    }
    if (kind.seconds) {
      ms *= 1000;
    }
    if (kind.relative) {
      if (ms > Long.MAX_VALUE - ctx.now()) {
        throw new RedisException(Err.invalidExpire(command));
      }
      ms += ctx.now();
    }
    return ms;
  }

  /**
   * The one routine behind SET, SETNX, SETEX and PSETEX. Order matters and follows Redis: the
   * expiry is validated first, then GET's type check, then the NX/XX condition.
   */
  static Reply setGeneric(
      SlotContext ctx, byte[] key, byte[] value, SetOptions o, String command, Reply ok,
      Reply aborted) {
    long expireAt = o.expiry().timed() ? absoluteExpiry(ctx, o.expiry(), o.expireArg(), command) : 0;
    Reply old = o.get() ? Reply.bulk(ctx.getString(key)) : null;
    Keyspace.Entry current = ctx.lookup(key);
    boolean found = current != null;
    if ((o.condition() == Condition.NX && found) || (o.condition() == Condition.XX && !found)) {
      return o.get() ? old : aborted;
    }
    if (o.expiry() == Expiry.KEEPTTL && found) {
      expireAt = current.expireAt;
    }
    // A time already past still sets the key (as Redis does); it is simply born expired.
    ctx.emit(new SlotEvent.ValueSet(ctx.db(), key, value, expireAt));
    ctx.notify(Notifications.STRING, "set", key);
    if (o.expiry().timed()) {
      ctx.notify(Notifications.GENERIC, "expire", key);
    }
    return o.get() ? old : ok;
  }

  private static Reply set(SlotContext ctx) {
    SetOptions o = parseSetOptions(ctx.argv(), 3, true);
    return setGeneric(ctx, ctx.arg(1), ctx.arg(2), o, "set", Reply.OK, Reply.NULL);
  }

  private static Reply setnx(SlotContext ctx) {
    SetOptions o = new SetOptions(Condition.NX, Expiry.NONE, null, false);
    return setGeneric(ctx, ctx.arg(1), ctx.arg(2), o, "setnx", Reply.ONE, Reply.ZERO);
  }

  /** SETEX key seconds value and PSETEX key milliseconds value. */
  private static Reply setex(SlotContext ctx, Expiry unit, String command) {
    SetOptions o = new SetOptions(Condition.ALWAYS, unit, ctx.arg(2), false);
    return setGeneric(ctx, ctx.arg(1), ctx.arg(3), o, command, Reply.OK, Reply.NULL);
  }

  // ---------------------------------------------------------------- reads and GET variants

  private static Reply get(SlotContext ctx) {
    return Reply.bulk(ctx.getString(ctx.arg(1)));
  }

  private static Reply getset(SlotContext ctx) {
    byte[] old = ctx.getString(ctx.arg(1));
    // GETSET is SET without options: the old time to live goes.
    ctx.emit(new SlotEvent.ValueSet(ctx.db(), ctx.arg(1), ctx.arg(2), 0));
    ctx.notify(Notifications.STRING, "set", ctx.arg(1));
    return Reply.bulk(old);
  }

  private static Reply getdel(SlotContext ctx) {
    byte[] old = ctx.getString(ctx.arg(1));
    if (old != null) {
      ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), List.of(ctx.arg(1))));
      ctx.notify(Notifications.GENERIC, "del", ctx.arg(1));
    }
    return Reply.bulk(old);
  }

  /**
   * GETEX: options are checked for syntax before the key is read, but the time value only after
   * it is known to hold a string, so a missing key answers nil even with a bad time.
   */
  private static Reply getex(SlotContext ctx) {
    SetOptions o = parseSetOptions(ctx.argv(), 2, false);
    byte[] key = ctx.arg(1);
    byte[] value = ctx.getString(key);
    if (value == null) {
      return Reply.NULL;
    }
    if (o.expiry().timed()) {
      long when = absoluteExpiry(ctx, o.expiry(), o.expireArg(), "getex");
      if (when <= ctx.now()) {
        // EXAT/PXAT in the past: the key goes now, as a deletion, not an expiry.
        ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), List.of(key)));
        ctx.notify(Notifications.GENERIC, "del", key);
      } else {
        ctx.emit(new SlotEvent.ExpirySet(ctx.db(), key, when));
        ctx.notify(Notifications.GENERIC, "expire", key);
      }
    } else if (o.expiry() == Expiry.PERSIST && ctx.lookup(key).expireAt != 0) {
      ctx.emit(new SlotEvent.ExpirySet(ctx.db(), key, 0));
      ctx.notify(Notifications.GENERIC, "persist", key);
    }
    return new Reply.Bulk(value);
  }

  /** MGET answers nil for a key of another type instead of WRONGTYPE. */
  private static Reply mget(SlotContext ctx) {
    List<Reply> out = new ArrayList<>(ctx.argc() - 1);
    for (int j = 1; j < ctx.argc(); j++) {
      Keyspace.Entry e = ctx.lookup(ctx.arg(j));
      out.add(e != null && e.value instanceof StringValue s ? new Reply.Bulk(s.bytes()) : Reply.NULL);
    }
    return Reply.array(out);
  }

  private static Reply mset(SlotContext ctx, boolean nx) {
    // The arity table only knows "at least 3"; an odd pair count is the body's to refuse.
    if (ctx.argc() % 2 == 0) {
      throw new RedisException(Err.wrongArity(nx ? "msetnx" : "mset"));
    }
    if (nx) {
      for (int j = 1; j < ctx.argc(); j += 2) {
        if (ctx.lookup(ctx.arg(j)) != null) {
          return Reply.ZERO;
        }
      }
    }
    for (int j = 1; j < ctx.argc(); j += 2) {
      ctx.lookup(ctx.arg(j)); // an expired key goes first, as Redis's setKey looks it up
      ctx.emit(new SlotEvent.ValueSet(ctx.db(), ctx.arg(j), ctx.arg(j + 1), 0));
      ctx.notify(Notifications.STRING, "set", ctx.arg(j));
    }
    return nx ? Reply.ONE : Reply.OK;
  }

  private static Reply strlen(SlotContext ctx) {
    byte[] v = ctx.getString(ctx.arg(1));
    return Reply.integer(v == null ? 0 : v.length);
  }

  // ---------------------------------------------------------------- in-place edits

  private static Reply append(SlotContext ctx) {
    byte[] key = ctx.arg(1);
    byte[] suffix = ctx.arg(2);
    byte[] current = ctx.getString(key);
    if (current == null) {
      // A new key is a plain set, so "APPEND k 5" is int-encoded as in Redis.
      ctx.emit(new SlotEvent.ValueSet(ctx.db(), key, suffix, 0));
      ctx.notify(Notifications.STRING, "append", key);
      return Reply.integer(suffix.length);
    }
    checkStringLength(current.length, suffix.length);
    // Emitted even for an empty suffix: Redis still turns the value into a raw string.
    ctx.emit(new SlotEvent.Appended(ctx.db(), key, suffix));
    ctx.notify(Notifications.STRING, "append", key);
    return Reply.integer((long) current.length + suffix.length);
  }

  private static Reply setrange(SlotContext ctx) {
    byte[] key = ctx.arg(1);
    long offset = Args.parseLong(ctx.arg(2));
    byte[] bytes = ctx.arg(3);
    if (offset < 0) {
      throw new RedisException(Err.OFFSET_OUT_OF_RANGE);
    }
    byte[] current = ctx.getString(key);
    if (bytes.length == 0) {
      // Writing nothing creates nothing and changes nothing, whatever the offset.
      return Reply.integer(current == null ? 0 : current.length);
    }
    checkStringLength(offset, bytes.length);
    ctx.emit(new SlotEvent.RangeSet(ctx.db(), key, offset, bytes));
    ctx.notify(Notifications.STRING, "setrange", key);
    long end = offset + bytes.length;
    return Reply.integer(current == null ? end : Math.max(current.length, end));
  }

  private static void checkStringLength(long size, long append) {
    if (size > PROTO_MAX_BULK_LEN - append) {
      throw new RedisException(Err.STRING_TOO_LONG);
    }
  }

  private static Reply getrange(SlotContext ctx) {
    long start = Args.parseLong(ctx.arg(2));
    long end = Args.parseLong(ctx.arg(3));
    byte[] v = ctx.getString(ctx.arg(1));
    if (v == null) {
      return EMPTY_BULK;
    }
    int len = v.length;
    if (start < 0 && end < 0 && start > end) {
      return EMPTY_BULK;
    }
    // Negative indexes count from the end and are then clamped to 0; Redis 7.0 clamps both ends,
    // so a range wholly before the start (-100 -50) still yields the first byte.
    if (start < 0) {
      start = Math.max(0, len + start);
    }
    if (end < 0) {
      end = Math.max(0, len + end);
    }
    if (end >= len) {
      end = len - 1L;
    }
    if (start > end || len == 0) {
      return EMPTY_BULK;
    }
    return new Reply.Bulk(Arrays.copyOfRange(v, (int) start, (int) end + 1));
  }

  // ---------------------------------------------------------------- counters

  /** INCR, DECR, INCRBY and DECRBY; the key keeps its time to live. */
  private static Reply incrBy(SlotContext ctx, long by) {
    byte[] key = ctx.arg(1);
    Keyspace.Entry e = ctx.lookup(key);
    long value = 0;
    if (e != null) {
      if (!(e.value instanceof StringValue s)) {
        throw new RedisException(Err.WRONGTYPE);
      }
      value = Args.parseLong(s.bytes());
    }
    if ((by < 0 && value < 0 && by < Long.MIN_VALUE - value)
        || (by > 0 && value > 0 && by > Long.MAX_VALUE - value)) {
      throw new RedisException(Err.OVERFLOW);
    }
    long next = value + by;
    byte[] bytes = Long.toString(next).getBytes(StandardCharsets.US_ASCII);
    ctx.emit(new SlotEvent.ValueSet(ctx.db(), key, bytes, e == null ? 0 : e.expireAt));
    ctx.notify(Notifications.STRING, "incrby", key);
    return Reply.integer(next);
  }

  private static Reply decrby(SlotContext ctx) {
    long by = Args.parseLong(ctx.arg(2));
    if (by == Long.MIN_VALUE) {
      // Negating it would overflow before the sum is even tried; Redis has its own text for it.
      throw new RedisException(Err.err("decrement would overflow"));
    }
    return incrBy(ctx, -by);
  }

  /**
   * INCRBYFLOAT in x87 extended precision, as Redis computes it with long double on x86-64, and
   * printed as Redis prints it (17 decimals, trailing zeros dropped). The event carries the
   * printed result, so replay never depends on floating point.
   */
  private static Reply incrbyfloat(SlotContext ctx) {
    byte[] key = ctx.arg(1);
    Keyspace.Entry e = ctx.lookup(key);
    LongDouble value = LongDouble.ZERO;
    if (e != null) {
      if (!(e.value instanceof StringValue s)) {
        throw new RedisException(Err.WRONGTYPE);
      }
      value = LongDouble.parse(s.bytes());
    }
    LongDouble incr = LongDouble.parse(ctx.arg(2));
    LongDouble sum = value.add(incr);
    if (!sum.isFinite()) {
      throw new RedisException(Err.INCR_NAN_OR_INF);
    }
    byte[] bytes = sum.toHumanString().getBytes(StandardCharsets.US_ASCII);
    // Redis keeps the float's string object: OBJECT says embstr even for "5".
    ctx.emit(
        new SlotEvent.ValueSet(
            ctx.db(), key, bytes, e == null ? 0 : e.expireAt, StringValue.NOT_INT));
    ctx.notify(Notifications.STRING, "incrbyfloat", key);
    return new Reply.Bulk(bytes);
  }

  // ---------------------------------------------------------------- LCS

  /** LCS options once parsed. */
  record LcsOptions(boolean len, boolean idx, long minMatchLen, boolean withMatchLen) {}

  private static Reply lcs(SlotContext ctx) {
    // Types are checked before the options, as Redis does, with LCS's own message.
    Keyspace.Entry ea = ctx.lookup(ctx.arg(1));
    Keyspace.Entry eb = ctx.lookup(ctx.arg(2));
    if ((ea != null && !(ea.value instanceof StringValue))
        || (eb != null && !(eb.value instanceof StringValue))) {
      throw new RedisException(Err.err("The specified keys must contain string values"));
    }
    byte[] a = ea == null ? new byte[0] : ((StringValue) ea.value).bytes();
    byte[] b = eb == null ? new byte[0] : ((StringValue) eb.value).bytes();
    LcsOptions o = parseLcsOptions(ctx.argv());
    if (o.len() && o.idx()) {
      throw new RedisException(
          Err.err("If you want both the length and indexes, please just use IDX."));
    }
    long cells = (a.length + 1L) * (b.length + 1L);
    if (cells * Integer.BYTES > PROTO_MAX_BULK_LEN) {
      throw new RedisException(
          Err.err("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
    }
    int[] table;
    try {
      table = new int[(int) cells];
    } catch (OutOfMemoryError oom) {
      throw new RedisException(
          Err.err("Insufficient memory, failed allocating transient memory for LCS"));
    }
    return lcsReply(a, b, table, o);
  }

  private static LcsOptions parseLcsOptions(byte[][] argv) {
    boolean len = false;
    boolean idx = false;
    boolean withMatchLen = false;
    long minMatchLen = 0;
    for (int j = 3; j < argv.length; j++) {
      byte[] opt = argv[j];
      if (Args.is(opt, "IDX")) {
        idx = true;
      } else if (Args.is(opt, "LEN")) {
        len = true;
      } else if (Args.is(opt, "WITHMATCHLEN")) {
        withMatchLen = true;
      } else if (Args.is(opt, "MINMATCHLEN") && j + 1 < argv.length) {
        minMatchLen = Math.max(0, Args.parseLong(argv[++j]));
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    return new LcsOptions(len, idx, minMatchLen, withMatchLen);
  }

  /**
   * The classic dynamic-programming table, then one walk back from the end that collects the
   * subsequence and, for IDX, the matching ranges from last to first. Where both directions keep
   * the same length the walk moves along b first, which decides which subsequence is reported.
   */
  private static Reply lcsReply(byte[] a, byte[] b, int[] t, LcsOptions o) {
    int w = b.length + 1;
    for (int i = 1; i <= a.length; i++) {
      for (int j = 1; j <= b.length; j++) {
        t[i * w + j] =
            a[i - 1] == b[j - 1]
                ? t[(i - 1) * w + j - 1] + 1
                : Math.max(t[(i - 1) * w + j], t[i * w + j - 1]);
      }
    }
    int total = t[a.length * w + b.length];
    if (o.len() && !o.idx()) {
      return Reply.integer(total);
    }
    byte[] result = new byte[total];
    List<Reply> matches = new ArrayList<>();
    int k = total;
    int i = a.length;
    int j = b.length;
    int aStart = -1;
    int aEnd = 0;
    int bStart = 0;
    int bEnd = 0;
    while (i > 0 && j > 0) {
      boolean closeRange = false;
      if (a[i - 1] == b[j - 1]) {
        result[--k] = a[i - 1];
        if (aStart < 0) {
          aStart = aEnd = i - 1;
          bStart = bEnd = j - 1;
        } else {
          // Walking diagonally, a match always extends the open range backwards.
          aStart--;
          bStart--;
        }
        closeRange = aStart == 0 || bStart == 0;
        i--;
        j--;
      } else {
        if (t[(i - 1) * w + j] > t[i * w + j - 1]) {
          i--;
        } else {
          j--;
        }
        closeRange = aStart >= 0;
      }
      if (closeRange) {
        long matchLen = aEnd - aStart + 1L;
        if (o.idx() && matchLen >= o.minMatchLen()) {
          List<Reply> range = new ArrayList<>(3);
          range.add(Reply.array(List.of(Reply.integer(aStart), Reply.integer(aEnd))));
          range.add(Reply.array(List.of(Reply.integer(bStart), Reply.integer(bEnd))));
          if (o.withMatchLen()) {
            range.add(Reply.integer(matchLen));
          }
          matches.add(Reply.array(range));
        }
        aStart = -1;
      }
    }
    if (o.idx()) {
      return new Reply.Map(
          List.of(
              Reply.bulk("matches"), Reply.array(matches), Reply.bulk("len"), Reply.integer(total)));
    }
    return new Reply.Bulk(result);
  }
}
