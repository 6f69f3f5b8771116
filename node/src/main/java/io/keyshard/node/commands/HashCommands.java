package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotCommand;
import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.LongDouble;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The hash family, with Redis 7.0's semantics, reply shapes and error texts. Every change is a
 * {@link SlotEvent.HashFieldsSet} or {@link SlotEvent.HashFieldsDeleted} holding final values:
 * HINCRBY and HINCRBYFLOAT persist their result, and HRANDFIELD, a read, persists nothing.
 */
public final class HashCommands {
  private HashCommands() {}

  private static final Reply HASH_NOT_INTEGER = Err.err("hash value is not an integer");
  private static final Reply HASH_NOT_FLOAT = Err.err("hash value is not a float");
  private static final Reply NAN_OR_INFINITY = Err.err("value is NaN or Infinity");
  private static final Reply OUT_OF_RANGE = Err.err("value is out of range");
  private static final Reply COUNT_OUT_OF_RANGE =
      Err.err(
          "value is out of range, value must between -9223372036854775807 and "
              + "9223372036854775807");

  public static void register(CommandRegistry.Builder r) {
    r.slot("hset", ctx -> hset(ctx, "hset", false));
    r.slot("hmset", ctx -> hset(ctx, "hmset", true));
    r.slot("hsetnx", HashCommands::hsetnx);
    r.slot("hget", HashCommands::hget);
    r.slot("hmget", HashCommands::hmget);
    r.slot("hdel", HashCommands::hdel);
    r.slot("hlen", ctx -> Reply.integer(size(hash(ctx, ctx.arg(1)))));
    r.slot("hstrlen", HashCommands::hstrlen);
    r.slot("hexists", HashCommands::hexists);
    r.slot("hkeys", ctx -> all(ctx, true, false));
    r.slot("hvals", ctx -> all(ctx, false, true));
    r.slot("hgetall", ctx -> all(ctx, true, true));
    r.slot("hincrby", HashCommands::hincrby);
    r.slot("hincrbyfloat", HashCommands::hincrbyfloat);
    r.slot("hrandfield", HashCommands::hrandfield);
    r.slot("hscan", HashCommands::hscan);
  }

  /** The hash at key, null if absent; WRONGTYPE if the key holds another type. */
  private static HashValue hash(SlotContext ctx, byte[] key) {
    return ctx.lookup(key, HashValue.class);
  }

  private static int size(HashValue h) {
    return h == null ? 0 : h.size();
  }

  /** HSET answers how many fields are new, HMSET answers OK; both take field value pairs. */
  private static Reply hset(SlotContext ctx, String name, boolean ok) {
    if (ctx.argc() % 2 != 0) {
      throw new RedisException(Err.wrongArity(name));
    }
    HashValue h = hash(ctx, ctx.arg(1));
    Set<Bytes> added = new LinkedHashSet<>();
    List<byte[]> fieldsAndValues = new ArrayList<>(ctx.argc() - 2);
    for (int i = 2; i < ctx.argc(); i += 2) {
      if (h == null || h.get(ctx.arg(i)) == null) {
        added.add(Bytes.wrap(ctx.arg(i)));
      }
      fieldsAndValues.add(ctx.arg(i));
      fieldsAndValues.add(ctx.arg(i + 1));
    }
    ctx.emit(new SlotEvent.HashFieldsSet(ctx.db(), ctx.arg(1), fieldsAndValues));
    ctx.notify(Notifications.HASH, "hset", ctx.arg(1));
    return ok ? Reply.OK : Reply.integer(added.size());
  }

  private static Reply hsetnx(SlotContext ctx) {
    HashValue h = hash(ctx, ctx.arg(1));
    if (h != null && h.get(ctx.arg(2)) != null) {
      return Reply.ZERO;
    }
    ctx.emit(new SlotEvent.HashFieldsSet(ctx.db(), ctx.arg(1), List.of(ctx.arg(2), ctx.arg(3))));
    ctx.notify(Notifications.HASH, "hset", ctx.arg(1));
    return Reply.ONE;
  }

  private static Reply hget(SlotContext ctx) {
    HashValue h = hash(ctx, ctx.arg(1));
    return Reply.bulk(h == null ? null : h.get(ctx.arg(2)));
  }

