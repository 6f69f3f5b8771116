package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.slot.SlotCommand;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SetEvent;
import io.keyshard.persistence.SetValue;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Set command bodies run directly against a slot's state: what they persist. Every test ends by
 * replaying its journal (through the real serializer) into a fresh state and comparing members,
 * encodings and expiries, so random choices (SPOP) must be recorded as what was done.
 */
class SetCommandsTest {
  private static final Set<String> WRITES =
      Set.of("sadd", "srem", "spop", "smove", "sinterstore", "sunionstore", "sdiffstore",
          "__sstore", "set", "expire", "pexpire");

  private final SlotState state = new SlotState();
  private final List<SlotEvent> journal = new ArrayList<>();
  private final Map<String, SlotCommand> commands = CommandRegistry.keyedCommands().slotBodies();
  private long now = 1_700_000_000_000L;

  private Reply call(String... args) {
    byte[][] argv = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      argv[i] = args[i].getBytes(StandardCharsets.UTF_8);
    }
    String name = args[0].toLowerCase(Locale.ROOT);
    boolean write = WRITES.contains(name);
    SlotContext ctx = new SlotContext(state, 0, argv, now, write);
    Reply reply;
    try {
      reply = commands.get(name).run(ctx);
    } catch (RedisException e) {
      reply = e.reply();
    }
    if (!write) {
      assertTrue(ctx.events().isEmpty(), name + " is read-only but emitted " + ctx.events());
    }
    if (reply.isError()) {
      assertTrue(
          ctx.events().stream().allMatch(e -> e instanceof SlotEvent.KeysExpired),
          name + " failed but emitted " + ctx.events());
    }
    journal.addAll(ctx.events());
    return reply;
  }

  private int eventsAfter(Runnable r) {
    int before = journal.size();
    r.run();
    return journal.size() - before;
  }

  private SetValue set(String key) {
    Keyspace ks = state.db(0);
    Keyspace.Entry e = ks == null ? null : ks.get(Bytes.of(key));
    return e == null ? null : (SetValue) e.value;
  }

  private static List<String> bulks(Reply r) {
    List<Reply> items = r instanceof Reply.Set s ? s.items() : ((Reply.Array) r).items();
    return items.stream().map(i -> new String(((Reply.Bulk) i).value(), StandardCharsets.UTF_8)).toList();
  }

  @AfterEach
  void replayGivesTheSameState() throws Exception {
    KeyshardSerializer serializer = new KeyshardSerializer();
    SlotState replayed = new SlotState();
    for (SlotEvent e : journal) {
      replayed.apply((SlotEvent) serializer.fromBinary(serializer.toBinary(e), serializer.manifest(e)), 0);
    }
    assertEquals(contents(state), contents(replayed), "replaying the journal gives the same state");
  }

  private static Map<String, String> contents(SlotState s) {
    Map<String, String> out = new TreeMap<>();
    Keyspace ks = s.db(0);
    if (ks != null) {
      ks.entries().forEach((k, e) -> {
        String v = e.value instanceof SetValue set
            ? set.members().stream().map(Bytes::toString).sorted().toList() + "/" + set.encoding()
            : new String(((StringValue) e.value).bytes(), StandardCharsets.UTF_8);
        out.put(k.toString(), v + "@" + e.expireAt);
      });
    }
    return out;
  }

  @Test
  void writesThatChangeNothingPersistNothing() {
    call("sadd", "s", "a", "b");
    call("sadd", "t", "b");
    assertEquals(0, eventsAfter(() -> assertEquals(Reply.ZERO, call("sadd", "s", "a", "b", "a"))));
    assertEquals(0, eventsAfter(() -> assertEquals(Reply.ZERO, call("srem", "s", "zz"))));
    assertEquals(0, eventsAfter(() -> assertEquals(Reply.ZERO, call("srem", "nokey", "a"))));
    assertEquals(0, eventsAfter(() -> assertEquals(Reply.ZERO, call("smove", "s", "t", "zz"))));
    assertEquals(0, eventsAfter(() -> assertEquals(Reply.ONE, call("smove", "s", "s", "a"))));
    assertEquals(0, eventsAfter(() -> assertEquals(Reply.ZERO, call("sinterstore", "d", "s", "nokey"))));
    assertEquals(0, eventsAfter(() -> call("spop", "s", "0")));
    assertEquals(0, eventsAfter(() -> call("spop", "nokey")));
    // Reads never persist (call() checks it), whatever they pick at random.
    call("smembers", "s");
    call("srandmember", "s", "-5");
    call("sinter", "s", "t");
    call("sintercard", "2", "s", "t");
    call("sscan", "s", "0");
    assertEquals(2, set("s").size());
  }

  @Test
  void eachWritePersistsWhatItDid() {
    call("sadd", "s", "a", "b", "a");
    SetEvent.MembersAdded added = assertInstanceOf(SetEvent.MembersAdded.class, journal.get(0));
    assertEquals(List.of("a", "b"), added.members().stream().map(String::new).toList());
    assertEquals(Reply.ONE, call("srem", "s", "a", "a", "zz"));
    SetEvent.MembersRemoved removed = assertInstanceOf(SetEvent.MembersRemoved.class, journal.get(1));
    assertEquals(List.of("a"), removed.members().stream().map(String::new).toList());
    Reply popped = call("spop", "s");
    SetEvent.MembersRemoved pop = assertInstanceOf(SetEvent.MembersRemoved.class, journal.get(2));
    assertEquals("b", new String(pop.members().get(0)));
    assertEquals("b", new String(((Reply.Bulk) popped).value()));
    assertNull(set("s"), "a set left empty is removed");
  }

  @Test
  void spopPersistsItsRandomChoiceInEveryCase() {
    List<String> add = new ArrayList<>(List.of("sadd", "big"));
    for (int i = 0; i < 600; i++) {
      add.add(Integer.toString(i));
    }
    call(add.toArray(String[]::new));
    call("expire", "big", "100");
    assertEquals("hashtable", set("big").encoding());
    // In place: many stay.
    List<String> first = bulks(call("spop", "big", "50"));
    assertEquals(50, new TreeSet<>(first).size());
    assertEquals(550, set("big").size());
    // Few stay: rebuilt from the kept members, an intset again, expiry kept.
    List<String> second = bulks(call("spop", "big", "540"));
    assertEquals(540, new TreeSet<>(second).size());
    assertEquals(10, set("big").size());
    assertEquals("intset", set("big").encoding());
    assertEquals(now + 100_000, state.db(0).get(Bytes.of("big")).expireAt);
    Set<String> all = new TreeSet<>(first);
    all.addAll(second);
    set("big").members().forEach(m -> all.add(m.toString()));
    assertEquals(600, all.size(), "popped and kept members are disjoint and cover the set");
    // Everything: the key goes.
    assertEquals(10, bulks(call("spop", "big", "10")).size());
    assertNull(set("big"));
  }

  @Test
  void storeReplacesTheDestinationWithoutExpiryAndDeletesOnEmpty() {
    call("sadd", "a", "1", "2", "3");
    call("sadd", "b", "2", "3", "x");
    call("set", "d", "string");
    call("expire", "d", "100");
    assertEquals(Reply.integer(2), call("sinterstore", "d", "a", "b"));
    assertEquals("[2, 3]/intset@0", contents(state).get("d"));
    assertEquals(Reply.integer(3), call("sunionstore", "d", "d", "b"));
    assertEquals("[2, 3, x]/hashtable@0", contents(state).get("d"));
    assertEquals(Reply.ZERO, call("sdiffstore", "d", "a", "a"));
    assertNull(set("d"));
    assertEquals(Reply.integer(2), call("__sstore", "e", "sunionstore", "x", "y"));
    assertEquals(Reply.ZERO, call("__sstore", "e", "sunionstore"));
    assertNull(set("e"));
  }

  @Test
  void expiredKeysAreGoneForSetsToo() {
    call("sadd", "s", "a");
    call("pexpire", "s", "10");
    now += 10;
    assertEquals(Reply.NULL, call("__smembers", "s"));
    assertEquals(Reply.ZERO, call("scard", "s"));
    assertEquals(Reply.ONE, call("sadd", "s", "b"));
    assertInstanceOf(SlotEvent.KeysExpired.class, journal.get(journal.size() - 2));
    assertEquals("[b]/hashtable@0", contents(state).get("s"));
    call("expire", "s", "100");
    call("sadd", "s", "c");
    assertEquals(now + 100_000, state.db(0).get(Bytes.of("s")).expireAt, "SADD keeps the TTL");
  }

  @Test
  void internalBodiesForCrossSlotPrograms() {
    call("sadd", "s", "3", "1", "2");
    call("set", "str", "v");
    assertEquals(List.of("1", "2", "3"), bulks(call("__smembers", "s")));
    assertEquals(Reply.NULL, call("__smembers", "nokey"));
    assertTrue(call("__smembers", "str").isError());
    assertEquals(Reply.ONE, call("__sprobe", "s", "2"));
    assertEquals(Reply.ZERO, call("__sprobe", "s", "9"));
    assertEquals(Reply.NULL, call("__sprobe", "nokey", "9"));
    assertTrue(call("__sprobe", "str", "9").isError());
    assertEquals(
        Set.of("1", "2", "3"),
        SetCommands.union(List.of(set("s"))).members().stream().map(Bytes::toString).collect(Collectors.toSet()));
  }
}
