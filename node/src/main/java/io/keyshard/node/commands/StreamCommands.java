package io.keyshard.node.commands;

import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.StreamEvent;
import io.keyshard.persistence.StreamId;
import io.keyshard.persistence.StreamValue;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RawText;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * The stream family with Redis 7.0.15's semantics, reply shapes and error texts
 * (docs/decisions/2026-12-07-streams.md). Every change is a {@link StreamEvent} holding what the
 * command decided: the id XADD assigned (its clock read once, as {@link SlotContext#now}), whether
 * the entry opened a node, a trim's resolved limit, delivery and seen times.
 *
 * <p>XREAD and XREADGROUP are blocking commands: their bodies are the non-blocking forms (what
 * Redis runs inside MULTI); {@code server/Blocking} queues a waiter whose wake-up body is
 * {@code __xwake} ({@link #wake}). Across slots they run through {@link StreamCrossSlot}.
 */
public final class StreamCommands {
  private StreamCommands() {}

  static final Reply INVALID_ID = Err.err("Invalid stream ID specified as stream command argument");
  static final Reply INVALID_START = Err.err("invalid start ID for the interval");
  static final Reply INVALID_END = Err.err("invalid end ID for the interval");

  /** stream-node-max-bytes and stream-node-max-entries (CONFIG SET), per node. */
  public static volatile long nodeMaxBytes = StreamValue.DEFAULT_NODE_MAX_BYTES;

  public static volatile long nodeMaxEntries = StreamValue.DEFAULT_NODE_MAX_ENTRIES;

  /** XREAD's COUNT when a blocked client is served without one (XREAD_BLOCKED_DEFAULT_COUNT). */
  static final long BLOCKED_DEFAULT_COUNT = 1000;

  public static void register(CommandRegistry.Builder r) {
    r.slot("xadd", StreamCommands::xadd);
    r.slot("xrange", ctx -> range(ctx, false));
    r.slot("xrevrange", ctx -> range(ctx, true));
    r.slot("xlen", ctx -> {
      StreamValue s = stream(ctx, ctx.arg(1));
      return Reply.integer(s == null ? 0 : s.length());
    });
    r.slot("xdel", StreamCommands::xdel);
    r.slot("xtrim", StreamCommands::xtrim);
    r.blocking("xread", StreamCommands::xread);
    r.blocking("xreadgroup", StreamCommands::xread);
    r.slot("xgroup", StreamCommands::xgroup);
    r.slot("xack", StreamCommands::xack);
    r.slot("xpending", StreamCommands::xpending);
    r.slot("xclaim", StreamCommands::xclaim);
    r.slot("xautoclaim", StreamCommands::xautoclaim);
    r.slot("xinfo", StreamCommands::xinfo);
    r.slot("xsetid", StreamCommands::xsetid);
    r.internal("__xwake", StreamCommands::wake);
    r.internal("__xcheck", StreamCommands::check);
  }

  static StreamValue stream(SlotContext ctx, byte[] key) {
    return ctx.lookup(key, StreamValue.class);
  }

  // ---------------------------------------------------------------------------------------------
  // Ids.

  /** A parsed id and whether its sequence was given (XADD's "ms-*" leaves it to the stream). */
  record Parsed(StreamId id, boolean seqGiven) {}

  /**
   * Redis's string2ull: a canonical non-negative integer, else what strtoull accepts (spaces,
   * a sign, leading zeros; a '-' wraps around), no overflow, nothing after the digits.
   */
  static Long string2ull(byte[] b, int from, int to) {
    Long strict = Args.parseLongOrNull(Arrays.copyOfRange(b, from, to));
    if (strict != null) {
      return strict < 0 ? null : strict;
    }
    int i = from;
    while (i < to && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r'))) {
      i++;
    }
    boolean negative = false;
    if (i < to && (b[i] == '+' || b[i] == '-')) {
      negative = b[i] == '-';
      i++;
    }
    if (i >= to || b[i] < '0' || b[i] > '9') {
      return null;
    }
    long v = 0;
    for (; i < to; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        return null;
      }
      if (Long.compareUnsigned(v, Long.divideUnsigned(-1L - d, 10)) > 0) {
        return null; // ERANGE
      }
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }

  /** streamGenericParseIDOrReply; {@code seqStar}: XADD, where "ms-*" is allowed. */
  static Parsed parseId(byte[] arg, long missingSeq, boolean strict, boolean seqStar) {
    int len = arg.length;
    for (int i = 0; i < len; i++) {
      if (arg[i] == 0) {
        len = i; // a C string
        break;
      }
    }
    if (arg.length > 127) {
      throw new RedisException(INVALID_ID);
    }
    if (len == 1 && (arg[0] == '-' || arg[0] == '+')) {
      if (strict) {
        throw new RedisException(INVALID_ID);
      }
      return new Parsed(arg[0] == '-' ? StreamId.MIN : StreamId.MAX, true);
    }
    int dash = -1;
    for (int i = 0; i < len; i++) {
      if (arg[i] == '-') {
        dash = i;
        break;
      }
    }
    Long ms = string2ull(arg, 0, dash < 0 ? len : dash);
    if (ms == null) {
      throw new RedisException(INVALID_ID);
    }
    if (dash < 0) {
      return new Parsed(new StreamId(ms, missingSeq), true);
    }
    if (seqStar && len - dash - 1 == 1 && arg[dash + 1] == '*') {
      return new Parsed(new StreamId(ms, 0), false);
    }
    Long seq = string2ull(arg, dash + 1, len);
    if (seq == null) {
      throw new RedisException(INVALID_ID);
    }
    return new Parsed(new StreamId(ms, seq), true);
  }

  static StreamId strictId(byte[] arg) {
    return parseId(arg, 0, true, false).id();
  }

  /** A range bound: "(" makes it exclusive (then strict), else '-' and '+' are allowed. */
  static StreamId rangeStart(byte[] arg) {
    boolean exclusive = arg.length > 1 && arg[0] == '(';
    StreamId id = exclusive
        ? parseId(Arrays.copyOfRange(arg, 1, arg.length), 0, true, false).id()
        : parseId(arg, 0, false, false).id();
    if (exclusive) {
      id = id.next();
      if (id == null) {
        throw new RedisException(INVALID_START);
      }
    }
    return id;
  }

  static StreamId rangeEnd(byte[] arg) {
    boolean exclusive = arg.length > 1 && arg[0] == '(';
    StreamId id = exclusive
        ? parseId(Arrays.copyOfRange(arg, 1, arg.length), -1L, true, false).id()
        : parseId(arg, -1L, false, false).id();
    if (exclusive) {
      id = id.previous();
      if (id == null) {
        throw new RedisException(INVALID_END);
      }
    }
    return id;
  }

  static Reply idReply(StreamId id) {
    return new Reply.Bulk(id.bytes());
  }

  static Reply entryReply(StreamId id, byte[][] fv) {
    List<Reply> fields = new ArrayList<>(fv.length);
    for (byte[] b : fv) {
      fields.add(new Reply.Bulk(b));
    }
    return Reply.array(List.of(idReply(id), Reply.array(fields)));
  }

  /** A name as Redis's %s prints it: up to its first NUL, bytes kept. */
  static String cstr(byte[] b) {
    int len = 0;
    while (len < b.length && b[len] != 0) {
      len++;
    }
    return RawText.of(b, 0, len);
  }

  // ---------------------------------------------------------------------------------------------
  // XADD and XTRIM.

  /** streamAddTrimArgs as parsed. */
  record TrimArgs(
      StreamId id, boolean idGiven, boolean seqGiven, boolean noMkStream, int strategy,
      long maxLen, StreamId minId, boolean approx, long limit, int idPos) {
    static final int NONE = 0;
    static final int MAXLEN = 1;
    static final int MINID = 2;
  }

  /** streamParseAddOrTrimArgsOrReply, in its order; for XADD {@code idPos} is the id's index. */
  static TrimArgs parseTrim(byte[][] a, boolean xadd) {
    int strategy = TrimArgs.NONE;
    boolean approx = false;
    long maxLen = 0;
    StreamId minId = StreamId.MIN;
    long limit = 0;
    boolean limitGiven = false;
    boolean noMk = false;
    StreamId id = null;
    boolean idGiven = false;
    boolean seqGiven = false;
    int i = 2;
    for (; i < a.length; i++) {
      int more = a.length - 1 - i;
      byte[] opt = a[i];
      if (xadd && opt.length >= 1 && opt[0] == '*' && (opt.length == 1 || opt[1] == 0)) {
        break;
      } else if (Args.is(opt, "maxlen") && more > 0 || Args.is(opt, "minid") && more > 0) {
        if (strategy != TrimArgs.NONE) {
          throw new RedisException(Err.err(
              "syntax error, MAXLEN and MINID options at the same time are not compatible"));
        }
        boolean byLen = Args.is(opt, "maxlen");
        approx = false;
        byte[] next = a[i + 1];
        if (more >= 2 && next.length >= 1 && next[0] == '~' && (next.length == 1 || next[1] == 0)) {
          approx = true;
          i++;
        } else if (more >= 2 && next.length >= 1 && next[0] == '=' && (next.length == 1 || next[1] == 0)) {
          i++;
        }
        if (byLen) {
          maxLen = Args.parseLong(a[i + 1]);
          if (maxLen < 0) {
            throw new RedisException(Err.err("The MAXLEN argument must be >= 0."));
          }
          strategy = TrimArgs.MAXLEN;
        } else {
          minId = strictId(a[i + 1]);
          strategy = TrimArgs.MINID;
        }
        i++;
      } else if (Args.is(opt, "limit") && more > 0) {
        limit = Args.parseLong(a[i + 1]);
        if (limit < 0) {
          throw new RedisException(Err.err("The LIMIT argument must be >= 0."));
        }
        limitGiven = true;
        i++;
      } else if (xadd && Args.is(opt, "nomkstream")) {
        noMk = true;
      } else if (xadd) {
        Parsed p = parseId(opt, 0, true, true);
        id = p.id();
        seqGiven = p.seqGiven();
        idGiven = true;
        break;
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    if (limit != 0 && strategy == TrimArgs.NONE) {
      throw new RedisException(Err.err(
          "syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if (!xadd && strategy == TrimArgs.NONE) {
      throw new RedisException(Err.err("syntax error, XTRIM must be called with a trimming strategy"));
    }
    if (limitGiven) {
      if (!approx) {
        throw new RedisException(Err.err(
            "syntax error, LIMIT cannot be used without the special ~ option"));
      }
    } else if (approx) {
      limit = 100 * nodeMaxEntries;
      if (limit <= 0) {
        limit = 10000;
      }
      if (limit > 1000000) {
        limit = 1000000;
      }
    } else {
      limit = 0;
    }
    return new TrimArgs(id, idGiven, seqGiven, noMk, strategy, maxLen, minId, approx, limit, i);
  }

  private static StreamEvent.Trimmed trimEvent(SlotContext ctx, byte[] key, TrimArgs t) {
    return new StreamEvent.Trimmed(
        ctx.db(), key, t.maxLen(),
        t.strategy() == TrimArgs.MINID ? new long[] {t.minId().ms(), t.minId().seq()} : null,
        t.approx(), t.limit());
  }

  private static Reply xadd(SlotContext ctx) {
    byte[][] a = ctx.argv();
    TrimArgs t = parseTrim(a, true);
    int fieldPos = t.idPos() + 1;
    if (a.length - fieldPos < 2 || (a.length - fieldPos) % 2 == 1) {
      return Err.wrongArity("xadd");
    }
    if (t.idGiven() && t.seqGiven() && t.id().isZero()) {
      return Err.err("The ID specified in XADD must be greater than 0-0");
    }
    byte[] key = a[1];
    StreamValue s = stream(ctx, key);
    if (s == null && t.noMkStream()) {
      return Reply.NULL;
    }
    StreamId last = s == null ? StreamId.MIN : s.lastId();
    if (last.equals(StreamId.MAX)) {
      return Err.err("The stream has exhausted the last possible ID, unable to add more items");
    }
    StreamId id;
    if (t.idGiven()) {
      if (t.seqGiven()) {
        id = t.id();
      } else if (last.ms() == t.id().ms()) {
        id = last.seq() == -1L ? null : new StreamId(last.ms(), last.seq() + 1);
      } else {
        id = t.id();
      }
    } else {
      long ms = ctx.now();
      id = Long.compareUnsigned(ms, last.ms()) > 0 ? new StreamId(ms, 0) : last.next();
    }
    if (id == null || !id.after(last)) {
      return Err.err("The ID specified in XADD is equal or smaller than the target stream top item");
    }
    byte[][] fv = Arrays.copyOfRange(a, fieldPos, a.length);
    long total = 0;
    for (byte[] b : fv) {
      total += b.length;
    }
    if (total > StreamValue.LISTPACK_MAX_SIZE) {
      return Err.err("Elements are too large to be stored");
    }
    boolean newNode = s == null || s.opensNode(fv, nodeMaxBytes, nodeMaxEntries);
    ctx.emit(new StreamEvent.Added(ctx.db(), key, id.ms(), id.seq(), Arrays.asList(fv), newNode));
    ctx.notify(Notifications.STREAM, "xadd", key);
    if (t.strategy() != TrimArgs.NONE) {
      StreamValue after = stream(ctx, key);
      if (after.trimCount(t.maxLen(), minIdOf(t), t.approx(), t.limit()) > 0) {
        ctx.emit(trimEvent(ctx, key, t));
        ctx.notify(Notifications.STREAM, "xtrim", key);
      }
    }
    return idReply(id);
  }

  private static StreamId minIdOf(TrimArgs t) {
    return t.strategy() == TrimArgs.MINID ? t.minId() : null;
  }

  private static Reply xtrim(SlotContext ctx) {
    TrimArgs t = parseTrim(ctx.argv(), false);
    StreamValue s = stream(ctx, ctx.arg(1));
    if (s == null) {
      return Reply.ZERO;
    }
    long n = s.trimCount(t.maxLen(), minIdOf(t), t.approx(), t.limit());
    if (n > 0) {
      ctx.emit(trimEvent(ctx, ctx.arg(1), t));
      ctx.notify(Notifications.STREAM, "xtrim", ctx.arg(1));
    }
    return Reply.integer(n);
  }

  private static Reply xdel(SlotContext ctx) {
    StreamValue s = stream(ctx, ctx.arg(1));
    if (s == null) {
      return Reply.ZERO;
    }
    List<StreamId> ids = new ArrayList<>();
    for (int i = 2; i < ctx.argc(); i++) {
      ids.add(strictId(ctx.arg(i)));
    }
    List<StreamId> present = new ArrayList<>();
    for (StreamId id : ids) {
      if (s.entries().containsKey(id) && !present.contains(id)) {
        present.add(id);
      }
    }
    if (!present.isEmpty()) {
      ctx.emit(new StreamEvent.Deleted(ctx.db(), ctx.arg(1), StreamEvent.pairs(present)));
      ctx.notify(Notifications.STREAM, "xdel", ctx.arg(1));
    }
    return Reply.integer(present.size());
  }

  // ---------------------------------------------------------------------------------------------
  // XRANGE, XREVRANGE.

  private static Reply range(SlotContext ctx, boolean rev) {
    byte[][] a = ctx.argv();
    StreamId start = rangeStart(rev ? a[3] : a[2]);
    StreamId end = rangeEnd(rev ? a[2] : a[3]);
    long count = -1;
    for (int j = 4; j < a.length; j++) {
      if (Args.is(a[j], "COUNT") && a.length - j - 1 >= 1) {
        count = Args.parseLong(a[j + 1]);
        if (count < 0) {
          count = 0;
        }
        j++;
      } else {
        return Err.SYNTAX;
      }
    }
    StreamValue s = stream(ctx, a[1]);
    if (s == null) {
      return Reply.EMPTY_ARRAY;
    }
    if (count == 0) {
      return Reply.NULL_ARRAY;
    }
    return Reply.array(entries(s, start, end, count == -1 ? 0 : count, rev));
  }

  /** Entries from start to end (inclusive), at most count (0: all), as entry replies. */
  static List<Reply> entries(StreamValue s, StreamId start, StreamId end, long count, boolean rev) {
    List<Reply> out = new ArrayList<>();
    if (start.after(end)) {
      return out;
    }
    NavigableMap<StreamId, byte[][]> sub = s.entries().subMap(start, true, end, true);
    for (Map.Entry<StreamId, byte[][]> e : (rev ? sub.descendingMap() : sub).entrySet()) {
      out.add(entryReply(e.getKey(), e.getValue()));
      if (count != 0 && out.size() == count) {
        break;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // XREAD, XREADGROUP.

  /** XREAD/XREADGROUP's arguments, parsed in Redis's order. */
  record ReadArgs(
      boolean group, long timeout, long count, byte[] groupName, byte[] consumer, boolean noack,
      int streamsArg, int streams) {
    byte[] key(byte[][] a, int i) {
      return a[streamsArg + i];
    }

    byte[] id(byte[][] a, int i) {
      return a[streamsArg + streams + i];
    }
  }

  static ReadArgs parseRead(byte[][] a) {
    boolean xreadgroup = a[0].length == 10;
    String cmd = xreadgroup ? "XREADGROUP" : "XREAD";
    long timeout = -1;
    long count = 0;
    int streamsArg = 0;
    int streams = 0;
    byte[] group = null;
    byte[] consumer = null;
    boolean noack = false;
    for (int i = 1; i < a.length; i++) {
      int more = a.length - i - 1;
      byte[] o = a[i];
      if (Args.is(o, "BLOCK") && more > 0) {
        i++;
        Long t = Args.parseLongOrNull(a[i]);
        if (t == null) {
          throw new RedisException(Err.err("timeout is not an integer or out of range"));
        }
        if (t < 0) {
          throw new RedisException(Err.err("timeout is negative"));
        }
        timeout = t;
      } else if (Args.is(o, "COUNT") && more > 0) {
        i++;
        count = Args.parseLong(a[i]);
        if (count < 0) {
          count = 0;
        }
      } else if (Args.is(o, "STREAMS") && more > 0) {
        streamsArg = i + 1;
        streams = a.length - streamsArg;
        if (streams % 2 != 0) {
          throw new RedisException(Err.err("Unbalanced " + cmd + " list of streams: for each stream "
              + "key an ID or '$' must be specified."));
        }
        streams /= 2;
        break;
      } else if (Args.is(o, "GROUP") && more >= 2) {
        if (!xreadgroup) {
          throw new RedisException(Err.err(
              "The GROUP option is only supported by XREADGROUP. You called XREAD instead."));
        }
        group = a[i + 1];
        consumer = a[i + 2];
        i += 2;
      } else if (Args.is(o, "NOACK")) {
        if (!xreadgroup) {
          throw new RedisException(Err.err(
              "The NOACK option is only supported by XREADGROUP. You called XREAD instead."));
        }
        noack = true;
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    if (streamsArg == 0) {
      throw new RedisException(Err.SYNTAX);
    }
    if (xreadgroup && group == null) {
      throw new RedisException(Err.err("Missing GROUP option for XREADGROUP"));
    }
    return new ReadArgs(xreadgroup, timeout, count, group, consumer, noack, streamsArg, streams);
  }

  static boolean is(byte[] arg, String s) {
    return Arrays.equals(arg, Args.bytes(s));
  }

  static Reply noGroupInRead(byte[] key, byte[] group) {
    return Reply.error("NOGROUP No such key '" + cstr(key) + "' or consumer group '" + cstr(group)
        + "' in XREADGROUP with GROUP option");
  }

  /**
   * The id of one stream of a read, checked as Redis checks it key by key (type, group, '$' and
   * '>'): MAX stands for '>', and '$' is the stream's last id.
   */
  static StreamId readId(SlotContext ctx, ReadArgs r, byte[] key, byte[] arg) {
    StreamValue s = stream(ctx, key);
    if (r.group() && (s == null || s.group(r.groupName()) == null)) {
      throw new RedisException(noGroupInRead(key, r.groupName()));
    }
    if (is(arg, "$")) {
      if (r.group()) {
        throw new RedisException(Err.err("The $ ID is meaningless in the context of XREADGROUP: "
            + "you want to read the history of this consumer by specifying a proper ID, or use "
            + "the > ID to get new messages. The $ ID would just return an empty result set."));
      }
      return s == null ? StreamId.MIN : s.lastId();
    }
    if (is(arg, ">")) {
      if (!r.group()) {
        throw new RedisException(Err.err("The > ID can be specified only when calling XREADGROUP "
            + "using the GROUP <group> <consumer> option."));
      }
      return StreamId.MAX;
    }
    return strictId(arg);
  }

  /** The non-blocking XREAD and XREADGROUP (what Redis runs inside MULTI). */
  private static Reply xread(SlotContext ctx) {
    byte[][] a = ctx.argv();
    ReadArgs r = parseRead(a);
    StreamId[] ids = new StreamId[r.streams()];
    for (int i = 0; i < r.streams(); i++) {
      ids[i] = readId(ctx, r, r.key(a, i), r.id(a, i));
    }
    List<Reply> out = new ArrayList<>();
    for (int i = 0; i < r.streams(); i++) {
      byte[] key = r.key(a, i);
      StreamValue s = stream(ctx, key);
      if (s == null) {
        continue;
      }
      StreamId gt = ids[i];
      boolean history = false;
      boolean serve = false;
      if (r.group()) {
        if (!gt.equals(StreamId.MAX)) {
          serve = true;
          history = true;
        } else if (s.length() > 0 && s.lastValidId().after(s.group(r.groupName()).lastId())) {
          serve = true;
        }
      } else if (s.length() > 0 && s.lastValidId().after(gt)) {
        serve = true;
      }
      if (!serve) {
        continue;
      }
      out.add(new Reply.Bulk(key));
      if (!r.group()) {
        out.add(Reply.array(entries(s, gt.next(), StreamId.MAX, r.count(), false)));
      } else if (history) {
        out.add(history(ctx, key, s, r, gt.next()));
      } else {
        out.add(deliverNew(ctx, key, s, r.groupName(), r.consumer(), r.count(), r.noack()));
      }
    }
    return out.isEmpty() ? Reply.NULL_ARRAY : new Reply.PairMap(out);
  }

  /** The consumer seen now (created if missing), as streamLookupConsumer/CreateConsumer do. */
  static void seen(SlotContext ctx, byte[] key, byte[] group, byte[] consumer) {
    StreamValue s = stream(ctx, key);
    StreamValue.Group g = s == null ? null : s.group(group);
    boolean created = g == null || !g.consumers().containsKey(Bytes.wrap(consumer));
    ctx.emit(new StreamEvent.ConsumerSeen(ctx.db(), key, group, consumer, ctx.now()));
    if (created) {
      ctx.notify(Notifications.STREAM, "xgroup-createconsumer", key);
    }
  }

  /**
   * New entries for a group (">"): the group's last id and read count move past each one, and
   * unless NOACK each becomes pending for the consumer, delivered now for the first time.
   */
  static Reply deliverNew(
      SlotContext ctx, byte[] key, StreamValue s, byte[] groupName, byte[] consumer, long count,
      boolean noack) {
    seen(ctx, key, groupName, consumer);
    StreamValue.Group g = s.group(groupName);
    StreamId last = g.lastId();
    long read = g.entriesRead();
    List<Reply> out = new ArrayList<>();
    List<StreamId> delivered = new ArrayList<>();
    StreamId from = last.next();
    if (from != null) {
      for (Map.Entry<StreamId, byte[][]> e : s.entries().tailMap(from, true).entrySet()) {
        StreamId id = e.getKey();
        if (read != StreamValue.ENTRIES_READ_UNKNOWN && !hasTombstones(s, id, null)) {
          read++;
        } else if (s.entriesAdded() != 0) {
          read = estimateDistance(s, id);
        }
        last = id;
        out.add(entryReply(id, e.getValue()));
        delivered.add(id);
        if (count != 0 && out.size() == count) {
          break;
        }
      }
    }
    if (!delivered.isEmpty()) {
      ctx.emit(new StreamEvent.GroupSet(ctx.db(), key, groupName, new long[] {last.ms(), last.seq()}, read));
      if (!noack) {
        long[] times = new long[delivered.size()];
        long[] counts = new long[delivered.size()];
        Arrays.fill(times, ctx.now());
        Arrays.fill(counts, 1);
        ctx.emit(new StreamEvent.Assigned(
            ctx.db(), key, groupName, consumer, StreamEvent.pairs(delivered), times, counts));
      }
    }
    return Reply.array(out);
  }

  /** A consumer's pending entries from {@code start}: delivered again now, deleted ones as nil. */
  private static Reply history(SlotContext ctx, byte[] key, StreamValue s, ReadArgs r, StreamId start) {
    seen(ctx, key, r.groupName(), r.consumer());
    StreamValue.Group g = s.group(r.groupName());
    StreamValue.Consumer c = g.consumers().get(Bytes.wrap(r.consumer()));
    List<Reply> out = new ArrayList<>();
    List<StreamId> again = new ArrayList<>();
    List<Long> counts = new ArrayList<>();
    if (start != null) {
      for (StreamId id : c.pending().tailSet(start, true)) {
        if (r.count() != 0 && out.size() >= r.count()) {
          break;
        }
        byte[][] fv = s.entries().get(id);
        if (fv == null) {
          out.add(Reply.array(List.of(idReply(id), Reply.NULL_ARRAY)));
        } else {
          out.add(entryReply(id, fv));
          again.add(id);
          counts.add(g.pel().get(id).deliveryCount() + 1);
        }
      }
    }
    if (!again.isEmpty()) {
      long[] times = new long[again.size()];
      Arrays.fill(times, ctx.now());
      ctx.emit(new StreamEvent.Assigned(ctx.db(), key, r.groupName(), r.consumer(),
          StreamEvent.pairs(again), times, counts.stream().mapToLong(Long::longValue).toArray()));
    }
    return Reply.array(out);
  }

  /** streamRangeHasTombstones: whether a deleted entry may lie between start and end. */
  static boolean hasTombstones(StreamValue s, StreamId start, StreamId end) {
    if (s.length() == 0 || s.maxDeletedId().isZero()) {
      return false;
    }
    if (s.firstId().after(s.maxDeletedId())) {
      return false;
    }
    StreamId from = start == null ? StreamId.MIN : start;
    StreamId to = end == null ? StreamId.MAX : end;
    return !from.after(s.maxDeletedId()) && !s.maxDeletedId().after(to);
  }

  /** streamEstimateDistanceFromFirstEverEntry (see {@link StreamValue#estimateDistance}). */
  static long estimateDistance(StreamValue s, StreamId id) {
    return s.estimateDistance(id);
  }

  /** A group's lag as XINFO shows it (streamReplyWithCGLag); null when it cannot be known. */
  static Reply lag(StreamValue s, StreamValue.Group g) {
    if (s.entriesAdded() == 0) {
      return Reply.ZERO;
    }
    if (g.entriesRead() != StreamValue.ENTRIES_READ_UNKNOWN && !hasTombstones(s, g.lastId(), null)) {
      return Reply.integer(s.entriesAdded() - g.entriesRead());
    }
    long read = estimateDistance(s, g.lastId());
    return read == StreamValue.ENTRIES_READ_UNKNOWN ? Reply.NULL : Reply.integer(s.entriesAdded() - read);
  }

  /**
   * How server/Blocking queues an XREAD or XREADGROUP that found nothing: its BLOCK timeout in
   * ms (-1: none, answer at once), its keys, the {@code __xwake} arguments for some of them, and
   * the hook that fixes each '$' to its stream's last id as the waiter is queued in the slot
   * (a '$' means the entries added after the read started to wait).
   */
  public record Wait(
      long timeoutMs,
      List<byte[]> keys,
      java.util.function.Function<List<byte[]>, byte[][]> argvFor,
      java.util.function.BiConsumer<io.keyshard.persistence.SlotState, List<byte[]>> pin) {}

  public static Wait waitFor(int db, byte[][] argv) {
    ReadArgs r = parseRead(argv);
    List<byte[]> keys = new ArrayList<>();
    Map<Bytes, byte[]> ids = new java.util.concurrent.ConcurrentHashMap<>();
    for (int i = 0; i < r.streams(); i++) {
      keys.add(r.key(argv, i));
      ids.putIfAbsent(Bytes.wrap(r.key(argv, i)), r.id(argv, i));
    }
    long count = r.count() != 0 ? r.count() : BLOCKED_DEFAULT_COUNT;
    java.util.function.Function<List<byte[]>, byte[][]> argvFor = ks -> {
      List<byte[]> out = new ArrayList<>();
      out.add(Args.bytes("__xwake"));
      out.add(Args.bytes(Long.toString(count)));
      out.add(r.group() ? r.groupName() : new byte[0]);
      out.add(r.group() ? r.consumer() : new byte[0]);
      out.add(Args.bytes(r.noack() ? "1" : "0"));
      for (byte[] k : ks) {
        out.add(k);
        out.add(ids.get(Bytes.wrap(k)));
      }
      return out.toArray(new byte[0][]);
    };
    java.util.function.BiConsumer<io.keyshard.persistence.SlotState, List<byte[]>> pin = (state, ks) -> {
      for (byte[] k : ks) {
        Bytes key = Bytes.wrap(k);
        if (is(ids.get(key), "$")) {
          io.keyshard.persistence.Keyspace space = state.db(db);
          io.keyshard.persistence.Keyspace.Entry e = space == null ? null : space.get(key);
          StreamId last = e != null && !e.isExpired(System.currentTimeMillis())
              && e.value instanceof StreamValue sv ? sv.lastId() : StreamId.MIN;
          ids.put(key, last.bytes());
        }
      }
    };
    return new Wait(r.timeout(), keys, argvFor, pin);
  }

  /**
   * {@code __xcheck cmd group key id}: one stream of a read across slots checked as the read
   * would check it (WRONGTYPE, NOGROUP, '$', '>', the id); OK or the error.
   */
  private static Reply check(SlotContext ctx) {
    byte[][] a = ctx.argv();
    boolean group = Args.is(a[1], "xreadgroup");
    ReadArgs r = new ReadArgs(group, -1, 0, a[2], null, false, 0, 0);
    readId(ctx, r, a[3], a[4]);
    return Reply.OK;
  }

  /**
   * {@code __xwake count group consumer noack key id [key id ...]}: a blocked XREAD or
   * XREADGROUP served as Redis serves it when a stream it waits on gets entries: the first of its
   * keys with entries past its id (a group's: the group's last delivered id), with that key
   * alone in the reply; nothing (the client waits on) otherwise. A group gone meanwhile ends the
   * wait with Redis's NOGROUP error, a key deleted or overwritten with its UNBLOCKED error.
   */
  private static Reply wake(SlotContext ctx) {
    byte[][] a = ctx.argv();
    long count = Args.parseLong(a[1]);
    byte[] group = a[2].length == 0 ? null : a[2];
    for (int i = 5; i + 1 < a.length; i += 2) {
      byte[] key = a[i];
      io.keyshard.persistence.Keyspace.Entry e = ctx.lookup(key);
      if (e == null || !(e.value instanceof StreamValue s)) {
        if (group != null) {
          // Deleted or overwritten: the group went with it (Redis unblocks such readers).
          return Reply.error("UNBLOCKED the stream key no longer exists");
        }
        continue;
      }
      StreamId gt;
      if (group != null) {
        StreamValue.Group g = s.group(group);
        if (g == null) {
          return Reply.error(
              "NOGROUP the consumer group this client was blocked on no longer exists");
        }
        gt = g.lastId();
      } else {
        gt = strictId(a[i + 1]);
      }
      // Entries past the id, as the first try asks (Redis looks at the last id when an XADD
      // wakes it, which is then an entry; a wait that starts over deleted ones keeps waiting).
      if (s.length() == 0 || !s.lastValidId().after(gt)) {
        continue;
      }
      Reply entries = group == null
          ? Reply.array(entries(s, gt.next(), StreamId.MAX, count, false))
          : deliverNew(ctx, key, s, group, a[3], count, Args.is(a[4], "1"));
      return new Reply.PairMap(List.of(new Reply.Bulk(key), entries));
    }
    return Reply.NULL_ARRAY;
  }

  // ---------------------------------------------------------------------------------------------
  // XGROUP, XSETID.

  static Reply subcommandSyntax(byte[] sub, String cmd) {
    return Err.err("unknown subcommand or wrong number of arguments for '" + cstr(sub) + "'. Try "
        + cmd + " HELP.");
  }

  private static final List<String> XGROUP_HELP = List.of(
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Prints this help.");

  private static Reply xgroup(SlotContext ctx) {
    byte[][] a = ctx.argv();
    byte[] opt = a[1];
    boolean mkstream = false;
    long entriesRead = StreamValue.ENTRIES_READ_UNKNOWN;
    StreamValue s = null;
    StreamValue.Group cg = null;
    byte[] name = null;
    if (a.length >= 4) {
      boolean create = Args.is(opt, "CREATE");
      boolean setid = Args.is(opt, "SETID");
      for (int i = 5; i < a.length; ) {
        if (create && Args.is(a[i], "MKSTREAM")) {
          mkstream = true;
          i++;
        } else if ((create || setid) && Args.is(a[i], "ENTRIESREAD") && i + 1 < a.length) {
          entriesRead = Args.parseLong(a[i + 1]);
          if (entriesRead < 0 && entriesRead != StreamValue.ENTRIES_READ_UNKNOWN) {
            return Err.err("value for ENTRIESREAD must be positive or -1");
          }
          i += 2;
        } else {
          return subcommandSyntax(opt, "XGROUP");
        }
      }
      s = stream(ctx, a[2]);
      name = a[3];
    }
    if (a.length >= 4 && !mkstream) {
      if (s == null) {
        return Err.err("The XGROUP subcommand requires the key to exist. Note that for CREATE you "
            + "may want to use the MKSTREAM option to create an empty stream automatically.");
      }
      cg = s.group(name);
      if (cg == null
          && (Args.is(opt, "SETID") || Args.is(opt, "CREATECONSUMER") || Args.is(opt, "DELCONSUMER"))) {
        return Reply.error("NOGROUP No such consumer group '" + cstr(name) + "' for key name '"
            + cstr(a[2]) + "'");
      }
    }
    if (a.length == 2 && Args.is(opt, "HELP")) {
      return ServerCommands.helpReply(XGROUP_HELP);
    } else if (Args.is(opt, "CREATE") && a.length >= 5 && a.length <= 8) {
      StreamId id = is(a[4], "$") ? (s == null ? StreamId.MIN : s.lastId()) : strictId(a[4]);
      if (s != null && s.group(name) != null) {
        return Reply.error("BUSYGROUP Consumer Group name already exists");
      }
      ctx.emit(new StreamEvent.GroupSet(ctx.db(), a[2], name, new long[] {id.ms(), id.seq()}, entriesRead));
      ctx.notify(Notifications.STREAM, "xgroup-create", a[2]);
      return Reply.OK;
    } else if (Args.is(opt, "SETID") && (a.length == 5 || a.length == 7)) {
      StreamId id = is(a[4], "$") ? s.lastId() : parseId(a[4], 0, false, false).id();
      ctx.emit(new StreamEvent.GroupSet(ctx.db(), a[2], name, new long[] {id.ms(), id.seq()}, entriesRead));
      ctx.notify(Notifications.STREAM, "xgroup-setid", a[2]);
      return Reply.OK;
    } else if (Args.is(opt, "DESTROY") && a.length == 4) {
      if (cg == null) {
        return Reply.ZERO;
      }
      ctx.emit(new StreamEvent.GroupDestroyed(ctx.db(), a[2], name));
      ctx.notify(Notifications.STREAM, "xgroup-destroy", a[2]);
      return Reply.ONE;
    } else if (Args.is(opt, "CREATECONSUMER") && a.length == 5) {
      if (cg.consumers().containsKey(Bytes.wrap(a[4]))) {
        return Reply.ZERO;
      }
      seen(ctx, a[2], name, a[4]);
      return Reply.ONE;
    } else if (Args.is(opt, "DELCONSUMER") && a.length == 5) {
      StreamValue.Consumer c = cg.consumers().get(Bytes.wrap(a[4]));
      if (c == null) {
        return Reply.ZERO;
      }
      int pending = c.pending().size();
      ctx.emit(new StreamEvent.ConsumerDeleted(ctx.db(), a[2], name, a[4]));
      ctx.notify(Notifications.STREAM, "xgroup-delconsumer", a[2]);
      return Reply.integer(pending);
    }
    return subcommandSyntax(opt, "XGROUP");
  }

  private static Reply xsetid(SlotContext ctx) {
    byte[][] a = ctx.argv();
    StreamId id = strictId(a[2]);
    long entriesAdded = -1;
    StreamId maxDeleted = StreamId.MIN;
    for (int i = 3; i < a.length; ) {
      int more = a.length - 1 - i;
      if (Args.is(a[i], "ENTRIESADDED") && more > 0) {
        entriesAdded = Args.parseLong(a[i + 1]);
        if (entriesAdded < 0) {
          return Err.err("entries_added must be positive");
        }
        i += 2;
      } else if (Args.is(a[i], "MAXDELETEDID") && more > 0) {
        maxDeleted = strictId(a[i + 1]);
        if (id.before(maxDeleted)) {
          return Err.err("The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        }
        i += 2;
      } else {
        return Err.SYNTAX;
      }
    }
    StreamValue s = stream(ctx, a[1]);
    if (s == null) {
      return Err.NO_SUCH_KEY;
    }
    if (s.length() > 0) {
      if (id.before(s.lastValidId())) {
        return Err.err("The ID specified in XSETID is smaller than the target stream top item");
      }
      if (entriesAdded != -1 && s.length() > entriesAdded) {
        return Err.err("The entries_added specified in XSETID is smaller than the target stream length");
      }
    }
    ctx.emit(new StreamEvent.IdsSet(ctx.db(), a[1], new long[] {id.ms(), id.seq()},
        entriesAdded == -1 ? null : entriesAdded,
        maxDeleted.isZero() ? null : new long[] {maxDeleted.ms(), maxDeleted.seq()}));
    ctx.notify(Notifications.STREAM, "xsetid", a[1]);
    return Reply.OK;
  }

  // ---------------------------------------------------------------------------------------------
  // XACK, XPENDING, XCLAIM, XAUTOCLAIM.

  private static Reply xack(SlotContext ctx) {
    byte[][] a = ctx.argv();
    StreamValue s = stream(ctx, a[1]);
    StreamValue.Group g = s == null ? null : s.group(a[2]);
    if (g == null) {
      return Reply.ZERO;
    }
    List<StreamId> ids = new ArrayList<>();
    for (int j = 3; j < a.length; j++) {
      ids.add(strictId(a[j]));
    }
    List<StreamId> acked = new ArrayList<>();
    for (StreamId id : ids) {
      if (g.pel().containsKey(id) && !acked.contains(id)) {
        acked.add(id);
      }
    }
    if (!acked.isEmpty()) {
      ctx.emit(new StreamEvent.Released(ctx.db(), a[1], a[2], StreamEvent.pairs(acked)));
    }
    return Reply.integer(acked.size());
  }

  static Reply noGroup(byte[] key, byte[] group) {
    return Reply.error("NOGROUP No such key '" + cstr(key) + "' or consumer group '" + cstr(group) + "'");
  }

  private static Reply xpending(SlotContext ctx) {
    byte[][] a = ctx.argv();
    boolean justInfo = a.length == 3;
    if (a.length != 3 && (a.length < 6 || a.length > 9)) {
      return Err.SYNTAX;
    }
    long minIdle = 0;
    long count = 0;
    StreamId start = null;
    StreamId end = null;
    byte[] consumerName = null;
    if (a.length >= 6) {
      int startIdx = 3;
      if (Args.is(a[3], "IDLE")) {
        minIdle = Args.parseLong(a[4]);
        if (a.length < 8) {
          return Err.SYNTAX;
        }
        startIdx += 2;
      }
      count = Args.parseLong(a[startIdx + 2]);
      if (count < 0) {
        count = 0;
      }
      start = rangeStart(a[startIdx]);
      end = rangeEnd(a[startIdx + 1]);
      if (startIdx + 3 < a.length) {
        consumerName = a[startIdx + 3];
      }
    }
    StreamValue s = stream(ctx, a[1]);
    StreamValue.Group g = s == null ? null : s.group(a[2]);
    if (g == null) {
      return noGroup(a[1], a[2]);
    }
    if (justInfo) {
      if (g.pel().isEmpty()) {
        return Reply.array(List.of(Reply.ZERO, Reply.NULL, Reply.NULL, Reply.NULL_ARRAY));
      }
      List<Reply> consumers = new ArrayList<>();
      for (StreamValue.Consumer c : g.consumers().values()) {
        if (!c.pending().isEmpty()) {
          consumers.add(Reply.array(List.of(
              new Reply.Bulk(c.name().array()),
              new Reply.Bulk(Args.bytes(Integer.toString(c.pending().size()))))));
        }
      }
      return Reply.array(List.of(
          Reply.integer(g.pel().size()), idReply(g.pel().firstKey()), idReply(g.pel().lastKey()),
          Reply.array(consumers)));
    }
    List<StreamId> ids;
    if (consumerName != null) {
      StreamValue.Consumer c = g.consumers().get(Bytes.wrap(consumerName));
      if (c == null) {
        return Reply.EMPTY_ARRAY;
      }
      ids = new ArrayList<>(c.pending().tailSet(start, true));
    } else {
      ids = new ArrayList<>(g.pel().tailMap(start, true).keySet());
    }
    long now = ctx.now();
    List<Reply> out = new ArrayList<>();
    for (StreamId id : ids) {
      if (count == 0 || id.after(end)) {
        break;
      }
      StreamValue.Nack n = g.pel().get(id);
      if (minIdle != 0 && now - n.deliveryTime() < minIdle) {
        continue;
      }
      count--;
      out.add(Reply.array(List.of(
          idReply(id), new Reply.Bulk(n.consumer().array()),
          Reply.integer(Math.max(0, now - n.deliveryTime())), Reply.integer(n.deliveryCount()))));
    }
    return Reply.array(out);
  }

  private static long claimOption(byte[] arg, String what) {
    Long v = Args.parseLongOrNull(arg);
    if (v == null) {
      throw new RedisException(Err.err(what));
    }
    return v;
  }

  private static Reply xclaim(SlotContext ctx) {
    byte[][] a = ctx.argv();
    StreamValue s = stream(ctx, a[1]);
    StreamValue.Group g = s == null ? null : s.group(a[2]);
    if (g == null) {
      return noGroup(a[1], a[2]);
    }
    long minIdle = claimOption(a[4], "Invalid min-idle-time argument for XCLAIM");
    if (minIdle < 0) {
      minIdle = 0;
    }
    List<StreamId> ids = new ArrayList<>();
    int j = 5;
    for (; j < a.length; j++) {
      try {
        ids.add(strictId(a[j]));
      } catch (RedisException e) {
        break;
      }
    }
    long now = ctx.now();
    long retryCount = -1;
    long deliveryTime = -1;
    boolean force = false;
    boolean justId = false;
    StreamId lastId = StreamId.MIN;
    for (; j < a.length; j++) {
      int more = a.length - 1 - j;
      byte[] opt = a[j];
      if (Args.is(opt, "FORCE")) {
        force = true;
      } else if (Args.is(opt, "JUSTID")) {
        justId = true;
      } else if (Args.is(opt, "IDLE") && more > 0) {
        j++;
        deliveryTime = now - claimOption(a[j], "Invalid IDLE option argument for XCLAIM");
      } else if (Args.is(opt, "TIME") && more > 0) {
        j++;
        deliveryTime = claimOption(a[j], "Invalid TIME option argument for XCLAIM");
      } else if (Args.is(opt, "RETRYCOUNT") && more > 0) {
        j++;
        retryCount = claimOption(a[j], "Invalid RETRYCOUNT option argument for XCLAIM");
      } else if (Args.is(opt, "LASTID") && more > 0) {
        j++;
        lastId = strictId(a[j]);
      } else {
        return Err.err("Unrecognized XCLAIM option '" + cstr(opt) + "'");
      }
    }
    if (lastId.after(g.lastId())) {
      ctx.emit(new StreamEvent.GroupSet(ctx.db(), a[1], a[2], new long[] {lastId.ms(), lastId.seq()},
          g.entriesRead()));
    }
    if (deliveryTime != -1) {
      if (deliveryTime < 0 || deliveryTime > now) {
        deliveryTime = now;
      }
    } else {
      deliveryTime = now;
    }
    byte[] name = a[3];
    // Redis changes the PEL id by id; this runs the same steps over a view of it (time, count,
    // owned), then emits the outcome.
    Map<StreamId, long[]> view = new java.util.LinkedHashMap<>();
    List<StreamId> gone = new ArrayList<>();
    List<Reply> out = new ArrayList<>();
    boolean consumerSeen = false;
    for (StreamId id : ids) {
      long[] nack = view.get(id);
      if (nack == null && g.pel().containsKey(id)) {
        StreamValue.Nack n = g.pel().get(id);
        nack = new long[] {n.deliveryTime(), n.deliveryCount(), 1};
      }
      if (!s.entries().containsKey(id)) {
        if (nack != null) {
          view.remove(id);
          if (!gone.contains(id)) {
            gone.add(id);
          }
        }
        continue;
      }
      if (force && nack == null) {
        nack = new long[] {now, 1, 0}; // streamCreateNACK: delivered now, once, to nobody
      }
      if (nack == null) {
        continue;
      }
      if (nack[2] == 1 && minIdle != 0 && now - nack[0] < minIdle) {
        continue;
      }
      consumerSeen = true;
      nack[0] = deliveryTime;
      if (retryCount >= 0) {
        nack[1] = retryCount;
      } else if (!justId) {
        nack[1]++;
      }
      nack[2] = 1;
      view.put(id, nack);
      out.add(justId ? idReply(id) : entryReply(id, s.entries().get(id)));
    }
    if (!gone.isEmpty()) {
      ctx.emit(new StreamEvent.Released(ctx.db(), a[1], a[2], StreamEvent.pairs(gone)));
    }
    if (consumerSeen) {
      seen(ctx, a[1], a[2], name);
    }
    if (!view.isEmpty()) {
      List<StreamId> claimed = new ArrayList<>(view.keySet());
      long[] times = new long[claimed.size()];
      long[] counts = new long[claimed.size()];
      for (int i = 0; i < claimed.size(); i++) {
        times[i] = view.get(claimed.get(i))[0];
        counts[i] = view.get(claimed.get(i))[1];
      }
      ctx.emit(new StreamEvent.Assigned(
          ctx.db(), a[1], a[2], name, StreamEvent.pairs(claimed), times, counts));
    }
    return Reply.array(out);
  }

  private static Reply xautoclaim(SlotContext ctx) {
    byte[][] a = ctx.argv();
    long minIdle = claimOption(a[4], "Invalid min-idle-time argument for XAUTOCLAIM");
    if (minIdle < 0) {
      minIdle = 0;
    }
    StreamId start = rangeStart(a[5]);
    long count = 100;
    boolean justId = false;
    for (int j = 6; j < a.length; j++) {
      int more = a.length - 1 - j;
      if (Args.is(a[j], "COUNT") && more > 0) {
        Long c = Args.parseLongOrNull(a[j + 1]);
        long max = Long.MAX_VALUE / 16;
        if (c == null || c < 1 || c > max) {
          return Err.err("COUNT must be > 0");
        }
        count = c;
        j++;
      } else if (Args.is(a[j], "JUSTID")) {
        justId = true;
      } else {
        return Err.SYNTAX;
      }
    }
    StreamValue s = stream(ctx, a[1]);
    StreamValue.Group g = s == null ? null : s.group(a[2]);
    if (g == null) {
      return noGroup(a[1], a[2]);
    }
    long now = ctx.now();
    long attempts = count * 10;
    List<StreamId> pel = new ArrayList<>(g.pel().tailMap(start, true).keySet());
    List<Reply> out = new ArrayList<>();
    List<StreamId> deleted = new ArrayList<>();
    List<StreamId> claimed = new ArrayList<>();
    List<Long> counts = new ArrayList<>();
    int i = 0;
    while (attempts-- > 0 && count > 0 && i < pel.size()) {
      StreamId id = pel.get(i++);
      StreamValue.Nack n = g.pel().get(id);
      if (!s.entries().containsKey(id)) {
        deleted.add(id);
        count--;
        continue;
      }
      if (minIdle != 0 && now - n.deliveryTime() < minIdle) {
        continue;
      }
      claimed.add(id);
      counts.add(justId ? n.deliveryCount() : n.deliveryCount() + 1);
      out.add(justId ? idReply(id) : entryReply(id, s.entries().get(id)));
      count--;
    }
    StreamId next = i < pel.size() ? pel.get(i) : StreamId.MIN;
    if (!deleted.isEmpty()) {
      ctx.emit(new StreamEvent.Released(ctx.db(), a[1], a[2], StreamEvent.pairs(deleted)));
    }
    if (!claimed.isEmpty()) {
      seen(ctx, a[1], a[2], a[3]);
      long[] times = new long[claimed.size()];
      Arrays.fill(times, now);
      ctx.emit(new StreamEvent.Assigned(ctx.db(), a[1], a[2], a[3], StreamEvent.pairs(claimed),
          times, counts.stream().mapToLong(Long::longValue).toArray()));
    }
    List<Reply> deletedReplies = new ArrayList<>();
    deleted.forEach(id -> deletedReplies.add(idReply(id)));
    return Reply.array(List.of(idReply(next), Reply.array(out), Reply.array(deletedReplies)));
  }

  // ---------------------------------------------------------------------------------------------
  // XINFO.

  private static final List<String> XINFO_HELP = List.of(
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Prints this help.");

  private static Reply xinfo(SlotContext ctx) {
    byte[][] a = ctx.argv();
    if (Args.is(a[1], "HELP")) {
      return a.length != 2 ? subcommandSyntax(a[1], "XINFO") : ServerCommands.helpReply(XINFO_HELP);
    } else if (a.length < 3) {
      return subcommandSyntax(a[1], "XINFO");
    }
    StreamValue s = stream(ctx, a[2]);
    if (s == null) {
      return Err.NO_SUCH_KEY;
    }
    if (Args.is(a[1], "CONSUMERS") && a.length == 4) {
      StreamValue.Group g = s.group(a[3]);
      if (g == null) {
        return Reply.error("NOGROUP No such consumer group '" + cstr(a[3]) + "' for key name '"
            + cstr(a[2]) + "'");
      }
      List<Reply> out = new ArrayList<>();
      for (StreamValue.Consumer c : g.consumers().values()) {
        out.add(new Reply.Map(List.of(
            Reply.bulk("name"), new Reply.Bulk(c.name().array()),
            Reply.bulk("pending"), Reply.integer(c.pending().size()),
            Reply.bulk("idle"), Reply.integer(Math.max(0, ctx.now() - c.seenTime())))));
      }
      return Reply.array(out);
    } else if (Args.is(a[1], "GROUPS") && a.length == 3) {
      List<Reply> out = new ArrayList<>();
      s.groups().forEach((name, g) -> out.add(new Reply.Map(List.of(
          Reply.bulk("name"), new Reply.Bulk(name.array()),
          Reply.bulk("consumers"), Reply.integer(g.consumers().size()),
          Reply.bulk("pending"), Reply.integer(g.pel().size()),
          Reply.bulk("last-delivered-id"), idReply(g.lastId()),
          Reply.bulk("entries-read"), entriesRead(g),
          Reply.bulk("lag"), lag(s, g)))));
      return Reply.array(out);
    } else if (Args.is(a[1], "STREAM")) {
      return streamInfo(ctx, s);
    }
    return subcommandSyntax(a[1], "XINFO");
  }

  private static Reply entriesRead(StreamValue.Group g) {
    return g.entriesRead() == StreamValue.ENTRIES_READ_UNKNOWN ? Reply.NULL : Reply.integer(g.entriesRead());
  }

  private static Reply streamInfo(SlotContext ctx, StreamValue s) {
    byte[][] a = ctx.argv();
    boolean full = true;
    long count = 10;
    int optc = a.length - 3;
    if (optc == 0) {
      full = false;
    } else {
      if (optc != 1 && optc != 3) {
        return subcommandSyntax(a[1], "XINFO");
      }
      if (!Args.is(a[3], "full")) {
        return subcommandSyntax(a[1], "XINFO");
      }
      if (optc == 3) {
        if (!Args.is(a[4], "count")) {
          return subcommandSyntax(a[1], "XINFO");
        }
        count = Args.parseLong(a[5]);
        if (count < 0) {
          count = 10;
        }
      }
    }
    List<Reply> m = new ArrayList<>();
    m.add(Reply.bulk("length"));
    m.add(Reply.integer(s.length()));
    m.add(Reply.bulk("radix-tree-keys"));
    m.add(Reply.integer(s.nodes().size()));
    m.add(Reply.bulk("radix-tree-nodes"));
    m.add(Reply.integer(raxNodes(s.nodes().keySet())));
    m.add(Reply.bulk("last-generated-id"));
    m.add(idReply(s.lastId()));
    m.add(Reply.bulk("max-deleted-entry-id"));
    m.add(idReply(s.maxDeletedId()));
    m.add(Reply.bulk("entries-added"));
    m.add(Reply.integer(s.entriesAdded()));
    m.add(Reply.bulk("recorded-first-entry-id"));
    m.add(idReply(s.firstId()));
    if (!full) {
      m.add(Reply.bulk("groups"));
      m.add(Reply.integer(s.groups().size()));
      m.add(Reply.bulk("first-entry"));
      m.add(s.length() == 0 ? Reply.NULL : entryReply(s.entries().firstKey(), s.entries().firstEntry().getValue()));
      m.add(Reply.bulk("last-entry"));
      m.add(s.length() == 0 ? Reply.NULL : entryReply(s.entries().lastKey(), s.entries().lastEntry().getValue()));
      return new Reply.Map(m);
    }
    m.add(Reply.bulk("entries"));
    m.add(Reply.array(entries(s, StreamId.MIN, StreamId.MAX, count, false)));
    m.add(Reply.bulk("groups"));
    List<Reply> groups = new ArrayList<>();
    final long limit = count;
    s.groups().forEach((name, g) -> {
      List<Reply> pel = new ArrayList<>();
      for (Map.Entry<StreamId, StreamValue.Nack> e : g.pel().entrySet()) {
        if (limit != 0 && pel.size() >= limit) {
          break;
        }
        pel.add(Reply.array(List.of(idReply(e.getKey()), new Reply.Bulk(e.getValue().consumer().array()),
            Reply.integer(e.getValue().deliveryTime()), Reply.integer(e.getValue().deliveryCount()))));
      }
      List<Reply> consumers = new ArrayList<>();
      for (StreamValue.Consumer c : g.consumers().values()) {
        List<Reply> cpel = new ArrayList<>();
        for (StreamId id : c.pending()) {
          if (limit != 0 && cpel.size() >= limit) {
            break;
          }
          StreamValue.Nack n = g.pel().get(id);
          cpel.add(Reply.array(List.of(idReply(id), Reply.integer(n.deliveryTime()),
              Reply.integer(n.deliveryCount()))));
        }
        consumers.add(new Reply.Map(List.of(
            Reply.bulk("name"), new Reply.Bulk(c.name().array()),
            Reply.bulk("seen-time"), Reply.integer(c.seenTime()),
            Reply.bulk("pel-count"), Reply.integer(c.pending().size()),
            Reply.bulk("pending"), Reply.array(cpel))));
      }
      groups.add(new Reply.Map(List.of(
          Reply.bulk("name"), new Reply.Bulk(name.array()),
          Reply.bulk("last-delivered-id"), idReply(g.lastId()),
          Reply.bulk("entries-read"), entriesRead(g),
          Reply.bulk("lag"), lag(s, g),
          Reply.bulk("pel-count"), Reply.integer(g.pel().size()),
          Reply.bulk("pending"), Reply.array(pel),
          Reply.bulk("consumers"), Reply.array(consumers))));
    });
    m.add(Reply.array(groups));
    return new Reply.Map(m);
  }

  /**
   * The nodes of a radix tree holding these 16-byte keys in its canonical shape: a leaf per
   * key, a node per branching point, one compressed node per run of single-child steps. Redis's
   * rax has this shape after insertions; after removals it may keep more nodes.
   */
  static long raxNodes(java.util.Set<StreamId> keys) {
    List<byte[]> raw = new ArrayList<>(keys.size());
    for (StreamId id : keys) {
      byte[] b = new byte[16];
      for (int i = 0; i < 8; i++) {
        b[i] = (byte) (id.ms() >>> (56 - 8 * i));
        b[8 + i] = (byte) (id.seq() >>> (56 - 8 * i));
      }
      raw.add(b);
    }
    return raw.isEmpty() ? 1 : count(raw, 0, raw.size(), 0);
  }

  /** Nodes under a trie position: keys[from, to) (sorted) share their first {@code depth} bytes. */
  private static long count(List<byte[]> keys, int from, int to, int depth) {
    if (depth == 16) {
      return 1; // the key's leaf
    }
    // Follow single-child steps: one compressed node.
    int d = depth;
    while (d < 16 && keys.get(from)[d] == keys.get(to - 1)[d]) {
      d++;
    }
    if (d == 16) {
      return d > depth ? 2 : 1;
    }
    long n = d > depth ? 1 : 0; // the compressed run before the branch
    n += 1; // the branching node
    int i = from;
    while (i < to) {
      int j = i;
      while (j < to && keys.get(j)[d] == keys.get(i)[d]) {
        j++;
      }
      n += count(keys, i, j, d + 1);
      i = j;
    }
    return n;
  }
}
