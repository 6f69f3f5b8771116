package io.keyshard.node.commands;

import io.keyshard.node.server.Router;
import io.keyshard.node.server.Session;
import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.node.tx.Transactions;
import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.ZSetValue;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * SORT and SORT_RO (docs/decisions/2026-12-08-sort.md). The sorted key is read whole from its
 * slot ({@code __sortsrc}); the sort, LIMIT and the patterns are worked out here; the keys BY
 * and GET name are read from their slots ({@code __sortget}); STORE writes the resulting list
 * as one value ({@code __sortstore}, journaled as the list itself, so replay is exact).
 *
 * <p>A SORT that reads no other key and stores nothing is one read of one slot. Any other runs
 * inside a transaction holding the sorted key's slot and STORE's: the slots the patterns name are
 * known only once the key is read, so each is taken without waiting ({@code tryLock}); one that
 * another transaction holds makes the run undo itself and run again holding it from the start, in
 * order (as a script with undeclared keys). So every key SORT reads is read at one instant and no
 * client sees a STORE half done. Inside EXEC and scripts it runs in their transaction and asks
 * them to run again instead. In cluster mode BY with a pattern and GET are refused, as by Redis
 * Cluster 7.0.
 */
final class SortCommand {
  static final Reply NOT_DOUBLE = Err.err("One or more scores can't be converted into double");
  static final Reply BY_IN_CLUSTER = Err.err("BY option of SORT denied in Cluster mode.");
  static final Reply GET_IN_CLUSTER = Err.err("GET option of SORT denied in Cluster mode.");
  static final Reply BY_ACL = Err.err("BY option of SORT denied due to insufficient ACL permissions.");
  static final Reply GET_ACL = Err.err("GET option of SORT denied due to insufficient ACL permissions.");
  /** After this many runs refused a slot by other transactions, SORT gives up (as scripts do). */
  private static final int MAX_RUNS = 16;

  static final Reply GAVE_UP =
      Err.err("SORT could not take the slots of its BY/GET keys after " + MAX_RUNS + " runs; try again");

  private final Router router;

  SortCommand(Router router) {
    this.router = router;
  }

  void register(CommandRegistry.Builder r) {
    r.session("sort", this::run);
    r.session("sort_ro", this::run);
  }

  /** The slot bodies SORT reads and writes with. */
  static void registerBodies(CommandRegistry.Builder r) {
    r.internal("__sortsrc", SortCommand::source);
    r.internal("__sortget", SortCommand::lookups);
    r.internal("__sortstore", SortCommand::store);
  }

  // ---------------------------------------------------------------------------------------------
  // Options

  /** What a key pattern of BY or GET reads for an element: nothing, the element, or a key. */
  private record Pattern(byte[] prefix, byte[] suffix, byte[] field, boolean self, boolean none) {
    /** As Redis reads a pattern: "#" is the element, no '*' reads nothing, "->f" a hash field. */
    static Pattern of(byte[] p) {
      int clen = cLength(p);
      if (clen >= 1 && p[0] == '#' && (clen == 1)) {
        return new Pattern(null, null, null, true, false);
      }
      int star = indexOf(p, clen, (byte) '*', 0);
      if (star < 0) {
        return new Pattern(null, null, null, false, true);
      }
      int arrow = -1;
      for (int i = star + 1; i + 1 < clen; i++) {
        if (p[i] == '-' && p[i + 1] == '>') {
          arrow = i;
          break;
        }
      }
      byte[] field = null;
      int end = p.length;
      if (arrow >= 0 && arrow + 2 < clen) {
        field = Arrays.copyOfRange(p, arrow + 2, p.length);
        end = arrow;
      }
      return new Pattern(
          Arrays.copyOfRange(p, 0, star), Arrays.copyOfRange(p, star + 1, end), field, false, false);
    }

    boolean readsKeys() {
      return !self && !none;
    }

    byte[] key(byte[] element) {
      byte[] k = new byte[prefix.length + element.length + suffix.length];
      System.arraycopy(prefix, 0, k, 0, prefix.length);
      System.arraycopy(element, 0, k, prefix.length, element.length);
      System.arraycopy(suffix, 0, k, prefix.length + element.length, suffix.length);
      return k;
    }
  }

  /** A C string's length: the bytes before the first NUL. */
  private static int cLength(byte[] s) {
    int i = 0;
    while (i < s.length && s[i] != 0) {
      i++;
    }
    return i;
  }

