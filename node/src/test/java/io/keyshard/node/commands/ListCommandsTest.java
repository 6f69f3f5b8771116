package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.slot.SlotCommand;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.ListEvent;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.StringValue;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * List bodies run directly against one slot's state: what they persist (effects, and nothing
 * for reads or writes that change nothing), the one-key forms the blocking machinery calls, and
 * replay of the journal into a fresh state after a round trip through the serializer.
 */
class ListCommandsTest {
  private static final Set<String> READS = Set.of("llen", "lrange", "lindex", "lpos");

  private final SlotState state = new SlotState();
  private final List<SlotEvent> journal = new ArrayList<>();
  private final Map<String, SlotCommand> commands = CommandRegistry.keyedCommands().slotBodies();
  private List<SlotEvent> last = List.of();

  private Reply call(String... args) {
    byte[][] argv = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      argv[i] = args[i].getBytes(StandardCharsets.UTF_8);
    }
    String name = args[0].toLowerCase(Locale.ROOT);
    boolean write = !READS.contains(name);
    SlotContext ctx = new SlotContext(state, 0, argv, 1_000, write);
    Reply reply;
    try {
      reply = commands.get(name).run(ctx);
    } catch (RedisException e) {
      reply = e.reply();
    }
    if (!write || reply.isError()) {
      assertTrue(ctx.events().isEmpty(), name + " emitted " + ctx.events());
    }
    last = List.copyOf(ctx.events());
    journal.addAll(ctx.events());
    return reply;
  }

  private String r(String... args) {
    return render(call(args));
  }

  private static String render(Reply reply) {
    if (reply instanceof Reply.Bulk b) {
      return new String(b.value(), StandardCharsets.UTF_8);
    } else if (reply instanceof Reply.Int i) {
      return ":" + i.value();
    } else if (reply instanceof Reply.Array a) {
      return a.items().stream().map(ListCommandsTest::render).toList().toString();
    } else if (reply instanceof Reply.Error e) {
      return "-" + e.text();
    } else if (reply instanceof Reply.Simple s) {
      return "+" + s.text();
    } else if (reply instanceof Reply.Null) {
      return "nil";
    } else if (reply instanceof Reply.NullArray) {
      return "nil-array";
    }
    return reply.toString();
  }

  @AfterEach
  void replayGivesTheSameState() throws Exception {
    KeyshardSerializer f = new KeyshardSerializer();
    SlotState replayed = new SlotState();
    for (SlotEvent e : journal) {
      replayed.apply((SlotEvent) f.fromBinary(f.toBinary(e), f.manifest(e)), 1_000);
    }
    assertEquals(contents(state), contents(replayed));
  }

  private static Map<String, String> contents(SlotState s) {
    Map<String, String> out = new TreeMap<>();
    Keyspace ks = s.db(0);
    if (ks != null) {
      ks.entries()
          .forEach(
              (k, e) -> {
                String v;
                if (e.value instanceof ListValue l) {
                  List<String> items = new ArrayList<>();
                  for (int i = 0; i < l.size(); i++) {
                    items.add(new String(l.get(i), StandardCharsets.UTF_8));
                  }
                  v = items.toString();
                } else {
                  v = new String(((StringValue) e.value).bytes(), StandardCharsets.UTF_8);
                }
                out.put(k.toString(), v + "@" + e.expireAt);
              });
    }
    return out;
  }

  @Test
  void popsPersistCountsAndMovesPersistPushThenPop() {
    r("rpush", "l", "a", "b", "c", "d");
    assertEquals("[a, b, c]", r("lpop", "l", "3"));
    assertEquals("[Popped[true,3]]", describe(last));
    assertEquals("d", r("lmove", "l", "m", "RIGHT", "LEFT"));
    assertEquals(2, last.size());
    assertTrue(
        last.get(0) instanceof ListEvent.Pushed p
            && p.left()
            && new String(p.elements().get(0), StandardCharsets.UTF_8).equals("d"));
    assertTrue(last.get(1) instanceof ListEvent.Popped p && !p.left() && p.count() == 1);
    assertEquals("{l=missing, m=[d]}", keys("l", "m"));
  }

  private static String describe(List<SlotEvent> events) {
    return events.stream()
        .map(e -> e instanceof ListEvent.Popped p ? "Popped[" + p.left() + "," + p.count() + "]" : e.toString())
        .toList()
        .toString();
  }

  private String keys(String... names) {
    Map<String, String> out = new TreeMap<>();
    for (String n : names) {
      Keyspace ks = state.db(0);
      Keyspace.Entry e = ks == null ? null : ks.get(Bytes.of(n));
      out.put(n, e == null ? "missing" : render(call("lrange", n, "0", "-1")));
    }
    return out.toString();
  }

  @Test
  void writesThatChangeNothingPersistNothing() {
    r("rpush", "l", "a", "b");
    r("set", "s", "v");
    int before = journal.size();
    assertEquals(":0", r("lrem", "l", "0", "zz"));
    assertEquals(":-1", r("linsert", "l", "BEFORE", "zz", "x"));
    assertEquals(":0", r("linsert", "nokey", "BEFORE", "a", "x"));
    assertEquals("+OK", r("ltrim", "l", "0", "-1"));
    assertEquals("+OK", r("ltrim", "l", "-100", "100"));
    assertEquals("+OK", r("ltrim", "nokey", "0", "1"));
    assertEquals("[]", r("lpop", "l", "0"));
    assertEquals("nil-array", r("lpop", "nokey", "2"));
    assertEquals(":0", r("lpushx", "nokey", "a"));
    assertEquals("nil", r("lmove", "nokey", "l", "LEFT", "LEFT"));
    assertEquals("nil-array", r("lmpop", "2", "nokey", "other", "LEFT"));
    assertEquals("nil-array", r("blpop", "nokey", "0"));
    assertEquals("nil", r("brpoplpush", "nokey", "s", "0"));
    assertTrue(r("lmove", "l", "s", "LEFT", "LEFT").startsWith("-WRONGTYPE"));
    assertTrue(r("lset", "nokey", "0", "x").startsWith("-ERR no such key"));
    assertEquals(":2", r("llen", "l"));
    assertEquals(before, journal.size());
  }

  @Test
  void blockingBodiesTakeTheOneKeyFormsAndSayWhenNothingWasPopped() {
    assertTrue(ListCommands.isNullReply(call("blpop", "k", "0")));
    assertTrue(ListCommands.isNullReply(call("brpop", "k", "0")));
    assertTrue(ListCommands.isNullReply(call("blmpop", "0", "1", "k", "LEFT", "COUNT", "2")));
    assertTrue(ListCommands.isNullReply(call("blmove", "k", "d", "LEFT", "RIGHT", "0")));
    assertTrue(ListCommands.isNullReply(call("brpoplpush", "k", "d", "0")));
    assertFalse(ListCommands.isNullReply(Reply.EMPTY_ARRAY));
    assertFalse(ListCommands.isNullReply(call("blpop", "k", "-1")));
    r("rpush", "k", "1", "2", "3", "4", "5");
    assertEquals("[k, 1]", r("blpop", "k", "0"));
    assertEquals("[k, 5]", r("brpop", "k", "0"));
    assertEquals("[k, [2, 3]]", r("blmpop", "0", "1", "k", "LEFT", "COUNT", "2"));
    assertEquals("4", r("blmove", "k", "d", "LEFT", "RIGHT", "0"));
    r("rpush", "k", "6");
    assertEquals("6", r("brpoplpush", "k", "d", "0"));
    assertEquals("{d=[6, 4], k=missing}", keys("d", "k"));
    for (Reply nothing : List.of(call("blpop", "k", "0"), call("blmove", "k", "d", "LEFT", "LEFT", "0"))) {
      assertTrue(ListCommands.isNullReply(nothing));
    }
  }

  @Test
  void randomCommandsReplayExactly() {
    Random random = new Random(7);
    String[] keys = {"a", "b", "c"};
    for (int i = 0; i < 3000; i++) {
      String k = keys[random.nextInt(keys.length)];
      String k2 = keys[random.nextInt(keys.length)];
      String e = Integer.toString(random.nextInt(5));
      String side = random.nextBoolean() ? "LEFT" : "RIGHT";
      String n = Integer.toString(random.nextInt(9) - 4);
      switch (random.nextInt(12)) {
        case 0 -> call("lpush", k, e, e + "x");
        case 1 -> call("rpush", k, e);
        case 2 -> call("lpop", k, Integer.toString(random.nextInt(3)));
        case 3 -> call("rpop", k);
        case 4 -> call("lset", k, n, e);
        case 5 -> call("linsert", k, random.nextBoolean() ? "BEFORE" : "AFTER", e, "i" + i);
        case 6 -> call("lrem", k, n, e);
        case 7 -> call("ltrim", k, n, Integer.toString(random.nextInt(9) - 2));
        case 8 -> call("lmove", k, k2, side, random.nextBoolean() ? "LEFT" : "RIGHT");
        case 9 -> call("lmpop", "2", k, k2, side, "COUNT", Integer.toString(1 + random.nextInt(3)));
        case 10 -> call("blmpop", "0", "1", k, side);
        default -> call("rpoplpush", k, k2);
      }
      for (String key : keys) {
        Keyspace.Entry entry = state.db(0) == null ? null : state.db(0).get(Bytes.of(key));
        assertTrue(entry == null || ((ListValue) entry.value).size() > 0, "an empty list was kept");
      }
    }
    assertTrue(journal.size() > 1000);
  }
}
