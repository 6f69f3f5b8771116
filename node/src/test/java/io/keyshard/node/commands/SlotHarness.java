package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.slot.SlotCommand;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.StringValue;
import io.keyshard.protocol.CommandTable;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Runs command bodies directly against one {@link SlotState}, as the slot actor would, and keeps
 * every emitted event as a journal. {@link #assertReplayMatches} rebuilds a fresh state from that
 * journal, after a round trip through the real serializer, and checks it holds the same keys.
 */
final class SlotHarness {
  /** Redis's flags: a write's lookups turn expired keys into KeysExpired events. */
  private static final CommandTable TABLE = CommandTable.standard();

  final SlotState state = new SlotState();
  final List<SlotEvent> journal = new ArrayList<>();
  private final Map<String, SlotCommand> commands = CommandRegistry.keyedCommands().slotBodies();
  long now = 1_700_000_000_000L;
  int db = 0;

  Reply call(byte[]... argv) {
    String name = new String(argv[0], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    boolean write = TABLE.lookup(argv[0]).isWrite();
    SlotContext ctx = new SlotContext(state, db, argv, now, write);
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
      // A failing write may already have met (and expired) a dead key, never changed a live one.
      assertTrue(
          ctx.events().stream().allMatch(e -> e instanceof SlotEvent.KeysExpired),
          name + " failed but emitted " + ctx.events());
    }
    journal.addAll(ctx.events());
    return reply;
  }

  Reply call(String... args) {
    byte[][] argv = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      argv[i] = args[i].getBytes(StandardCharsets.UTF_8);
    }
    return call(argv);
  }

  /** The reply rendered compactly: +simple, -error, :int, $bulk, nil, [array], {map}. */
  String r(String... args) {
    return render(call(args));
  }

  static String render(Reply reply) {
    if (reply instanceof Reply.Simple s) {
      return "+" + s.text();
    } else if (reply instanceof Reply.Error e) {
      return "-" + e.text();
    } else if (reply instanceof Reply.Int i) {
      return ":" + i.value();
    } else if (reply instanceof Reply.Bulk b) {
      return "$" + new String(b.value(), StandardCharsets.ISO_8859_1);
    } else if (reply instanceof Reply.Null) {
      return "nil";
    } else if (reply instanceof Reply.Array a) {
      return a.items().stream().map(SlotHarness::render).collect(Collectors.joining(",", "[", "]"));
    } else if (reply instanceof Reply.Map m) {
      StringBuilder sb = new StringBuilder("{");
      List<Reply> kv = m.keysAndValues();
      for (int i = 0; i < kv.size(); i += 2) {
        sb.append(i == 0 ? "" : ",").append(render(kv.get(i))).append('=').append(render(kv.get(i + 1)));
      }
      return sb.append('}').toString();
    }
    return reply.toString();
  }

  Keyspace.Entry raw(int db, String key) {
    Keyspace ks = state.db(db);
    return ks == null ? null : ks.get(Bytes.of(key));
  }

  void assertReplayMatches() {
    KeyshardSerializer serializer = new KeyshardSerializer();
    SlotState replayed = new SlotState();
    for (SlotEvent e : journal) {
      SlotEvent back;
      try {
        back = (SlotEvent) serializer.fromBinary(serializer.toBinary(e), serializer.manifest(e));
      } catch (NotSerializableException ex) {
        throw new AssertionError(ex);
      }
      replayed.apply(back, 0);
    }
    assertEquals(contents(state), contents(replayed), "replaying the journal gives the same state");
  }

  /** Every key of every database with its value, encoding and expiry, in a comparable form. */
  static Map<String, String> contents(SlotState s) {
    Map<String, String> out = new TreeMap<>();
    for (int i = 0; i < SlotState.DATABASES; i++) {
      Keyspace ks = s.db(i);
      if (ks == null) {
        continue;
      }
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
        StringValue v = (StringValue) e.getValue().value;
        out.put(
            i + ":" + HexFormat.of().formatHex(e.getKey().array()),
            HexFormat.of().formatHex(v.bytes()) + "/" + v.encoding() + "/" + e.getValue().expireAt);
      }
    }
    return out;
  }
}
