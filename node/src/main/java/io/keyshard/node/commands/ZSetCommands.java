package io.keyshard.node.commands;

import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.ZSetEvent;
import io.keyshard.persistence.ZSetValue;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.RespWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.ObjDoubleConsumer;

/**
 * The sorted set family, with Redis 7.0's semantics, reply shapes and error texts. Changes are
 * {@link ZSetEvent.ScoresSet} (final scores, never increments) and {@link
 * ZSetEvent.MembersRemoved} (members actually removed or popped); a *STORE writes its computed
 * set as one {@link SlotEvent.KeyRestored}, or deletes the destination when the result is empty.
 *
 * <p>The blocking forms (BZPOPMIN, BZPOPMAX, BZMPOP) run here without blocking, as Redis runs
 * them inside MULTI: they validate every argument, pop if they can, else answer the null the
 * caller would get on timeout ({@link #isNullReply}); whoever waits calls them again later with
 * a single ready key.
 */
public final class ZSetCommands {
  private ZSetCommands() {}

  static final Reply NAN_RESULT = Err.err("resulting score is not a number (NaN)");
  static final Reply XX_NX = Err.err("XX and NX options at the same time are not compatible");
  static final Reply GT_LT_NX =
      Err.err("GT, LT, and/or NX options at the same time are not compatible");
  static final Reply INCR_PAIR = Err.err("INCR option supports a single increment-element pair");
  static final Reply LIMIT_NEEDS_BY =
      Err.err(
          "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  static final Reply WITHSCORES_BYLEX =
      Err.err("syntax error, WITHSCORES not supported in combination with BYLEX");
  static final Reply NOT_POSITIVE = Err.err("value is out of range, must be positive");
  static final Reply NUMKEYS = Err.err("numkeys should be greater than 0");
  static final Reply COUNT_POSITIVE = Err.err("count should be greater than 0");
  static final Reply WEIGHT_NOT_FLOAT = Err.err("weight value is not a float");
  static final Reply OUT_OF_RANGE = Err.err("value is out of range");
  static final Reply LIMIT_NEGATIVE = Err.err("LIMIT can't be negative");
  static final Reply COUNT_OUT_OF_RANGE =
      Err.err(
          "value is out of range, value must between -9223372036854775807 and "
              + "9223372036854775807");

  public static void register(CommandRegistry.Builder r) {
    r.slot("zadd", ZSetCommands::zadd);
    r.slot("zincrby", ZSetCommands::zincrby);
    r.slot("zrem", ZSetCommands::zrem);
    r.slot("zcard", ctx -> Reply.integer(size(zset(ctx, ctx.arg(1)))));
    r.slot("zscore", ZSetCommands::zscore);
    r.slot("zmscore", ZSetCommands::zmscore);
    r.slot("zrank", ctx -> zrank(ctx, false));
    r.slot("zrevrank", ctx -> zrank(ctx, true));
    r.slot("zcount", ZSetCommands::zcount);
    r.slot("zlexcount", ZSetCommands::zlexcount);
    r.slot("zrange", ctx -> zrange(ctx, RangeType.AUTO, false, false));
    r.slot("zrangestore", ctx -> zrange(ctx, RangeType.AUTO, false, true));
    r.slot("zrevrange", ctx -> zrange(ctx, RangeType.RANK, true, false));
    r.slot("zrangebyscore", ctx -> zrange(ctx, RangeType.SCORE, false, false));
    r.slot("zrevrangebyscore", ctx -> zrange(ctx, RangeType.SCORE, true, false));
    r.slot("zrangebylex", ctx -> zrange(ctx, RangeType.LEX, false, false));
    r.slot("zrevrangebylex", ctx -> zrange(ctx, RangeType.LEX, true, false));
    r.slot("zremrangebyrank", ctx -> zremrange(ctx, RangeType.RANK));
    r.slot("zremrangebyscore", ctx -> zremrange(ctx, RangeType.SCORE));
    r.slot("zremrangebylex", ctx -> zremrange(ctx, RangeType.LEX));
    r.slot("zpopmin", ctx -> zpop(ctx, false));
    r.slot("zpopmax", ctx -> zpop(ctx, true));
    r.blocking("bzpopmin", ctx -> bzpop(ctx, false));
    r.blocking("bzpopmax", ctx -> bzpop(ctx, true));
    r.slot("zmpop", ctx -> zmpop(ctx, 1, false));
    r.blocking("bzmpop", ctx -> zmpop(ctx, 2, true));
    r.slot("zunion", ctx -> setOp(ctx, SetOp.UNION, false));
    r.slot("zinter", ctx -> setOp(ctx, SetOp.INTER, false));
    r.slot("zdiff", ctx -> setOp(ctx, SetOp.DIFF, false));
    r.slot("zunionstore", ctx -> setOp(ctx, SetOp.UNION, true));
    r.slot("zinterstore", ctx -> setOp(ctx, SetOp.INTER, true));
    r.slot("zdiffstore", ctx -> setOp(ctx, SetOp.DIFF, true));
    r.slot("zintercard", ZSetCommands::zintercard);
    r.slot("zrandmember", ZSetCommands::zrandmember);
    r.slot("zscan", ZSetCommands::zscan);
    r.internal("__zevents", ZSetCrossSlot::applyEvents); // internal: see ZSetCrossSlot
  }

  /** Whether a blocking body's reply means "nothing to pop yet" (the timeout reply). */
  public static boolean isNullReply(Reply r) {
    return r instanceof Reply.NullArray;
  }

  // ------------------------------------------------------------------------------------------
  // Lookup and small helpers

  /** The sorted set at key, null if absent; WRONGTYPE if the key holds another type. */
  static ZSetValue zset(SlotContext ctx, byte[] key) {
    return ctx.lookup(key, ZSetValue.class);
  }

  private static int size(ZSetValue z) {
    return z == null ? 0 : z.size();
  }

  private static Reply bulk(byte[] b) {
    return new Reply.Bulk(b);
  }

  /** Members, or member/score pairs (nested pairs with doubles in RESP3). */
  private static Reply members(List<ZSetValue.Node> nodes, boolean withScores) {
    List<Reply> out = new ArrayList<>(nodes.size() * (withScores ? 2 : 1));
    for (ZSetValue.Node n : nodes) {
      out.add(bulk(n.member()));
      if (withScores) {
        out.add(new Reply.Double(n.score()));
      }
    }
    return withScores ? new Reply.Pairs(out) : Reply.array(out);
  }

  /** Removes members (if any) and notifies {@code event}, then "del" if the set is gone. */
  private static void removed(SlotContext ctx, byte[] key, List<byte[]> members, String event) {
    if (!members.isEmpty()) {
      ctx.emit(new ZSetEvent.MembersRemoved(ctx.db(), key, members));
      ctx.notify(Notifications.ZSET, event, key);
      ctx.notifyIfGone(key);
    }
  }

  private static List<byte[]> memberList(List<ZSetValue.Node> nodes) {
    List<byte[]> out = new ArrayList<>(nodes.size());
    for (ZSetValue.Node n : nodes) {
      out.add(n.member());
    }
    return out;
  }

  /**
   * Replaces a *STORE destination with a computed set (built compact when it fits, as Redis
   * does), or deletes it when the result is empty. The new key has no expiry.
   */
  static void store(SlotContext ctx, byte[] dst, ZSetValue result, String event) {
    boolean existed = ctx.lookup(dst) != null; // an expired destination goes first, as in Redis
    if (result.size() > 0) {
      ctx.emit(new SlotEvent.KeyRestored(ctx.db(), dst, result.compactIfSmall(), 0));
      ctx.notify(Notifications.ZSET, event, dst);
    } else if (existed) {
      ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), List.of(dst)));
      ctx.notify(Notifications.GENERIC, "del", dst);
    }
  }

  // ------------------------------------------------------------------------------------------
  // ZADD, ZINCRBY, ZREM, reads by member

  private record AddOptions(
      boolean nx, boolean xx, boolean gt, boolean lt, boolean ch, boolean incr) {}

  private static Reply zadd(SlotContext ctx) {
    boolean nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
    int i = 2;
    for (; i < ctx.argc(); i++) {
      byte[] a = ctx.arg(i);
      if (Args.is(a, "NX")) {
        nx = true;
      } else if (Args.is(a, "XX")) {
        xx = true;
      } else if (Args.is(a, "CH")) {
        ch = true;
      } else if (Args.is(a, "INCR")) {
        incr = true;
      } else if (Args.is(a, "GT")) {
        gt = true;
      } else if (Args.is(a, "LT")) {
        lt = true;
      } else {
        break;
      }
    }
    int elements = ctx.argc() - i;
    if (elements == 0 || elements % 2 != 0) {
      throw new RedisException(Err.SYNTAX);
    }
    if (nx && xx) {
      throw new RedisException(XX_NX);
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
      throw new RedisException(GT_LT_NX);
    }
    if (incr && elements > 2) {
      throw new RedisException(INCR_PAIR);
    }
    return add(ctx, new AddOptions(nx, xx, gt, lt, ch, incr), i);
  }

  private static Reply zincrby(SlotContext ctx) {
    return add(ctx, new AddOptions(false, false, false, false, false, true), 2);
  }

  /** zsetAdd over every score/member pair from argv[first], as one event of final scores. */
  private static Reply add(SlotContext ctx, AddOptions o, int first) {
    int pairs = (ctx.argc() - first) / 2;
    double[] scores = new double[pairs];
    for (int j = 0; j < pairs; j++) {
      scores[j] = Scores.parse(ctx.arg(first + 2 * j));
    }
    byte[] key = ctx.arg(1);
    ZSetValue z = zset(ctx, key);
    if (z == null && o.xx()) {
      return o.incr() ? Reply.NULL : Reply.ZERO;
    }
    // Earlier pairs of the same command are seen by later ones.
    Map<Bytes, Double> pending = new LinkedHashMap<>();
    long added = 0;
    long updated = 0;
    boolean processed = false;
    double last = 0;
    for (int j = 0; j < pairs; j++) {
      byte[] member = ctx.arg(first + 2 * j + 1);
      Bytes m = Bytes.wrap(member);
      double score = scores[j];
      Double current = pending.containsKey(m) ? pending.get(m) : z == null ? null : z.score(member);
      if (current != null) {
        if (o.nx()) {
          continue;
        }
        if (o.incr()) {
          score += current;
          if (Double.isNaN(score)) {
            throw new RedisException(NAN_RESULT);
          }
        }
        if ((o.lt() && score >= current) || (o.gt() && score <= current)) {
          continue;
        }
        processed = true;
        last = score;
        if (score != current) {
          pending.put(m, score);
          updated++;
        }
      } else if (!o.xx()) {
        pending.put(m, score);
        added++;
        processed = true;
        last = score;
      }
    }
    if (!pending.isEmpty()) {
      List<byte[]> members = new ArrayList<>(pending.size());
      double[] finals = new double[pending.size()];
      int k = 0;
      for (Map.Entry<Bytes, Double> e : pending.entrySet()) {
        members.add(e.getKey().array());
        finals[k++] = e.getValue();
      }
      ctx.emit(new ZSetEvent.ScoresSet(ctx.db(), key, members, finals));
      ctx.notify(Notifications.ZSET, o.incr() ? "zincr" : "zadd", key);
    }
    if (o.incr()) {
      return processed ? new Reply.Double(last) : Reply.NULL;
    }
    return Reply.integer(o.ch() ? added + updated : added);
  }

  private static Reply zrem(SlotContext ctx) {
    ZSetValue z = zset(ctx, ctx.arg(1));
    if (z == null) {
      return Reply.ZERO;
    }
    Set<Bytes> gone = new LinkedHashSet<>();
    for (int i = 2; i < ctx.argc(); i++) {
      if (z.contains(ctx.arg(i))) {
        gone.add(Bytes.wrap(ctx.arg(i)));
      }
    }
    removed(ctx, ctx.arg(1), gone.stream().map(Bytes::array).toList(), "zrem");
    return Reply.integer(gone.size());
  }

  private static Reply zscore(SlotContext ctx) {
    ZSetValue z = zset(ctx, ctx.arg(1));
    Double s = z == null ? null : z.score(ctx.arg(2));
    return s == null ? Reply.NULL : new Reply.Double(s);
  }

  private static Reply zmscore(SlotContext ctx) {
    ZSetValue z = zset(ctx, ctx.arg(1));
    List<Reply> out = new ArrayList<>(ctx.argc() - 2);
    for (int i = 2; i < ctx.argc(); i++) {
      Double s = z == null ? null : z.score(ctx.arg(i));
      out.add(s == null ? Reply.NULL : new Reply.Double(s));
    }
    return Reply.array(out);
  }

  private static Reply zrank(SlotContext ctx, boolean reverse) {
    ZSetValue z = zset(ctx, ctx.arg(1));
    long rank = z == null ? -1 : z.rank(ctx.arg(2));
    if (rank < 0) {
      return Reply.NULL;
    }
    return Reply.integer(reverse ? z.size() - 1 - rank : rank);
  }

  // ------------------------------------------------------------------------------------------
  // Ranges

  enum RangeType {
    AUTO,
    RANK,
    SCORE,
    LEX
  }

  /**
   * A parsed ZRANGE-family request. For SCORE and LEX, {@code min}/{@code max} are already
   * swapped back when REV gave them as max, min.
   */
  record RangeRequest(
      RangeType type,
      boolean reverse,
      long start,
      long stop,
      Scores.Range score,
      Scores.LexRange lex,
      long offset,
      long limit,
      boolean withScores) {}

  /**
   * Parses ZRANGE-family arguments as zrangeGenericCommand: options first (a preset type or
   * direction cannot be given again), then the conflicts, then the range itself.
   */
  static RangeRequest parseRange(byte[][] argv, int first, RangeType type, boolean rev, boolean store) {
    boolean reverse = rev;
    boolean directionSet = rev || type != RangeType.AUTO; // legacy forms fix their direction
    boolean withScores = false;
    long offset = 0;
    long limit = -1;
    for (int j = first + 3; j < argv.length; j++) {
      int left = argv.length - j - 1;
      byte[] a = argv[j];
      if (!store && Args.is(a, "WITHSCORES")) {
        withScores = true;
      } else if (Args.is(a, "LIMIT") && left >= 2) {
        offset = Args.parseLong(argv[j + 1]);
        limit = Args.parseLong(argv[j + 2]);
        j += 2;
      } else if (!directionSet && Args.is(a, "REV")) {
        reverse = true;
        directionSet = true;
      } else if (type == RangeType.AUTO && Args.is(a, "BYLEX")) {
        type = RangeType.LEX;
      } else if (type == RangeType.AUTO && Args.is(a, "BYSCORE")) {
        type = RangeType.SCORE;
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    if (type == RangeType.AUTO) {
      type = RangeType.RANK;
    }
    if (limit != -1 && type == RangeType.RANK) {
      throw new RedisException(LIMIT_NEEDS_BY);
    }
    if (withScores && type == RangeType.LEX) {
      throw new RedisException(WITHSCORES_BYLEX);
    }
    byte[] min = argv[first + 1];
    byte[] max = argv[first + 2];
    if (reverse && type != RangeType.RANK) {
      byte[] t = min;
      min = max;
      max = t;
    }
    return switch (type) {
      case SCORE ->
          new RangeRequest(type, reverse, 0, 0, Scores.parseRange(min, max), null, offset, limit, withScores);
      case LEX ->
          new RangeRequest(type, reverse, 0, 0, null, Scores.LexRange.parse(min, max), offset, limit, withScores);
      default ->
          new RangeRequest(
              type, reverse, Args.parseLong(min), Args.parseLong(max), null, null, offset, limit, withScores);
    };
  }

  /** The members a range request selects, in reply order. */
  static List<ZSetValue.Node> select(ZSetValue z, RangeRequest r) {
    List<ZSetValue.Node> out = new ArrayList<>();
    long n = z.size();
    if (r.type() == RangeType.RANK) {
      long start = r.start() < 0 ? n + r.start() : r.start();
      long end = r.stop() < 0 ? n + r.stop() : r.stop();
      if (start < 0) {
        start = 0;
      }
      if (start > end || start >= n) {
        return out;
      }
      if (end >= n) {
        end = n - 1;
      }
      long count = end - start + 1;
      ZSetValue.Node x = z.byRank(r.reverse() ? n - 1 - start : start);
      for (long i = 0; i < count && x != null; i++) {
        out.add(x);
        x = r.reverse() ? x.prev() : x.next();
      }
      return out;
    }
    if (r.offset() < 0 || (r.offset() > 0 && r.offset() >= n)) {
      return out;
    }
    ZSetValue.Node x;
    if (r.type() == RangeType.SCORE) {
      x = r.reverse() ? Scores.last(z, r.score()) : Scores.first(z, r.score());
    } else {
      x = r.reverse() ? r.lex().last(z) : r.lex().first(z);
    }
    if (x != null && r.offset() > 0) {
      // Jump over the offset by rank instead of walking it.
      long rank = z.rank(x.member()) + (r.reverse() ? -r.offset() : r.offset());
      x = z.byRank(rank);
    }
    long limit = r.limit();
    while (x != null && limit-- != 0) {
      boolean inside =
          r.type() == RangeType.SCORE
              ? (r.reverse() ? r.score().aboveMin(x.score()) : r.score().belowMax(x.score()))
              : (r.reverse() ? r.lex().min().below(x.member()) : r.lex().max().above(x.member()));
      if (!inside) {
        break;
      }
      out.add(x);
      x = r.reverse() ? x.prev() : x.next();
    }
    return out;
  }

  /** ZRANGE and every legacy form; ZRANGESTORE when {@code store}. */
  private static Reply zrange(SlotContext ctx, RangeType type, boolean reverse, boolean store) {
    int first = store ? 2 : 1;
    RangeRequest r = parseRange(ctx.argv(), first, type, reverse, store);
    byte[] src = ctx.arg(first);
    ZSetValue z = zset(ctx, src);
    List<ZSetValue.Node> nodes = z == null ? List.of() : select(z, r);
    if (!store) {
      return members(nodes, r.withScores());
    }
    ZSetValue result = ZSetValue.newSkiplist();
    for (ZSetValue.Node n : nodes) {
      result.put(n.member(), n.score());
    }
    store(ctx, ctx.arg(1), result, "zrangestore");
    return Reply.integer(result.size());
  }

  private static Reply zcount(SlotContext ctx) {
    Scores.Range r = Scores.parseRange(ctx.arg(2), ctx.arg(3));
    ZSetValue z = zset(ctx, ctx.arg(1));
    if (z == null) {
      return Reply.ZERO;
    }
    ZSetValue.Node a = Scores.first(z, r);
    ZSetValue.Node b = Scores.last(z, r);
    if (a == null || b == null) {
      return Reply.ZERO;
    }
    long count = z.rank(b.member()) - z.rank(a.member()) + 1;
    return Reply.integer(Math.max(0, count));
  }

  private static Reply zlexcount(SlotContext ctx) {
    Scores.LexRange r = Scores.LexRange.parse(ctx.arg(2), ctx.arg(3));
    ZSetValue z = zset(ctx, ctx.arg(1));
    if (z == null) {
      return Reply.ZERO;
    }
    ZSetValue.Node a = r.first(z);
    if (a != null && Scores.isCompact(z)) {
      // As Redis counts in a listpack: walk from the first while below max.
      long count = 0;
      for (ZSetValue.Node x = a; x != null && r.max().above(x.member()); x = x.next()) {
        count++;
      }
      return Reply.integer(count);
    }
    ZSetValue.Node b = r.last(z);
    if (a == null || b == null) {
      return Reply.ZERO;
    }
    long count = z.rank(b.member()) - z.rank(a.member()) + 1;
    return Reply.integer(Math.max(0, count));
  }

  private static Reply zremrange(SlotContext ctx, RangeType type) {
    RangeRequest r =
        switch (type) {
          case SCORE ->
              new RangeRequest(type, false, 0, 0, Scores.parseRange(ctx.arg(2), ctx.arg(3)), null, 0, -1, false);
          case LEX ->
              new RangeRequest(type, false, 0, 0, null, Scores.LexRange.parse(ctx.arg(2), ctx.arg(3)), 0, -1, false);
          default ->
              new RangeRequest(
                  type, false, Args.parseLong(ctx.arg(2)), Args.parseLong(ctx.arg(3)), null, null, 0, -1, false);
        };
    ZSetValue z = zset(ctx, ctx.arg(1));
    if (z == null) {
      return Reply.ZERO;
    }
    List<ZSetValue.Node> nodes = select(z, r);
    String event =
        switch (type) {
          case SCORE -> "zremrangebyscore";
          case LEX -> "zremrangebylex";
          default -> "zremrangebyrank";
        };
    removed(ctx, ctx.arg(1), memberList(nodes), event);
    return Reply.integer(nodes.size());
  }

  // ------------------------------------------------------------------------------------------
  // Pops

  /** Removes and returns up to count members from one end. */
  private static List<ZSetValue.Node> pop(SlotContext ctx, byte[] key, ZSetValue z, boolean max, long count) {
    List<ZSetValue.Node> out = new ArrayList<>((int) Math.min(count, z.size()));
    ZSetValue.Node x = max ? z.last() : z.first();
    while (x != null && out.size() < count) {
      out.add(x);
      x = max ? x.prev() : x.next();
    }
    removed(ctx, key, memberList(out), max ? "zpopmax" : "zpopmin");
    return out;
  }

  /** ZPOPMIN/ZPOPMAX key [count]: flat without a count, pairs with one. */
  private static Reply zpop(SlotContext ctx, boolean max) {
    if (ctx.argc() > 3) {
      throw new RedisException(Err.SYNTAX);
    }
    long count = 1;
    if (ctx.argc() == 3) {
      Long c = Args.parseLongOrNull(ctx.arg(2));
      if (c == null || c < 0) {
        throw new RedisException(NOT_POSITIVE);
      }
      if (c == 0) {
        return Reply.EMPTY_ARRAY;
      }
      count = c;
    }
    ZSetValue z = zset(ctx, ctx.arg(1));
    if (z == null) {
      return Reply.EMPTY_ARRAY;
    }
    List<ZSetValue.Node> nodes = pop(ctx, ctx.arg(1), z, max, count);
    if (ctx.argc() == 3) {
      return members(nodes, true);
    }
    return Reply.array(List.of(bulk(nodes.get(0).member()), new Reply.Double(nodes.get(0).score())));
  }

  /** BZPOPMIN/BZPOPMAX key [key ...] timeout, without blocking: [key, member, score] or null. */
  private static Reply bzpop(SlotContext ctx, boolean max) {
    BlockingTimeout.millis(ctx.arg(ctx.argc() - 1));
    for (int i = 1; i < ctx.argc() - 1; i++) {
      byte[] key = ctx.arg(i);
      ZSetValue z = zset(ctx, key);
      if (z == null || z.size() == 0) {
        continue;
      }
      ZSetValue.Node n = pop(ctx, key, z, max, 1).get(0);
      return Reply.array(List.of(bulk(key), bulk(n.member()), new Reply.Double(n.score())));
    }
    return Reply.NULL_ARRAY;
  }

  /** A parsed ZMPOP/BZMPOP: the keys' argv positions, which end, how many. */
  record MpopRequest(int firstKey, int numKeys, boolean max, long count) {}

  static MpopRequest parseMpop(byte[][] argv, int numkeysIdx) {
    Long nk = Args.parseLongOrNull(argv[numkeysIdx]);
    if (nk == null || nk < 1) {
      throw new RedisException(NUMKEYS);
    }
    long whereIdx = numkeysIdx + nk + 1;
    if (whereIdx >= argv.length) {
      throw new RedisException(Err.SYNTAX);
    }
    boolean max;
    if (Args.is(argv[(int) whereIdx], "MIN")) {
      max = false;
    } else if (Args.is(argv[(int) whereIdx], "MAX")) {
      max = true;
    } else {
      throw new RedisException(Err.SYNTAX);
    }
    long count = -1;
    for (int j = (int) whereIdx + 1; j < argv.length; j++) {
      int more = argv.length - 1 - j;
      if (count == -1 && Args.is(argv[j], "COUNT") && more > 0) {
        j++;
        Long c = Args.parseLongOrNull(argv[j]);
        if (c == null || c < 1) {
          throw new RedisException(COUNT_POSITIVE);
        }
        count = c;
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    return new MpopRequest(numkeysIdx + 1, nk.intValue(), max, count == -1 ? 1 : count);
  }

  /** ZMPOP numkeys key... MIN|MAX [COUNT n]; BZMPOP timeout numkeys ... without blocking. */
  private static Reply zmpop(SlotContext ctx, int numkeysIdx, boolean blocking) {
    MpopRequest r = parseMpop(ctx.argv(), numkeysIdx);
    if (blocking) {
      BlockingTimeout.millis(ctx.arg(1));
    }
    for (int i = r.firstKey(); i < r.firstKey() + r.numKeys(); i++) {
      byte[] key = ctx.arg(i);
      ZSetValue z = zset(ctx, key);
      if (z == null || z.size() == 0) {
        continue;
      }
      List<ZSetValue.Node> nodes = pop(ctx, key, z, r.max(), r.count());
      List<Reply> pairs = new ArrayList<>(nodes.size());
      for (ZSetValue.Node n : nodes) {
        pairs.add(Reply.array(List.of(bulk(n.member()), new Reply.Double(n.score()))));
      }
      return Reply.array(List.of(bulk(key), Reply.array(pairs)));
    }
    return Reply.NULL_ARRAY;
  }

  // ------------------------------------------------------------------------------------------
  // ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD

  enum SetOp {
    UNION,
    INTER,
    DIFF
  }

  enum Aggregate {
    SUM,
    MIN,
    MAX
  }

  /** One input: a sorted set, a plain set (every score 1), or nothing. */
  private record Source(ZSetValue zset, SetValue set, double weight) {
    int size() {
      return zset != null ? zset.size() : set != null ? set.size() : 0;
    }

    Double score(byte[] member) {
      if (zset != null) {
        return zset.score(member);
      }
      if (set != null && set.members().contains(Bytes.wrap(member))) {
        return 1.0;
      }
      return null;
    }

    void forEach(ObjDoubleConsumer<byte[]> action) {
      if (zset != null) {
        for (ZSetValue.Node n = zset.first(); n != null; n = n.next()) {
          action.accept(n.member(), n.score());
        }
      } else if (set != null) {
        for (Bytes b : set.members()) {
          action.accept(b.array(), 1.0);
        }
      }
    }
  }

  private static Source source(SlotContext ctx, byte[] key) {
    Keyspace.Entry e = ctx.lookup(key);
    if (e == null) {
      return new Source(null, null, 1);
    }
    if (e.value instanceof ZSetValue z) {
      return new Source(z, null, 1);
    }
    if (e.value instanceof SetValue s) {
      return new Source(null, s, 1);
    }
    throw new RedisException(Err.WRONGTYPE);
  }

  private static double aggregate(Aggregate a, double acc, double v) {
    return switch (a) {
      case SUM -> {
        double s = acc + v;
        yield Double.isNaN(s) ? 0.0 : s; // Redis: inf + -inf is 0
      }
      case MIN -> v < acc ? v : acc;
      case MAX -> v > acc ? v : acc;
    };
  }

  private static double weighted(double score, double weight) {
    double v = score * weight;
    return Double.isNaN(v) ? 0.0 : v;
  }

  /** The result of a set operation, as zunionInterDiffGenericCommand computes it. */
  static ZSetValue compute(SetOp op, List<Source> srcs, Aggregate agg) {
    ZSetValue out = ZSetValue.newSkiplist();
    if (srcs.isEmpty()) {
      return out;
    }
    if (op == SetOp.DIFF) {
      Source first = srcs.get(0);
      first.forEach(
          (m, s) -> {
            for (int i = 1; i < srcs.size(); i++) {
              if (srcs.get(i).score(m) != null) {
                return;
              }
            }
            out.put(m, s);
          });
      return out;
    }
    List<Source> sorted = new ArrayList<>(srcs);
    sorted.sort(Comparator.comparingInt(Source::size));
    if (op == SetOp.INTER) {
      Source first = sorted.get(0);
      first.forEach(
          (m, s) -> {
            double acc = weighted(s, first.weight());
            for (int i = 1; i < sorted.size(); i++) {
              Double other = sorted.get(i).score(m);
              if (other == null) {
                return;
              }
              acc = aggregate(agg, acc, weighted(other, sorted.get(i).weight()));
            }
            out.put(m, acc);
          });
      return out;
    }
    Map<Bytes, Double> acc = new HashMap<>();
    for (Source src : sorted) {
      src.forEach(
          (m, s) -> {
            double v = weighted(s, src.weight());
            acc.merge(Bytes.wrap(m), v, (a, b) -> aggregate(agg, a, b));
          });
    }
    acc.forEach((m, s) -> out.put(m.array(), s));
    return out;
  }

  /**
   * ZUNION/ZINTER/ZDIFF numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES],
   * and the STORE forms with a destination first. Keys are read (and type-checked) before the
   * options are parsed, as Redis does.
   */
  private static Reply setOp(SlotContext ctx, SetOp op, boolean store) {
    int numkeysIdx = store ? 2 : 1;
    long setnum = Args.parseLong(ctx.arg(numkeysIdx));
    if (setnum < 1) {
      String name = Args.str(ctx.arg(0)).toLowerCase(Locale.ROOT);
      throw new RedisException(
          Err.err("at least 1 input key is needed for '" + name + "' command"));
    }
    if (setnum > ctx.argc() - (numkeysIdx + 1)) {
      throw new RedisException(Err.SYNTAX);
    }
    int n = (int) setnum;
    List<Source> srcs = new ArrayList<>(n);
    int j = numkeysIdx + 1;
    for (int i = 0; i < n; i++, j++) {
      srcs.add(source(ctx, ctx.arg(j)));
    }
    Aggregate agg = Aggregate.SUM;
    boolean withScores = false;
    while (j < ctx.argc()) {
      int remaining = ctx.argc() - j;
      byte[] a = ctx.arg(j);
      if (op != SetOp.DIFF && remaining >= n + 1 && Args.is(a, "WEIGHTS")) {
        j++;
        for (int i = 0; i < n; i++, j++) {
          double w = Scores.parse(ctx.arg(j), WEIGHT_NOT_FLOAT);
          Source s = srcs.get(i);
          srcs.set(i, new Source(s.zset(), s.set(), w));
        }
      } else if (op != SetOp.DIFF && remaining >= 2 && Args.is(a, "AGGREGATE")) {
        byte[] v = ctx.arg(j + 1);
        if (Args.is(v, "SUM")) {
          agg = Aggregate.SUM;
        } else if (Args.is(v, "MIN")) {
          agg = Aggregate.MIN;
        } else if (Args.is(v, "MAX")) {
          agg = Aggregate.MAX;
        } else {
          throw new RedisException(Err.SYNTAX);
        }
        j += 2;
      } else if (!store && Args.is(a, "WITHSCORES")) {
        withScores = true;
        j++;
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    ZSetValue result = compute(op, srcs, agg);
    if (store) {
      String event =
          switch (op) {
            case UNION -> "zunionstore";
            case INTER -> "zinterstore";
            default -> "zdiffstore";
          };
      store(ctx, ctx.arg(1), result, event);
      return Reply.integer(result.size());
    }
    List<ZSetValue.Node> nodes = new ArrayList<>(result.size());
    for (ZSetValue.Node x = result.first(); x != null; x = x.next()) {
      nodes.add(x);
    }
    return members(nodes, withScores);
  }

  /** ZINTERCARD numkeys key... [LIMIT limit]: the size of the intersection, stopping at limit. */
  private static Reply zintercard(SlotContext ctx) {
    long nk = Args.parseLong(ctx.arg(1));
    if (nk < 1) {
      throw new RedisException(Err.err("at least 1 input key is needed for 'zintercard' command"));
    }
    if (nk > ctx.argc() - 2) {
      throw new RedisException(Err.SYNTAX);
    }
    int n = (int) nk;
    long limit = 0;
    for (int j = 2 + n; j < ctx.argc(); j++) {
      int more = ctx.argc() - 1 - j;
      if (Args.is(ctx.arg(j), "LIMIT") && more > 0) {
        j++;
        Long l = Args.parseLongOrNull(ctx.arg(j));
        if (l == null || l < 0) {
          throw new RedisException(LIMIT_NEGATIVE);
        }
        limit = l;
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    List<Source> srcs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      srcs.add(source(ctx, ctx.arg(2 + i)));
    }
    srcs.sort(Comparator.comparingInt(Source::size));
    long[] count = {0};
    long max = limit;
    Source first = srcs.get(0);
    try {
      first.forEach(
          (m, s) -> {
            for (int i = 1; i < srcs.size(); i++) {
              if (srcs.get(i).score(m) == null) {
                return;
              }
            }
            count[0]++;
            if (max > 0 && count[0] >= max) {
              throw new LimitReached();
            }
          });
    } catch (LimitReached e) {
      // counted up to the limit
    }
    return Reply.integer(count[0]);
  }

  private static final class LimitReached extends RuntimeException {
    LimitReached() {
      super(null, null, false, false);
    }
  }

  // ------------------------------------------------------------------------------------------
  // ZRANDMEMBER, ZSCAN

  /**
   * ZRANDMEMBER key [count [WITHSCORES]]: a positive count picks distinct members (all if it
   * reaches the size), a negative one picks |count| independently. A read: nothing persists.
   */
  private static Reply zrandmember(SlotContext ctx) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (ctx.argc() == 2) {
      ZSetValue z = zset(ctx, ctx.arg(1));
      if (z == null) {
        return Reply.NULL;
      }
      return bulk(z.byRank(random.nextInt(z.size())).member());
    }
    Long parsed = Args.parseLongOrNull(ctx.arg(2));
    if (parsed == null) {
      throw new RedisException(Err.NOT_INTEGER);
    }
    long count = parsed;
    if (count == Long.MIN_VALUE) {
      throw new RedisException(COUNT_OUT_OF_RANGE);
    }
    boolean withScores = false;
    if (ctx.argc() > 4 || (ctx.argc() == 4 && !Args.is(ctx.arg(3), "WITHSCORES"))) {
      throw new RedisException(Err.SYNTAX);
    } else if (ctx.argc() == 4) {
      withScores = true;
      if (count < -(Long.MAX_VALUE / 2) || count > Long.MAX_VALUE / 2) {
        throw new RedisException(OUT_OF_RANGE);
      }
    }
    ZSetValue z = zset(ctx, ctx.arg(1));
    if (z == null || count == 0) {
      return Reply.EMPTY_ARRAY;
    }
    List<ZSetValue.Node> picked;
    if (count < 0) {
      long n = -count;
      if (n > Integer.MAX_VALUE - 8) {
        // More replies than one Java list can hold; Redis itself runs out of memory here.
        throw new RedisException(OUT_OF_RANGE);
      }
      picked = new ArrayList<>((int) n);
      for (long i = 0; i < n; i++) {
        picked.add(z.byRank(random.nextInt(z.size())));
      }
    } else if (count >= z.size()) {
      picked = new ArrayList<>(z.size());
      for (ZSetValue.Node x = z.first(); x != null; x = x.next()) {
        picked.add(x);
      }
    } else {
      int[] ranks = random.ints(0, z.size()).distinct().limit(count).toArray();
      picked = new ArrayList<>(ranks.length);
      for (int r : ranks) {
        picked.add(z.byRank(r));
      }
    }
    return members(picked, withScores);
  }

  /**
   * ZSCAN key cursor [MATCH pattern] [COUNT count]: the whole set (filtered by MATCH) with
   * cursor 0, member then score as strings; see HSCAN for why this keeps SCAN's guarantees.
   */
  private static Reply zscan(SlotContext ctx) {
    ScanArgs.cursor(ctx.arg(2));
    ZSetValue z = zset(ctx, ctx.arg(1));
    List<Reply> out = new ArrayList<>();
    Reply reply = Reply.array(List.of(Reply.bulk("0"), Reply.array(out)));
    if (z == null) {
      return reply;
    }
    ScanArgs options = ScanArgs.options(ctx.argv(), 3);
    for (ZSetValue.Node x = z.first(); x != null; x = x.next()) {
      if (options.matches(x.member())) {
        out.add(bulk(x.member()));
        out.add(Reply.bulk(RespWriter.formatDouble(x.score())));
      }
    }
    return reply;
  }
}