  private static Reply hmget(SlotContext ctx) {
    HashValue h = hash(ctx, ctx.arg(1));
    List<Reply> out = new ArrayList<>(ctx.argc() - 2);
    for (int i = 2; i < ctx.argc(); i++) {
      out.add(Reply.bulk(h == null ? null : h.get(ctx.arg(i))));
    }
    return Reply.array(out);
  }

  private static Reply hdel(SlotContext ctx) {
    HashValue h = hash(ctx, ctx.arg(1));
    if (h == null) {
      return Reply.ZERO;
    }
    // Each field counts once, however often it is named.
    Set<Bytes> present = new LinkedHashSet<>();
    for (int i = 2; i < ctx.argc(); i++) {
      if (h.get(ctx.arg(i)) != null) {
        present.add(Bytes.wrap(ctx.arg(i)));
      }
    }
    if (!present.isEmpty()) {
      List<byte[]> fields = present.stream().map(Bytes::array).toList();
      ctx.emit(new SlotEvent.HashFieldsDeleted(ctx.db(), ctx.arg(1), fields));
      ctx.notify(Notifications.HASH, "hdel", ctx.arg(1));
      ctx.notifyIfGone(ctx.arg(1));
    }
    return Reply.integer(present.size());
  }

  private static Reply hstrlen(SlotContext ctx) {
    HashValue h = hash(ctx, ctx.arg(1));
    byte[] v = h == null ? null : h.get(ctx.arg(2));
    return Reply.integer(v == null ? 0 : v.length);
  }

  private static Reply hexists(SlotContext ctx) {
    HashValue h = hash(ctx, ctx.arg(1));
    return h != null && h.get(ctx.arg(2)) != null ? Reply.ONE : Reply.ZERO;
  }

  /** HKEYS, HVALS and HGETALL; HGETALL is a map in RESP3. */
  private static Reply all(SlotContext ctx, boolean fields, boolean values) {
    HashValue h = hash(ctx, ctx.arg(1));
    List<Reply> out = new ArrayList<>(size(h) * (fields && values ? 2 : 1));
    if (h != null) {
      for (Map.Entry<Bytes, byte[]> e : h.fields().entrySet()) {
        if (fields) {
          out.add(new Reply.Bulk(e.getKey().array()));
        }
        if (values) {
          out.add(new Reply.Bulk(e.getValue()));
        }
      }
    }
    return fields && values ? new Reply.Map(out) : Reply.array(out);
  }

  private static Reply hincrby(SlotContext ctx) {
    long by = Args.parseLong(ctx.arg(3));
    HashValue h = hash(ctx, ctx.arg(1));
    byte[] current = h == null ? null : h.get(ctx.arg(2));
    long value = 0;
    if (current != null) {
      Long parsed = Args.parseLongOrNull(current);
      if (parsed == null) {
        throw new RedisException(HASH_NOT_INTEGER);
      }
      value = parsed;
    }
    if ((by < 0 && value < 0 && by < Long.MIN_VALUE - value)
        || (by > 0 && value > 0 && by > Long.MAX_VALUE - value)) {
      throw new RedisException(Err.OVERFLOW);
    }
    long next = value + by;
    byte[] bytes = Long.toString(next).getBytes(StandardCharsets.US_ASCII);
    ctx.emit(new SlotEvent.HashFieldsSet(ctx.db(), ctx.arg(1), List.of(ctx.arg(2), bytes)));
    ctx.notify(Notifications.HASH, "hincrby", ctx.arg(1));
    return Reply.integer(next);
  }

  /** In x87 extended precision, as INCRBYFLOAT; the stored text is the reply. */
  private static Reply hincrbyfloat(SlotContext ctx) {
    LongDouble incr = LongDouble.parse(ctx.arg(3));
    if (!incr.isFinite()) {
      throw new RedisException(NAN_OR_INFINITY);
    }
    HashValue h = hash(ctx, ctx.arg(1));
    byte[] current = h == null ? null : h.get(ctx.arg(2));
    LongDouble value = LongDouble.ZERO;
    if (current != null) {
      try {
        value = LongDouble.parse(current);
      } catch (RedisException e) {
        throw new RedisException(HASH_NOT_FLOAT);
      }
    }
    LongDouble sum = value.add(incr);
    if (!sum.isFinite()) {
      throw new RedisException(Err.INCR_NAN_OR_INF);
    }
    byte[] bytes = sum.toHumanString().getBytes(StandardCharsets.US_ASCII);
    ctx.emit(new SlotEvent.HashFieldsSet(ctx.db(), ctx.arg(1), List.of(ctx.arg(2), bytes)));
    ctx.notify(Notifications.HASH, "hincrbyfloat", ctx.arg(1));
    return new Reply.Bulk(bytes);
  }

