package io.keyshard.node.commands;

import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SetEvent;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The set family, with Redis 7.0's semantics, reply shapes (RESP3 sets where Redis answers one)
 * and error texts. Changes are {@link SetEvent.MembersAdded} and {@link SetEvent.MembersRemoved}
 * holding the members actually added or removed (SPOP records its random choice); a *STORE
 * result is a {@link SlotEvent.KeyRestored} of the computed set, or a deletion when empty.
 *
 * <p>Multi-key commands here see keys of one slot; {@link SetCrossSlot} runs them over several
 * slots with the same algebra ({@link #inter}, {@link #union}, {@link #diff}) and the internal
 * bodies {@code __smembers}, {@code __sprobe} and {@code __sstore}.
 */
public final class SetCommands {
  private SetCommands() {}

  static final Reply POP_COUNT_NOT_POSITIVE = Err.err("value is out of range, must be positive");
  static final Reply RAND_COUNT_OUT_OF_RANGE =
      Err.err(
          "value is out of range, value must between -9223372036854775807 and "
              + "9223372036854775807");
  /**
   * SRANDMEMBER with a negative count answers |count| picks; Redis builds any size and dies of
   * memory on absurd ones. We refuse more picks than this rather than exhaust the heap.
   */
  static final long MAX_REPEATED_PICKS = 1L << 22;

  static final Reply TOO_MANY_PICKS = Err.err("value is out of range");
  static final Reply NUMKEYS = Err.err("numkeys should be greater than 0");
  static final Reply NUMKEYS_TOO_BIG = Err.err("Number of keys can't be greater than number of args");
  static final Reply LIMIT_NEGATIVE = Err.err("LIMIT can't be negative");

  /** Redis's SPOP_MOVE_STRATEGY_MUL: when to rebuild the set from the members it keeps. */
  private static final int SPOP_MOVE_STRATEGY_MUL = 5;

  /** Elements an SSCAN of a hashtable set answers per call unless COUNT says otherwise. */

  public static void register(CommandRegistry.Builder r) {
    r.slot("sadd", SetCommands::sadd);
    r.slot("srem", SetCommands::srem);
    r.slot("scard", ctx -> Reply.integer(size(set(ctx, ctx.arg(1)))));
    r.slot("sismember", ctx -> isMember(set(ctx, ctx.arg(1)), ctx.arg(2)));
    r.slot("smismember", SetCommands::smismember);
    r.slot("smembers", ctx -> setReply(ordered(set(ctx, ctx.arg(1)))));
    r.slot("spop", SetCommands::spop);
    r.slot("srandmember", SetCommands::srandmember);
    r.slot("smove", SetCommands::smove);
    r.slot("sinter", ctx -> setReply(inter(sources(ctx, 1), 0)));
    r.slot("sunion", ctx -> setReply(union(sources(ctx, 1)).ordered()));
    r.slot("sdiff", ctx -> setReply(diff(sources(ctx, 1)).ordered()));
    r.slot("sinterstore", ctx -> store(ctx, SetValue.of(inter(sources(ctx, 2), 0)), "sinterstore"));
    r.slot("sunionstore", ctx -> store(ctx, union(sources(ctx, 2)), "sunionstore"));
    r.slot("sdiffstore", ctx -> store(ctx, diff(sources(ctx, 2)), "sdiffstore"));
    r.slot("sintercard", SetCommands::sintercard);
    r.slot("sscan", SetCommands::sscan);
    // Internal bodies for SetCrossSlot (never reachable by clients: see TransferCommands).
    r.internal("__smembers", SetCommands::internalMembers);
    r.internal("__sprobe", SetCommands::internalProbe);
    r.internal("__sstore", SetCommands::internalStore);
  }

  /** The set at key, null if absent; WRONGTYPE if the key holds another type. */
  static SetValue set(SlotContext ctx, byte[] key) {
    return ctx.lookup(key, SetValue.class);
  }

  private static int size(SetValue s) {
    return s == null ? 0 : s.size();
  }

  private static List<Bytes> ordered(SetValue s) {
    return s == null ? List.of() : s.ordered();
  }

  private static Reply isMember(SetValue s, byte[] member) {
    return s != null && s.contains(member) ? Reply.ONE : Reply.ZERO;
  }

  static Reply setReply(Collection<Bytes> members) {
    List<Reply> out = new ArrayList<>(members.size());
    members.forEach(m -> out.add(new Reply.Bulk(m.array())));
    return new Reply.Set(out);
  }

  private static Reply arrayReply(Collection<Bytes> members) {
    List<Reply> out = new ArrayList<>(members.size());
    members.forEach(m -> out.add(new Reply.Bulk(m.array())));
    return Reply.array(out);
  }

  private static Reply sadd(SlotContext ctx) {
    SetValue s = set(ctx, ctx.arg(1));
    Set<Bytes> added = new LinkedHashSet<>();
    for (int i = 2; i < ctx.argc(); i++) {
      if (s == null || !s.contains(ctx.arg(i))) {
        added.add(Bytes.wrap(ctx.arg(i)));
      }
    }
    if (!added.isEmpty()) {
      ctx.emit(new SetEvent.MembersAdded(ctx.db(), ctx.arg(1), arrays(added)));
      ctx.notify(Notifications.SET, "sadd", ctx.arg(1));
    }
    return Reply.integer(added.size());
  }

  private static Reply srem(SlotContext ctx) {
    SetValue s = set(ctx, ctx.arg(1));
    if (s == null) {
      return Reply.ZERO;
    }
    Set<Bytes> removed = new LinkedHashSet<>();
    for (int i = 2; i < ctx.argc(); i++) {
      if (s.contains(ctx.arg(i))) {
        removed.add(Bytes.wrap(ctx.arg(i)));
      }
    }
    if (!removed.isEmpty()) {
      ctx.emit(new SetEvent.MembersRemoved(ctx.db(), ctx.arg(1), arrays(removed)));
      ctx.notify(Notifications.SET, "srem", ctx.arg(1));
      ctx.notifyIfGone(ctx.arg(1));
    }
    return Reply.integer(removed.size());
  }

  private static List<byte[]> arrays(Collection<Bytes> members) {
    List<byte[]> out = new ArrayList<>(members.size());
    members.forEach(m -> out.add(m.array()));
    return out;
  }

  private static Reply smismember(SlotContext ctx) {
    SetValue s = set(ctx, ctx.arg(1));
    List<Reply> out = new ArrayList<>(ctx.argc() - 2);
    for (int i = 2; i < ctx.argc(); i++) {
      out.add(isMember(s, ctx.arg(i)));
    }
    return Reply.array(out);
  }

  /**
   * SPOP key [count]. The count is checked before the key. Like Redis 7.0, three cases, which
   * show in the encoding and the reply order:
   *
   * <ul>
   *   <li>count reaching the size: the whole set, answered as SUNION would build it (so
   *       ascending when every member is an integer), and the key deleted;
   *   <li>few members left (at most a fifth of those popped): the members to keep are drawn and
   *       become a new set, encoded afresh (a hashtable may become an intset again), keeping
   *       the key's expiry; the popped ones are answered in the old set's order;
   *   <li>otherwise: distinct random members removed in place, answered in draw order.
   * </ul>
   */
  private static Reply spop(SlotContext ctx) {
    if (ctx.argc() > 3) {
      throw new RedisException(Err.SYNTAX);
    }
    byte[] key = ctx.arg(1);
    if (ctx.argc() == 2) {
      SetValue s = set(ctx, key);
      if (s == null) {
        return Reply.NULL;
      }
      Bytes m = s.get(ThreadLocalRandom.current().nextInt(s.size()));
      ctx.emit(new SetEvent.MembersRemoved(ctx.db(), key, List.of(m.array())));
      ctx.notify(Notifications.SET, "spop", key);
      ctx.notifyIfGone(key);
      return new Reply.Bulk(m.array());
    }
    Long count = Args.parseLongOrNull(ctx.arg(2));
    if (count == null || count < 0) {
      throw new RedisException(POP_COUNT_NOT_POSITIVE);
    }
    SetValue s = set(ctx, key);
    if (s == null || count == 0) {
      return new Reply.Set(List.of());
    }
    int size = s.size();
    ctx.notify(Notifications.SET, "spop", key); // before the pop, as Redis
    if (count >= size) {
      Reply all = setReply(SetValue.of(s.ordered()).ordered());
      ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), List.of(key)));
      ctx.notify(Notifications.GENERIC, "del", key);
      return all;
    }
    int remaining = size - (int) (long) count;
    if ((long) remaining * SPOP_MOVE_STRATEGY_MUL > count) {
      List<Bytes> picked = distinctPicks(s, (int) (long) count);
      ctx.emit(new SetEvent.MembersRemoved(ctx.db(), key, arrays(picked)));
      return setReply(picked);
    }
    List<Bytes> kept = distinctPicks(s, remaining);
    Set<Bytes> keep = new HashSet<>(kept);
    List<Bytes> popped = new ArrayList<>((int) (long) count);
    for (Bytes m : s.ordered()) {
      if (!keep.contains(m)) {
        popped.add(m);
      }
    }
    long expireAt = ctx.lookup(key).expireAt;
    ctx.emit(new SlotEvent.KeyRestored(ctx.db(), key, SetValue.of(kept), expireAt));
    return setReply(popped);
  }

  /** {@code count} distinct random members of a set larger than count, in random order. */
  private static List<Bytes> distinctPicks(SetValue s, int count) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int size = s.size();
    List<Bytes> out = new ArrayList<>(count);
    if (count * 2 <= size) {
      // Few picks: draw positions until enough distinct ones came up.
      Set<Integer> seen = new HashSet<>();
      while (out.size() < count) {
        int i = random.nextInt(size);
        if (seen.add(i)) {
          out.add(s.get(i));
        }
      }
    } else {
      // Most of the set: draw the positions to leave out, answer the rest.
      Set<Integer> left = new HashSet<>();
      while (left.size() < size - count) {
        left.add(random.nextInt(size));
      }
      for (int i = 0; i < size; i++) {
        if (!left.contains(i)) {
          out.add(s.get(i));
        }
      }
      Collections.shuffle(out, random);
    }
    return out;
  }

  /**
   * SRANDMEMBER key [count]: a positive count answers distinct members (the whole set, in its
   * order, once count reaches the size), a negative one |count| independent picks. A read: it
   * persists nothing.
   */
  private static Reply srandmember(SlotContext ctx) {
    if (ctx.argc() > 3) {
      throw new RedisException(Err.SYNTAX);
    }
    if (ctx.argc() == 2) {
      SetValue s = set(ctx, ctx.arg(1));
      if (s == null) {
        return Reply.NULL;
      }
      return new Reply.Bulk(s.get(ThreadLocalRandom.current().nextInt(s.size())).array());
    }
    long count = Args.parseLong(ctx.arg(2));
    if (count == Long.MIN_VALUE) {
      throw new RedisException(RAND_COUNT_OUT_OF_RANGE);
    }
    SetValue s = set(ctx, ctx.arg(1));
    if (s == null || count == 0) {
      return Reply.EMPTY_ARRAY;
    }
    if (count < 0) {
      if (-count > MAX_REPEATED_PICKS) {
        throw new RedisException(TOO_MANY_PICKS);
      }
      ThreadLocalRandom random = ThreadLocalRandom.current();
      List<Reply> out = new ArrayList<>((int) -count);
      for (long i = 0; i < -count; i++) {
        out.add(new Reply.Bulk(s.get(random.nextInt(s.size())).array()));
      }
      return Reply.array(out);
    }
    if (count >= s.size()) {
      return arrayReply(s.ordered());
    }
    return arrayReply(distinctPicks(s, (int) count));
  }

  /**
   * SMOVE source destination member: 0 if the source is missing (whatever the destination);
   * both keys are type-checked before anything moves.
   */
  private static Reply smove(SlotContext ctx) {
    byte[] src = ctx.arg(1);
    byte[] dst = ctx.arg(2);
    byte[] member = ctx.arg(3);
    Keyspace.Entry from = ctx.lookup(src);
    Keyspace.Entry to = ctx.lookup(dst);
    if (from == null) {
      return Reply.ZERO;
    }
    if (!(from.value instanceof SetValue source)
        || (to != null && !(to.value instanceof SetValue))) {
      throw new RedisException(Err.WRONGTYPE);
    }
    if (Arrays.equals(src, dst)) {
      return isMember(source, member);
    }
    if (!source.contains(member)) {
      return Reply.ZERO;
    }
    ctx.emit(new SetEvent.MembersRemoved(ctx.db(), src, List.of(member)));
    ctx.notify(Notifications.SET, "srem", src);
    ctx.notifyIfGone(src);
    SetValue target = to == null ? null : (SetValue) to.value;
    if (target == null || !target.contains(member)) {
      ctx.emit(new SetEvent.MembersAdded(ctx.db(), dst, List.of(member)));
      ctx.notify(Notifications.SET, "sadd", dst);
    }
    return Reply.ONE;
  }

  /** The sets at argv[from..], null for a missing key; every key is type-checked first. */
  private static List<SetValue> sources(SlotContext ctx, int from) {
    return sources(ctx, from, ctx.argc());
  }

  private static List<SetValue> sources(SlotContext ctx, int from, int to) {
    List<SetValue> sets = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      sets.add(set(ctx, ctx.arg(i)));
    }
    return sets;
  }

  /**
   * The intersection, in the order of the smallest set (so ascending when that is an intset,
   * as Redis answers), stopping at {@code limit} members (0: no limit). A missing set (null)
   * makes it empty.
   */
  static List<Bytes> inter(List<SetValue> sets, long limit) {
    if (sets.isEmpty() || sets.contains(null)) {
      return List.of();
    }
    List<SetValue> bySize = new ArrayList<>(sets);
    bySize.sort(Comparator.comparingInt(SetValue::size));
    List<Bytes> out = new ArrayList<>();
    SetValue smallest = bySize.get(0);
    for (Bytes m : smallest.ordered()) {
      boolean inAll = true;
      for (int j = 1; j < bySize.size() && inAll; j++) {
        inAll = bySize.get(j).contains(m);
      }
      if (inAll) {
        out.add(m);
        if (limit > 0 && out.size() >= limit) {
          break;
        }
      }
    }
    return out;
  }

  /** The union as a new set, encoded as Redis encodes the set it builds. */
  static SetValue union(List<SetValue> sets) {
    SetValue out = new SetValue();
    for (SetValue s : sets) {
      if (s != null) {
        s.ordered().forEach(out::add);
      }
    }
    return out;
  }

  /** The first set without the members of the others, as a new set. */
  static SetValue diff(List<SetValue> sets) {
    SetValue out = new SetValue();
    SetValue first = sets.get(0);
    if (first == null) {
      return out;
    }
    for (Bytes m : first.ordered()) {
      boolean elsewhere = false;
      for (int j = 1; j < sets.size() && !elsewhere; j++) {
        SetValue other = sets.get(j);
        elsewhere = other != null && other.contains(m);
      }
      if (!elsewhere) {
        out.add(m);
      }
    }
    return out;
  }

  /** Stores a *STORE result at argv[1]: the set without expiry, or no key at all when empty. */
  private static Reply store(SlotContext ctx, SetValue result, String event) {
    return storeResult(ctx, ctx.arg(1), result, event);
  }

  static Reply storeResult(SlotContext ctx, byte[] dst, SetValue result, String event) {
    if (result.size() == 0) {
      if (ctx.lookup(dst) != null) {
        ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), List.of(dst)));
        ctx.notify(Notifications.GENERIC, "del", dst);
      }
      return Reply.ZERO;
    }
    ctx.lookup(dst); // an expired destination is expired first, so replay agrees
    ctx.emit(new SlotEvent.KeyRestored(ctx.db(), dst, result, 0));
    ctx.notify(Notifications.SET, event, dst);
    return Reply.integer(result.size());
  }

  /** SINTERCARD's arguments: numkeys and LIMIT (0 = none), checked as Redis checks them. */
  record CardOptions(int numKeys, long limit) {}

  static CardOptions parseCard(byte[][] argv) {
    Long numKeys = Args.parseLongOrNull(argv[1]);
    if (numKeys == null || numKeys < 1) {
      throw new RedisException(NUMKEYS);
    }
    if (numKeys > argv.length - 2) {
      throw new RedisException(NUMKEYS_TOO_BIG);
    }
    long limit = 0;
    for (int i = 2 + (int) (long) numKeys; i < argv.length; i++) {
      if (Args.is(argv[i], "LIMIT") && i + 1 < argv.length) {
        Long l = Args.parseLongOrNull(argv[++i]);
        if (l == null || l < 0) {
          throw new RedisException(LIMIT_NEGATIVE);
        }
        limit = l;
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    return new CardOptions((int) (long) numKeys, limit);
  }

  private static Reply sintercard(SlotContext ctx) {
    CardOptions o = parseCard(ctx.argv());
    return Reply.integer(inter(sources(ctx, 2, 2 + o.numKeys()), o.limit()).size());
  }

  /**
   * SSCAN key cursor [MATCH pattern] [COUNT count]. An intset answers everything at once with
   * cursor 0, as Redis does. A hashtable set is walked by array position from the top down: the
   * cursor is the position below which nothing was visited yet. Members only move down (a
   * removal moves the last member into the hole) and new ones are appended above, so every
   * member present for the whole scan is answered at least once; one may come twice.
   */
  private static Reply sscan(SlotContext ctx) {
    long cursor = ScanArgs.cursor(ctx.arg(2));
    SetValue s = set(ctx, ctx.arg(1));
    if (s == null) {
      return Reply.array(List.of(Reply.bulk("0"), Reply.EMPTY_ARRAY));
    }
    ScanArgs options = ScanArgs.options(ctx.argv(), 3);
    long count = options.count();
    List<Bytes> visited;
    long next;
    if (s.isIntset()) {
      visited = s.ordered();
      next = 0;
    } else {
      int top = cursor == 0 || Long.compareUnsigned(cursor, s.size()) > 0 ? s.size() : (int) cursor;
      int bottom = (int) Math.max(0, top - count);
      visited = new ArrayList<>(top - bottom);
      for (int i = top - 1; i >= bottom; i--) {
        visited.add(s.get(i));
      }
      next = bottom;
    }
    List<Reply> out = new ArrayList<>(visited.size());
    for (Bytes m : visited) {
      if (options.matches(m.array())) {
        out.add(new Reply.Bulk(m.array()));
      }
    }
    return Reply.array(List.of(Reply.bulk(Long.toUnsignedString(next)), Reply.array(out)));
  }


  // Internal bodies for SetCrossSlot.

  /** {@code __smembers key}: the members in the set's order, nil if absent, or WRONGTYPE. */
  private static Reply internalMembers(SlotContext ctx) {
    SetValue s = set(ctx, ctx.arg(1));
    return s == null ? Reply.NULL : arrayReply(s.ordered());
  }

  /** {@code __sprobe key member}: nil if absent, WRONGTYPE, else whether member is in it. */
  private static Reply internalProbe(SlotContext ctx) {
    SetValue s = set(ctx, ctx.arg(1));
    return s == null ? Reply.NULL : isMember(s, ctx.arg(2));
  }

  /**
   * {@code __sstore key event member...}: replaces key with a set of these members (none:
   * deletes it); {@code event} is the *STORE command's notification.
   */
  private static Reply internalStore(SlotContext ctx) {
    SetValue result = new SetValue();
    for (int i = 3; i < ctx.argc(); i++) {
      result.add(ctx.arg(i));
    }
    return storeResult(ctx, ctx.arg(1), result, Args.str(ctx.arg(2)));
  }
}