  private static int indexOf(byte[] s, int limit, byte b, int from) {
    for (int i = from; i < limit; i++) {
      if (s[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** SORT's arguments, checked as Redis checks them (in order, the first error wins). */
  record Options(
      byte[] key,
      boolean desc,
      boolean alpha,
      long limitStart,
      long limitCount,
      Pattern by,
      boolean dontSort,
      List<Pattern> gets,
      byte[] store) {
    /** Whether it reads keys other than the sorted one (BY with a pattern, GET with a '*'). */
    boolean readsOtherKeys() {
      return (by != null && !dontSort) || gets.stream().anyMatch(Pattern::readsKeys);
    }
  }

  static Options parse(byte[][] argv, boolean readOnly, boolean cluster, boolean allKeys) {
    boolean desc = false;
    boolean alpha = false;
    long start = 0;
    long count = -1;
    Pattern by = null;
    boolean dontSort = false;
    List<Pattern> gets = new ArrayList<>();
    byte[] store = null;
    for (int j = 2; j < argv.length; j++) {
      int left = argv.length - j - 1;
      byte[] a = argv[j];
      if (Args.is(a, "ASC")) {
        desc = false;
      } else if (Args.is(a, "DESC")) {
        desc = true;
      } else if (Args.is(a, "ALPHA")) {
        alpha = true;
      } else if (Args.is(a, "LIMIT") && left >= 2) {
        Long s = Args.parseLongOrNull(argv[j + 1]);
        Long c = Args.parseLongOrNull(argv[j + 2]);
        if (s == null || c == null) {
          throw new RedisException(Err.NOT_INTEGER);
        }
        start = s;
        count = c;
        j += 2;
      } else if (!readOnly && Args.is(a, "STORE") && left >= 1) {
        store = argv[++j];
      } else if (Args.is(a, "BY") && left >= 1) {
        byte[] p = argv[++j];
        by = Pattern.of(p);
        // No '*': nothing to sort by ("BY nosort"), the elements keep their order.
        dontSort = indexOf(p, cLength(p), (byte) '*', 0) < 0;
        if (!dontSort) {
          if (cluster) {
            throw new RedisException(BY_IN_CLUSTER);
          }
          if (!allKeys) {
            throw new RedisException(BY_ACL);
          }
        }
      } else if (Args.is(a, "GET") && left >= 1) {
        if (cluster) {
          throw new RedisException(GET_IN_CLUSTER);
        }
        if (!allKeys) {
          throw new RedisException(GET_ACL);
        }
        gets.add(Pattern.of(argv[++j]));
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    return new Options(argv[1], desc, alpha, start, count, by, dontSort, List.copyOf(gets), store);
  }

  // ---------------------------------------------------------------------------------------------
  // At the connection

  private CompletionStage<Reply> run(Session s, byte[][] argv, CommandSpec spec) {
    Options o;
    try {
      o = parse(argv, spec.name().equals("sort_ro"), router.cluster() != null, router.acl().readsEveryKey(s));
    } catch (RedisException e) {
      return done(e.reply());
    }
    int db = s.db;
    int keySlot = Slots.slot(o.key());
    if (!o.readsOtherKeys() && o.store() == null) {
      // One read of one slot: atomic by itself.
      Access one =
          new Access() {
            @Override
            public CompletionStage<Reply> exec(int slot, String name, int d, byte[][] a, boolean write) {
              return router.slots().execInSlot(slot, name, d, a, write);
            }

            @Override
            public CompletionStage<Boolean> take(int slot) {
              return done(slot == keySlot);
            }
          };
      return sort(one, db, o, false, new TreeSet<>());
    }
    SortedSet<Integer> slots = new TreeSet<>();
    slots.add(keySlot);
    if (o.store() != null) {
      slots.add(Slots.slot(o.store()));
    }
    return attempt(db, o, slots, 1);
  }

  /** One run in a transaction over {@code slots}; again holding more if a pattern's slot was taken. */
  private CompletionStage<Reply> attempt(int db, Options o, SortedSet<Integer> slots, int run) {
    SortedSet<Integer> missing = new TreeSet<>();
    return router
        .transactions()
        .run(
            slots,
            tx ->
                sort(access(tx), db, o, false, missing)
                    .thenApply(
                        r -> {
                          if (!missing.isEmpty()) {
                            tx.abort(); // undone: it runs again holding those slots from the start
                          }
                          return r;
                        }))
        .thenCompose(
            r -> {
              if (missing.isEmpty()) {
                return done(r);
              }
              if (run >= MAX_RUNS) {
                return done(GAVE_UP);
              }
              SortedSet<Integer> more = new TreeSet<>(slots);
              more.addAll(missing);
              return attempt(db, o, more, run + 1);
            });
  }

  /**
   * SORT queued in MULTI or called by a script: inside that transaction. A slot its patterns need
   * and cannot take is added to {@code missing}; the caller then runs the whole again holding it.
   */
  static CompletionStage<Reply> inTransaction(
      Transactions.Tx tx, Router router, Session s, byte[][] argv, boolean script, SortedSet<Integer> missing) {
    Options o;
    try {
      boolean readOnly = Args.is(argv[0], "SORT_RO");
      o = parse(argv, readOnly, router.cluster() != null, router.acl().readsEveryKey(s));
    } catch (RedisException e) {
      return done(e.reply());
    }
    return sort(access(tx), s.db, o, script, missing);
  }

  /** How a run reaches slots: runs a body in one, and takes one more (true if now held). */
  private interface Access extends SlotExecutor {
    CompletionStage<Boolean> take(int slot);
  }

  private static Access access(Transactions.Tx tx) {
    return new Access() {
      @Override
      public CompletionStage<Reply> exec(int slot, String name, int db, byte[][] argv, boolean write) {
        return tx.exec(slot, name, db, argv, write);
      }

      @Override
      public CompletionStage<Boolean> take(int slot) {
        return tx.tryLock(slot);
      }
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The sort

  /** One element being sorted: its score (numeric) or the value it is compared by (ALPHA BY). */
  private static final class Item {
    final byte[] element;
    double score;
    byte[] by;

    Item(byte[] element) {
      this.element = element;
    }
  }

  private static CompletionStage<Reply> sort(
      Access slots, int db, Options o, boolean script, SortedSet<Integer> missing) {
    return slots
        .exec(Slots.slot(o.key()), "__sortsrc", db, Args.command("__sortsrc", o.key()), false)
        .thenCompose(
            src -> {
              if (src.isError()) {
                return done(src);
              }
              String type = "list";
              List<byte[]> elements = new ArrayList<>();
              if (src instanceof Reply.Array a) {
                type = new String(((Reply.Bulk) a.items().get(0)).value());
                for (int i = 1; i < a.items().size(); i++) {
                  elements.add(((Reply.Bulk) a.items().get(i)).value());
                }
              }
              return sorted(slots, db, o, script, missing, type, elements);
            });
  }

  private static CompletionStage<Reply> sorted(
      Access slots, int db, Options o, boolean script, SortedSet<Integer> missing, String type,
      List<byte[]> elements) {
    boolean dontSort = o.dontSort();
    boolean alpha = o.alpha();
    Pattern by = o.by();
    if (dontSort && type.equals("set") && (o.store() != null || script)) {
      // A set's order is its own: stored or seen by a script, the elements are sorted (ALPHA).
      dontSort = false;
      alpha = true;
      by = null;
    }
    long len = elements.size();
    long start = o.limitStart() < 0 ? 0 : o.limitStart();
    // A count past the end (even one that would overflow) ends at the last element.
    long end = o.limitCount() < 0 || o.limitCount() > len - start ? len - 1 : start + o.limitCount() - 1;
    if (start >= len) {
      start = len - 1;
      end = len - 2;
    }
    if (end >= len) {
      end = len - 1;
    }
    List<Item> vector = new ArrayList<>();
    boolean ordered = !type.equals("set");
    if (ordered && dontSort) {
      // The list's or sorted set's own order (reversed by DESC), only the range LIMIT asks for.
      if (end >= start) {
        for (long i = start; i <= end; i++) {
          int at = (int) (o.desc() ? len - 1 - i : i);
          vector.add(new Item(elements.get(at)));
        }
      }
      end -= start;
      start = 0;
    } else {
      elements.forEach(e -> vector.add(new Item(e)));
    }
    boolean sortIt = !dontSort;
    boolean byAlpha = alpha;
    Pattern sortBy = by;
    long from = start;
    long to = end;
    CompletionStage<Boolean> scored = done(true);
    if (sortIt && sortBy != null) {
      scored =
          read(slots, db, sortBy, vector, missing)
              .thenApply(
                  values -> {
                    if (values == null) {
                      return false;
                    }
                    return score(vector, values, byAlpha, true);
                  });
    } else if (sortIt) {
      scored = done(score(vector, null, byAlpha, false));
    }
    return scored.thenCompose(
        ok -> {
          if (!missing.isEmpty()) {
            return done(Reply.NULL); // runs again holding the slots it needs
          }
          if (sortIt && ok) {
            vector.sort(comparator(byAlpha, sortBy != null, o.desc()));
          }
          List<Item> out = from <= to ? vector.subList((int) from, (int) to + 1) : List.of();
          return output(slots, db, o, missing, out)
              .thenCompose(
                  values -> {
                    if (!missing.isEmpty()) {
                      return done(Reply.NULL);
                    }
                    if (!ok) {
                      return done(NOT_DOUBLE);
                    }
                    if (o.store() == null) {
                      List<Reply> items = new ArrayList<>(values.size());
                      values.forEach(v -> items.add(v == null ? Reply.NULL : new Reply.Bulk(v)));
                      return done(Reply.array(items));
                    }
                    List<byte[]> args = new ArrayList<>(values.size() + 1);
                    args.add(o.store());
                    values.forEach(v -> args.add(v == null ? new byte[0] : v));
                    return slots.exec(
                        Slots.slot(o.store()), "__sortstore", db,
                        Args.command("__sortstore", args.toArray(new byte[0][])), true);
                  });
        });
  }

  /**
   * Scores (numeric) or compare values (ALPHA BY) of the items; false if a numeric value is not
   * a double (Redis's conversion error, answered after the lookups).
   */
  private static boolean score(List<Item> vector, List<byte[]> byValues, boolean alpha, boolean byPattern) {
    boolean ok = true;
    for (int i = 0; i < vector.size(); i++) {
      Item it = vector.get(i);
      byte[] v = byPattern ? byValues.get(i) : it.element;
      if (v == null) {
        continue; // a missing BY key: score 0, compared first in ALPHA
      }
      if (alpha) {
        if (byPattern) {
          it.by = v;
        }
      } else {
        Double d = Scores.sortScore(v);
        if (d == null) {
          ok = false;
        } else {
          it.score = d;
        }
      }
    }
    return ok;
  }

  private static Comparator<Item> comparator(boolean alpha, boolean byPattern, boolean desc) {
    Comparator<Item> c;
    if (!alpha) {
      // Equal scores fall back to the elements' bytes, so the order is always the same.
      c =
          (a, b) ->
              a.score > b.score ? 1 : a.score < b.score ? -1 : Arrays.compareUnsigned(a.element, b.element);
    } else if (byPattern) {
      c =
          (a, b) -> {
            if (a.by == null || b.by == null) {
              return a.by == b.by ? 0 : a.by == null ? -1 : 1;
            }
            return Arrays.compareUnsigned(a.by, b.by);
          };
    } else {
      c = (a, b) -> Arrays.compareUnsigned(a.element, b.element);
    }
    return desc ? c.reversed() : c;
  }

  /** The reply's (or STORE's) values: the elements, or each GET's value for each element. */
  private static CompletionStage<List<byte[]>> output(
      Access slots, int db, Options o, SortedSet<Integer> missing, List<Item> out) {
    if (o.gets().isEmpty()) {
      List<byte[]> values = new ArrayList<>(out.size());
      out.forEach(it -> values.add(it.element));
      return done(values);
    }
    List<CompletableFuture<List<byte[]>>> perGet = new ArrayList<>();
    for (Pattern p : o.gets()) {
      perGet.add(read(slots, db, p, out, missing).toCompletableFuture());
    }
    return CompletableFuture.allOf(perGet.toArray(new CompletableFuture[0]))
        .thenApply(
            v -> {
              if (!missing.isEmpty()) {
                return List.of();
              }
              List<byte[]> values = new ArrayList<>(out.size() * perGet.size());
              for (int i = 0; i < out.size(); i++) {
                for (CompletableFuture<List<byte[]>> g : perGet) {
                  values.add(g.join().get(i));
                }
              }
              return values;
            });
  }

  /**
   * What a pattern reads for each item, in their order (null: nothing there); null if a slot it
   * needs could not be taken (added to {@code missing}).
   */
  private static CompletionStage<List<byte[]>> read(
      Access slots, int db, Pattern p, List<Item> items, SortedSet<Integer> missing) {
    byte[][] values = new byte[items.size()][];
    if (p.self()) {
      for (int i = 0; i < items.size(); i++) {
        values[i] = items.get(i).element;
      }
      return done(Arrays.asList(values));
    }
    if (p.none()) {
      return done(Arrays.asList(values));
    }
    Map<Integer, List<Integer>> bySlot = new TreeMap<>();
    byte[][] keys = new byte[items.size()][];
    for (int i = 0; i < items.size(); i++) {
      keys[i] = p.key(items.get(i).element);
      bySlot.computeIfAbsent(Slots.slot(keys[i]), s -> new ArrayList<>()).add(i);
    }
    List<CompletableFuture<Boolean>> taken = new ArrayList<>();
    List<Integer> slotList = new ArrayList<>(bySlot.keySet());
    for (int slot : slotList) {
      taken.add(slots.take(slot).toCompletableFuture());
    }
    return CompletableFuture.allOf(taken.toArray(new CompletableFuture[0]))
        .thenCompose(
            v -> {
              for (int i = 0; i < slotList.size(); i++) {
                if (!taken.get(i).join()) {
                  synchronized (missing) {
                    missing.add(slotList.get(i));
                  }
                }
              }
              if (!missing.isEmpty()) {
                return CompletableFuture.<List<byte[]>>completedFuture(null);
              }
              byte[] field = p.field() == null ? new byte[0] : p.field();
              List<CompletableFuture<Void>> reads = new ArrayList<>();
              bySlot.forEach(
                  (slot, positions) -> {
                    byte[][] args = new byte[2 + positions.size()][];
                    args[0] = Args.bytes("__sortget");
                    args[1] = field;
                    for (int k = 0; k < positions.size(); k++) {
                      args[2 + k] = keys[positions.get(k)];
                    }
                    reads.add(
                        slots.exec(slot, "__sortget", db, args, false)
                            .thenAccept(
                                r -> {
                                  List<Reply> got = r instanceof Reply.Array a ? a.items() : List.of();
                                  for (int k = 0; k < positions.size(); k++) {
                                    values[positions.get(k)] =
                                        k < got.size() && got.get(k) instanceof Reply.Bulk b ? b.value() : null;
                                  }
                                })
                            .toCompletableFuture());
                  });
              return CompletableFuture.allOf(reads.toArray(new CompletableFuture[0]))
                  .thenApply(x -> Arrays.asList(values));
            });
  }

  // ---------------------------------------------------------------------------------------------
  // In the slots

  /**
   * {@code __sortsrc key}: nil if absent, WRONGTYPE unless a list, set or sorted set, else its
   * type and its elements in its own order (a sorted set's by score).
   */
  private static Reply source(SlotContext ctx) {
    Keyspace.Entry e = ctx.lookup(ctx.arg(1));
    if (e == null) {
      return Reply.NULL;
    }
    List<Reply> out = new ArrayList<>();
    if (e.value instanceof ListValue l) {
      out.add(Reply.bulk("list"));
      for (int i = 0; i < l.size(); i++) {
        out.add(new Reply.Bulk(l.get(i)));
      }
    } else if (e.value instanceof SetValue s) {
      out.add(Reply.bulk("set"));
      s.ordered().forEach(m -> out.add(new Reply.Bulk(m.array())));
    } else if (e.value instanceof ZSetValue z) {
      out.add(Reply.bulk("zset"));
      for (ZSetValue.Node n = z.first(); n != null; n = n.next()) {
        out.add(new Reply.Bulk(n.member()));
      }
    } else {
      return Err.WRONGTYPE;
    }
    return Reply.array(out);
  }

  /**
   * {@code __sortget field key...}: each key's string value (field empty) or the hash field's
   * value, nil if absent or of another type.
   */
  private static Reply lookups(SlotContext ctx) {
    byte[] field = ctx.arg(1);
    List<Reply> out = new ArrayList<>(ctx.argc() - 2);
    for (int i = 2; i < ctx.argc(); i++) {
      Keyspace.Entry e = ctx.lookup(ctx.arg(i));
      byte[] v = null;
      if (e != null && field.length == 0 && e.value instanceof StringValue s) {
        v = s.bytes();
      } else if (e != null && field.length > 0 && e.value instanceof HashValue h) {
        v = h.get(field);
      }
      out.add(v == null ? Reply.NULL : new Reply.Bulk(v));
    }
    return Reply.array(out);
  }

  /**
   * {@code __sortstore key element...}: replaces key with a list of these elements (its TTL
   * gone), or deletes it if there are none; the count.
   */
  private static Reply store(SlotContext ctx) {
    byte[] dst = ctx.arg(1);
    if (ctx.argc() == 2) {
      if (ctx.lookup(dst) != null) {
        ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), List.of(dst)));
        ctx.notify(Notifications.GENERIC, "del", dst);
      }
      return Reply.ZERO;
    }
    ListValue list = new ListValue();
    for (int i = 2; i < ctx.argc(); i++) {
      list.addLast(ctx.arg(i));
    }
    ctx.lookup(dst); // an expired destination is expired first, so replay agrees
    ctx.emit(new SlotEvent.KeyRestored(ctx.db(), dst, list, 0));
    ctx.notify(Notifications.LIST, "sortstore", dst);
    return Reply.integer(list.size());
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