  /**
   * HRANDFIELD key [count [WITHVALUES]]. A positive count picks distinct fields (all of them if
   * count reaches the size), answered in the hash's order; a negative count picks |count| fields
   * independently, so they may repeat. Arguments are checked before the key, as in Redis.
   */
  private static Reply hrandfield(SlotContext ctx) {
    if (ctx.argc() == 2) {
      HashValue h = hash(ctx, ctx.arg(1));
      if (h == null) {
        return Reply.NULL;
      }
      return new Reply.Bulk(fieldAt(h, ThreadLocalRandom.current().nextInt(h.size())).array());
    }
    long count = Args.parseLong(ctx.arg(2));
    boolean withValues = false;
    if (ctx.argc() == 4 && Args.is(ctx.arg(3), "WITHVALUES")) {
      withValues = true;
    } else if (ctx.argc() > 3) {
      throw new RedisException(Err.SYNTAX);
    }
    if (count == Long.MIN_VALUE) {
      throw new RedisException(COUNT_OUT_OF_RANGE);
    }
    // With values the reply has two items per pick: Redis refuses what could overflow that.
    if (withValues && count < -(Long.MAX_VALUE / 2)) {
      throw new RedisException(OUT_OF_RANGE);
    }
    HashValue h = hash(ctx, ctx.arg(1));
    if (h == null || count == 0) {
      return Reply.EMPTY_ARRAY;
    }
    List<Map.Entry<Bytes, byte[]>> entries = new ArrayList<>(h.fields().entrySet());
    List<Map.Entry<Bytes, byte[]>> picked;
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (count < 0) {
      long n = -count;
      if (n > Integer.MAX_VALUE - 8) {
        // More replies than one Java list can hold; Redis itself runs out of memory here.
        throw new RedisException(OUT_OF_RANGE);
      }
      picked = new ArrayList<>((int) n);
      for (long i = 0; i < n; i++) {
        picked.add(entries.get(random.nextInt(entries.size())));
      }
    } else if (count >= entries.size()) {
      picked = entries;
    } else {
      int[] chosen = random.ints(0, entries.size()).distinct().limit(count).sorted().toArray();
      picked = new ArrayList<>(chosen.length);
      for (int i : chosen) {
        picked.add(entries.get(i));
      }
    }
    List<Reply> out = new ArrayList<>(picked.size() * (withValues ? 2 : 1));
    for (Map.Entry<Bytes, byte[]> e : picked) {
      out.add(new Reply.Bulk(e.getKey().array()));
      if (withValues) {
        out.add(new Reply.Bulk(e.getValue()));
      }
    }
    return withValues ? new Reply.Pairs(out) : Reply.array(out);
  }

  private static Bytes fieldAt(HashValue h, int index) {
    int i = 0;
    for (Bytes f : h.fields().keySet()) {
      if (i++ == index) {
        return f;
      }
    }
    throw new IllegalStateException("index " + index + " of " + h.size());
  }

  /**
   * HSCAN key cursor [MATCH pattern] [COUNT count]. Every call answers the whole hash (filtered
   * by MATCH) with cursor 0, as Redis does for a small hash; this satisfies SCAN's guarantees
   * for any size. The cursor is checked first, then the key, then the options, as in Redis:
   * a missing key answers an empty scan whatever the options.
   */
  private static Reply hscan(SlotContext ctx) {
    ScanArgs.cursor(ctx.arg(2));
    HashValue h = hash(ctx, ctx.arg(1));
    List<Reply> out = new ArrayList<>();
    Reply empty = Reply.array(List.of(Reply.bulk("0"), Reply.array(out)));
    if (h == null) {
      return empty;
    }
    ScanArgs options = ScanArgs.options(ctx.argv(), 3);
    for (Map.Entry<Bytes, byte[]> e : h.fields().entrySet()) {
      if (options.matches(e.getKey().array())) {
        out.add(new Reply.Bulk(e.getKey().array()));
        out.add(new Reply.Bulk(e.getValue()));
      }
    }
    return empty;
  }

}
