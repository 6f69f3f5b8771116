package io.keyshard.node.commands;

import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.ListEvent;
import io.keyshard.persistence.ListValue;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The list family, with Redis 7.0's semantics, argument order, reply shapes and error texts.
 * Every change is a {@link ListEvent} holding its effect (how many elements left which end,
 * absolute indexes), never the command.
 *
 * <p>The blocking commands' bodies (BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH) are their
 * non-blocking forms, what Redis runs inside MULTI: every argument checked in Redis's order,
 * the keys tried in order (a missing key skipped, a key of another type WRONGTYPE), and when
 * nothing could be popped the null Redis answers on timeout ({@link #isNullReply}). Waiting is
 * done around them, by calling the same body again with one key once that key gets a push.
 */
public final class ListCommands {
  private ListCommands() {}

  private static final Reply MUST_BE_POSITIVE = Err.err("value is out of range, must be positive");
  private static final Reply INDEX_OUT_OF_RANGE = Err.err("index out of range");
  private static final Reply RANK_ZERO =
      Err.err(
          "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
              + "negative to start from the end of the list");
  private static final Reply COUNT_NEGATIVE = Err.err("COUNT can't be negative");
  private static final Reply MAXLEN_NEGATIVE = Err.err("MAXLEN can't be negative");
  private static final Reply NUMKEYS = Err.err("numkeys should be greater than 0");
  private static final Reply COUNT_NOT_POSITIVE = Err.err("count should be greater than 0");

  public static void register(CommandRegistry.Builder r) {
    r.slot("lpush", ctx -> push(ctx, true, false));
    r.slot("rpush", ctx -> push(ctx, false, false));
    r.slot("lpushx", ctx -> push(ctx, true, true));
    r.slot("rpushx", ctx -> push(ctx, false, true));
    r.slot("lpop", ctx -> pop(ctx, "lpop", true));
    r.slot("rpop", ctx -> pop(ctx, "rpop", false));
    r.slot("llen", ctx -> Reply.integer(size(list(ctx, ctx.arg(1)))));
    r.slot("lrange", ListCommands::lrange);
    r.slot("lindex", ListCommands::lindex);
    r.slot("lset", ListCommands::lset);
    r.slot("linsert", ListCommands::linsert);
    r.slot("lrem", ListCommands::lrem);
    r.slot("ltrim", ListCommands::ltrim);
    r.slot("lpos", ListCommands::lpos);
    r.slot("lmove", ctx -> move(ctx, parseMove(ctx.argv())));
    r.slot("rpoplpush", ctx -> move(ctx, parseMove(ctx.argv())));
    r.blocking("blmove", ctx -> move(ctx, parseMove(ctx.argv())));
    r.blocking("brpoplpush", ctx -> move(ctx, parseMove(ctx.argv())));
    r.slot("lmpop", ctx -> mpop(ctx, parseMpop(ctx.argv())));
    r.blocking("blmpop", ctx -> mpop(ctx, parseMpop(ctx.argv())));
    r.blocking("blpop", ctx -> mpop(ctx, parseBpop(ctx.argv())));
    r.blocking("brpop", ctx -> mpop(ctx, parseBpop(ctx.argv())));
  }

  /**
   * True for the replies that mean "nothing to pop" (the null of LMOVE, LMPOP and the blocking
   * commands' non-blocking forms), on which a blocking command waits.
   */
  public static boolean isNullReply(Reply r) {
    return r instanceof Reply.Null || r instanceof Reply.NullArray;
  }

  // ---------------------------------------------------------------------------------------------
  // Parsed arguments, shared with ListCrossSlot, which checks them before touching any slot.

  /**
   * A pop from the first non-empty of several keys: BLPOP and BRPOP (one element, answered as
   * key and element), LMPOP and BLMPOP ({@code count} elements, answered as key and array).
   *
   * @param keys argv indexes of the keys, in order
   * @param count elements to pop, or -1 for BLPOP/BRPOP's single element
   */
  record MultiPop(int[] keys, boolean left, long count) {}

  /** LMOVE and its forms: from the source's head or tail to the destination's head or tail. */
  record Move(byte[] source, byte[] destination, boolean fromLeft, boolean toLeft) {}

  /** BLPOP/BRPOP key [key ...] timeout: the timeout first, as Redis reads it. */
  static MultiPop parseBpop(byte[][] argv) {
    BlockingTimeout.millis(argv[argv.length - 1]);
    int[] keys = new int[argv.length - 2];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = i + 1;
    }
    return new MultiPop(keys, Args.is(argv[0], "BLPOP"), -1);
  }

  /**
   * LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], and BLMPOP with the timeout before
   * numkeys, read after everything else as Redis does.
   */
  static MultiPop parseMpop(byte[][] argv) {
    boolean blocking = Args.is(argv[0], "BLMPOP");
    int numkeysIdx = blocking ? 2 : 1;
    Long numkeys = Args.parseLongOrNull(argv[numkeysIdx]);
    if (numkeys == null || numkeys < 1) {
      throw new RedisException(NUMKEYS);
    }
    if (numkeys >= argv.length - numkeysIdx - 1) {
      throw new RedisException(Err.SYNTAX);
    }
    int whereIdx = numkeysIdx + (int) (long) numkeys + 1;
    boolean left = parseWhere(argv[whereIdx]);
    long count = -1;
    for (int j = whereIdx + 1; j < argv.length; j++) {
      if (count == -1 && Args.is(argv[j], "COUNT") && j + 1 < argv.length) {
        j++;
        Long c = Args.parseLongOrNull(argv[j]);
        if (c == null || c < 1) {
          throw new RedisException(COUNT_NOT_POSITIVE);
        }
        count = c;
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    if (blocking) {
      BlockingTimeout.millis(argv[1]);
    }
    int[] keys = new int[(int) (long) numkeys];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = numkeysIdx + 1 + i;
    }
    return new MultiPop(keys, left, count == -1 ? 1 : count);
  }

  /** LMOVE, RPOPLPUSH, BLMOVE and BRPOPLPUSH: directions, then the timeout. */
  static Move parseMove(byte[][] argv) {
    boolean fromLeft = false;
    boolean toLeft = true;
    if (Args.is(argv[0], "LMOVE") || Args.is(argv[0], "BLMOVE")) {
      fromLeft = parseWhere(argv[3]);
      toLeft = parseWhere(argv[4]);
    }
    if (Args.is(argv[0], "BLMOVE")) {
      BlockingTimeout.millis(argv[5]);
    } else if (Args.is(argv[0], "BRPOPLPUSH")) {
      BlockingTimeout.millis(argv[3]);
    }
    return new Move(argv[1], argv[2], fromLeft, toLeft);
  }

  private static boolean parseWhere(byte[] arg) {
    if (Args.is(arg, "LEFT")) {
      return true;
    }
    if (Args.is(arg, "RIGHT")) {
      return false;
    }
    throw new RedisException(Err.SYNTAX);
  }

  /** Redis's getPositiveLongFromObjectOrReply with a message: the message for any failure. */
  private static long nonNegative(byte[] arg, Reply error) {
    Long v = Args.parseLongOrNull(arg);
    if (v == null || v < 0) {
      throw new RedisException(error);
    }
    return v;
  }

  // ---------------------------------------------------------------------------------------------
  // Bodies.

  /** The list at key, null if absent; WRONGTYPE if the key holds another type. */
  private static ListValue list(SlotContext ctx, byte[] key) {
    return ctx.lookup(key, ListValue.class);
  }

  private static int size(ListValue l) {
    return l == null ? 0 : l.size();
  }

  private static Reply push(SlotContext ctx, boolean left, boolean onlyIfExists) {
    byte[] key = ctx.arg(1);
    ListValue l = list(ctx, key);
    if (l == null && onlyIfExists) {
      return Reply.ZERO;
    }
    int before = size(l); // the list changes in place when the event applies
    List<byte[]> elements = Arrays.asList(ctx.argv()).subList(2, ctx.argc());
    ctx.emit(new ListEvent.Pushed(ctx.db(), key, left, List.copyOf(elements)));
    ctx.notify(Notifications.LIST, left ? "lpush" : "rpush", key);
    return Reply.integer(before + elements.size());
  }

  /** The next {@code n} elements from one end, in the order a pop takes them. */
  private static List<byte[]> ends(ListValue l, boolean left, int n) {
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(l.get(left ? i : l.size() - 1 - i));
    }
    return out;
  }

  /** LPOP/RPOP key [count]: a bulk without count, an array with one (null array if no key). */
  private static Reply pop(SlotContext ctx, String name, boolean left) {
    if (ctx.argc() > 3) {
      throw new RedisException(Err.wrongArity(name));
    }
    boolean hasCount = ctx.argc() == 3;
    long count = hasCount ? nonNegative(ctx.arg(2), MUST_BE_POSITIVE) : 1;
    ListValue l = list(ctx, ctx.arg(1));
    if (l == null) {
      return hasCount ? Reply.NULL_ARRAY : Reply.NULL;
    }
    if (count == 0) {
      return Reply.EMPTY_ARRAY;
    }
    int n = (int) Math.min(count, l.size());
    List<byte[]> popped = ends(l, left, n);
    ctx.emit(new ListEvent.Popped(ctx.db(), ctx.arg(1), left, n));
    popped(ctx, ctx.arg(1), left);
    return hasCount ? Reply.bulks(popped) : new Reply.Bulk(popped.get(0));
  }

  /**
   * The first of the keys holding a list gives up to {@code count} elements (or BLPOP's one);
   * nothing anywhere answers a null array, Redis's timeout reply.
   */
  static Reply mpop(SlotContext ctx, MultiPop p) {
    for (int k : p.keys()) {
      byte[] key = ctx.arg(k);
      ListValue l = list(ctx, key);
      if (l == null) {
        continue;
      }
      int n = (int) Math.min(p.count() == -1 ? 1 : p.count(), l.size());
      List<byte[]> popped = ends(l, p.left(), n);
      ctx.emit(new ListEvent.Popped(ctx.db(), key, p.left(), n));
      popped(ctx, key, p.left());
      Reply elements = p.count() == -1 ? new Reply.Bulk(popped.get(0)) : Reply.bulks(popped);
      return Reply.array(List.of(new Reply.Bulk(key), elements));
    }
    return Reply.NULL_ARRAY;
  }

  /**
   * LMOVE within one slot: a missing source answers nil before the destination is looked at;
   * a destination of another type fails before anything is popped. Persisted as the push and
   * then the pop, so a list moved onto itself is never empty in between and keeps its expiry.
   */
  static Reply move(SlotContext ctx, Move m) {
    ListValue src = list(ctx, m.source());
    if (src == null) {
      return Reply.NULL;
    }
    list(ctx, m.destination());
    byte[] value = src.get(m.fromLeft() ? 0 : src.size() - 1);
    ctx.emit(new ListEvent.Pushed(ctx.db(), m.destination(), m.toLeft(), List.of(value)));
    ctx.notify(Notifications.LIST, m.toLeft() ? "lpush" : "rpush", m.destination());
    ctx.emit(new ListEvent.Popped(ctx.db(), m.source(), m.fromLeft(), 1));
    popped(ctx, m.source(), m.fromLeft());
    return new Reply.Bulk(value);
  }

  /** Redis's notifications after a pop: the pop, and "del" if it emptied the list. */
  private static void popped(SlotContext ctx, byte[] key, boolean left) {
    ctx.notify(Notifications.LIST, left ? "lpop" : "rpop", key);
    ctx.notifyIfGone(key);
  }

  /** Resolves LRANGE/LTRIM's start and stop as Redis does; null if the range is empty. */
  private static long[] range(long start, long stop, int size) {
    if (start < 0) {
      start += size;
    }
    if (stop < 0) {
      stop += size;
    }
    if (start < 0) {
      start = 0;
    }
    if (start > stop || start >= size) {
      return null;
    }
    return new long[] {start, Math.min(stop, size - 1L)};
  }

  private static Reply lrange(SlotContext ctx) {
    long start = Args.parseLong(ctx.arg(2));
    long stop = Args.parseLong(ctx.arg(3));
    ListValue l = list(ctx, ctx.arg(1));
    long[] r = l == null ? null : range(start, stop, l.size());
    if (r == null) {
      return Reply.EMPTY_ARRAY;
    }
    List<Reply> out = new ArrayList<>((int) (r[1] - r[0] + 1));
    for (long i = r[0]; i <= r[1]; i++) {
      out.add(new Reply.Bulk(l.get((int) i)));
    }
    return Reply.array(out);
  }

  /** An index counted from the tail when negative; -1 if outside the list. */
  private static int absolute(long index, int size) {
    if (index < 0) {
      index += size;
    }
    return index < 0 || index >= size ? -1 : (int) index;
  }

  /** LINDEX looks the key up before reading the index, as Redis does. */
  private static Reply lindex(SlotContext ctx) {
    ListValue l = list(ctx, ctx.arg(1));
    if (l == null) {
      return Reply.NULL;
    }
    int i = absolute(Args.parseLong(ctx.arg(2)), l.size());
    return i < 0 ? Reply.NULL : new Reply.Bulk(l.get(i));
  }

  private static Reply lset(SlotContext ctx) {
    ListValue l = list(ctx, ctx.arg(1));
    if (l == null) {
      throw new RedisException(Err.NO_SUCH_KEY);
    }
    int i = absolute(Args.parseLong(ctx.arg(2)), l.size());
    if (i < 0) {
      throw new RedisException(INDEX_OUT_OF_RANGE);
    }
    ctx.emit(new ListEvent.Set(ctx.db(), ctx.arg(1), i, ctx.arg(3)));
    ctx.notify(Notifications.LIST, "lset", ctx.arg(1));
    return Reply.OK;
  }

  /** LINSERT key BEFORE|AFTER pivot element: the new length, 0 without a list, -1 without pivot. */
  private static Reply linsert(SlotContext ctx) {
    boolean before;
    if (Args.is(ctx.arg(2), "BEFORE")) {
      before = true;
    } else if (Args.is(ctx.arg(2), "AFTER")) {
      before = false;
    } else {
      throw new RedisException(Err.SYNTAX);
    }
    ListValue l = list(ctx, ctx.arg(1));
    if (l == null) {
      return Reply.ZERO;
    }
    for (int i = 0; i < l.size(); i++) {
      if (Arrays.equals(l.get(i), ctx.arg(3))) {
        ctx.emit(new ListEvent.Inserted(ctx.db(), ctx.arg(1), before ? i : i + 1, ctx.arg(4)));
        ctx.notify(Notifications.LIST, "linsert", ctx.arg(1));
        return Reply.integer(l.size());
      }
    }
    return Reply.integer(-1);
  }

  private static Reply lrem(SlotContext ctx) {
    long count = Args.parseLong(ctx.arg(2));
    ListValue l = list(ctx, ctx.arg(1));
    if (l == null) {
      return Reply.ZERO;
    }
    byte[] element = ctx.arg(3);
    long limit = count == 0 ? Long.MAX_VALUE : count == Long.MIN_VALUE ? Long.MAX_VALUE : Math.abs(count);
    long matches = 0;
    for (int n = 0; n < l.size() && matches < limit; n++) {
      if (Arrays.equals(l.get(count < 0 ? l.size() - 1 - n : n), element)) {
        matches++;
      }
    }
    if (matches > 0) {
      ctx.emit(new ListEvent.Removed(ctx.db(), ctx.arg(1), count, element));
      ctx.notify(Notifications.LIST, "lrem", ctx.arg(1));
      ctx.notifyIfGone(ctx.arg(1));
    }
    return Reply.integer(matches);
  }

  private static Reply ltrim(SlotContext ctx) {
    long start = Args.parseLong(ctx.arg(2));
    long stop = Args.parseLong(ctx.arg(3));
    ListValue l = list(ctx, ctx.arg(1));
    if (l == null) {
      return Reply.OK;
    }
    long[] r = range(start, stop, l.size());
    if (r == null) {
      ctx.emit(new ListEvent.Trimmed(ctx.db(), ctx.arg(1), 0, -1));
    } else if (r[0] > 0 || r[1] < l.size() - 1) {
      ctx.emit(new ListEvent.Trimmed(ctx.db(), ctx.arg(1), r[0], r[1]));
    }
    // Redis notifies even when nothing was trimmed.
    ctx.notify(Notifications.LIST, "ltrim", ctx.arg(1));
    ctx.notifyIfGone(ctx.arg(1));
    return Reply.OK;
  }

  /**
   * LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. RANK skips matches (from the
   * tail when negative); COUNT 0 means every match; MAXLEN caps how many elements are compared.
   * Redis negates RANK in 64-bit arithmetic, so RANK -9223372036854775808 stays negative: every
   * match from the tail then qualifies and COUNT never stops the scan; Java's wrapping matches.
   */
  private static Reply lpos(SlotContext ctx) {
    long rank = 1;
    long count = -1;
    long maxlen = 0;
    for (int j = 3; j < ctx.argc(); j++) {
      boolean more = j + 1 < ctx.argc();
      if (Args.is(ctx.arg(j), "RANK") && more) {
        rank = Args.parseLong(ctx.arg(++j));
        if (rank == 0) {
          throw new RedisException(RANK_ZERO);
        }
      } else if (Args.is(ctx.arg(j), "COUNT") && more) {
        count = nonNegative(ctx.arg(++j), COUNT_NEGATIVE);
      } else if (Args.is(ctx.arg(j), "MAXLEN") && more) {
        maxlen = nonNegative(ctx.arg(++j), MAXLEN_NEGATIVE);
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    ListValue l = list(ctx, ctx.arg(1));
    if (l == null) {
      return count == -1 ? Reply.NULL : Reply.EMPTY_ARRAY;
    }
    boolean fromTail = rank < 0;
    if (fromTail) {
      rank = -rank;
    }
    byte[] element = ctx.arg(2);
    int size = l.size();
    List<Reply> found = new ArrayList<>();
    long matches = 0;
    for (int index = 0; index < size && (maxlen == 0 || index < maxlen); index++) {
      int pos = fromTail ? size - 1 - index : index;
      if (!Arrays.equals(l.get(pos), element)) {
        continue;
      }
      matches++;
      if (matches >= rank) {
        if (count == -1) {
          return Reply.integer(pos);
        }
        found.add(Reply.integer(pos));
        if (count != 0 && matches - rank + 1 >= count) {
          break;
        }
      }
    }
    return count == -1 ? Reply.NULL : Reply.array(found);
  }
}
