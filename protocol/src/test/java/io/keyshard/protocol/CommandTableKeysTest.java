package io.keyshard.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Key positions from first/last/step, and from key specs as COMMAND GETKEYS walks them. */
class CommandTableKeysTest {
  private final CommandTable table = CommandTable.standard();

  private static byte[][] argv(String... args) {
    byte[][] out = new byte[args.length][];
    for (int i = 0; i < args.length; i++) out[i] = args[i].getBytes(StandardCharsets.UTF_8);
    return out;
  }

  private int[] keys(String... args) {
    byte[][] argv = argv(args);
    return table.keyPositions(table.resolve(argv), argv);
  }

  @Test
  void singleKeyCommands() {
    assertArrayEquals(new int[] {1}, keys("GET", "k"));
    assertArrayEquals(new int[] {1}, keys("set", "k", "v", "EX", "10", "GET"));
    assertArrayEquals(new int[] {1}, keys("getex", "k", "PERSIST"));
    assertArrayEquals(new int[] {1}, keys("move", "k", "1"));
  }

  /**
   * As Redis finds them: argv[3] by the key specs, or, once the incomplete KEYS spec finds its
   * keyword, migrateGetKeys: what follows KEYS, skipping AUTH's arguments.
   */
  @Test
  void migrateKeysAreTheKeyOrThoseAfterKeys() {
    assertArrayEquals(new int[] {3}, keys("MIGRATE", "h", "1", "k", "0", "5"));
    assertArrayEquals(new int[] {3}, keys("MIGRATE", "h", "1", "k", "0", "5", "COPY", "REPLACE"));
    assertArrayEquals(new int[] {7, 8}, keys("MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b"));
    assertArrayEquals(new int[] {9}, keys("migrate", "h", "1", "", "0", "5", "AUTH", "KEYS", "keys", "a"));
    assertArrayEquals(new int[] {10}, keys("migrate", "h", "1", "", "0", "5", "AUTH2", "keys", "keys", "KEYS", "a"));
    // KEYS last: the keyword search starts one before it, so the specs' key, "", stands.
    assertArrayEquals(new int[] {3}, keys("MIGRATE", "h", "1", "", "0", "5", "KEYS"));
    // KEYS with a key given too: an error MIGRATE answers itself, so no keys.
    assertArrayEquals(new int[] {}, keys("MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a"));
    Reply got = table.command(argv("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5",
        "KEYS", "a", "b"));
    assertEquals(List.of("a", "b"), ((Reply.Array) got).items().stream()
        .map(r -> new String(((Reply.Bulk) r).value(), StandardCharsets.UTF_8)).toList());
  }

  @Test
  void keyValuePairsStepByTwo() {
    assertArrayEquals(new int[] {1, 3, 5}, keys("mset", "a", "1", "b", "2", "c", "3"));
    assertArrayEquals(new int[] {1, 3}, keys("msetnx", "a", "1", "b", "2"));
  }

  @Test
  void variadicKeysRunToTheEnd() {
    assertArrayEquals(new int[] {1, 2, 3}, keys("del", "a", "b", "c"));
    assertArrayEquals(new int[] {1}, keys("unlink", "a"));
    assertArrayEquals(new int[] {1, 2}, keys("exists", "a", "b"));
    assertArrayEquals(new int[] {1, 2}, keys("watch", "a", "b"));
  }

  @Test
  void twoKeyCommandsIgnoreTrailingOptions() {
    assertArrayEquals(new int[] {1, 2}, keys("rename", "a", "b"));
    assertArrayEquals(new int[] {1, 2}, keys("copy", "a", "b", "DB", "1", "REPLACE"));
    assertArrayEquals(new int[] {1, 2}, keys("lcs", "a", "b", "LEN"));
  }

  @Test
  void subcommandKeysComeAfterTheSubcommand() {
    assertArrayEquals(new int[] {2}, keys("OBJECT", "ENCODING", "k"));
    assertArrayEquals(new int[] {2}, keys("object", "freq", "k"));
  }

  @Test
  void keylessCommandsHaveNone() {
    assertArrayEquals(new int[0], keys("ping"));
    assertArrayEquals(new int[0], keys("keys", "*"));
    assertArrayEquals(new int[0], keys("config", "get", "k"));
    assertArrayEquals(new int[0], keys("cluster", "keyslot", "k"));
    assertArrayEquals(new int[0], keys("object", "help"));
  }

  @Test
  void shortArgvNeverYieldsAnIndexOutOfRange() {
    byte[][] tooShort = argv("get");
    assertArrayEquals(new int[0], table.keyPositions(table.lookupFullName("get"), tooShort));
    assertArrayEquals(new int[0], table.keyPositions(table.lookupFullName("rename"), argv("rename")));
    assertArrayEquals(new int[] {1}, table.keyPositions(table.lookupFullName("rename"), argv("rename", "a")));
  }

  @Test
  void legacyRangeIsDerivedFromKeySpecsAsRedisDoes() {
    assertRange("get", 1, 1, 1);
    assertRange("mset", 1, -1, 2);
    assertRange("del", 1, -1, 1);
    assertRange("rename", 1, 2, 1);
    assertRange("copy", 1, 2, 1);
    assertRange("lcs", 1, 2, 1);
    assertRange("object|encoding", 2, 2, 1);
    assertRange("ping", 0, 0, 0);
  }

  private void assertRange(String name, int first, int last, int step) {
    CommandSpec spec = table.lookupFullName(name);
    assertEquals(List.of(first, last, step), List.of(spec.firstKey(), spec.lastKey(), spec.step()),
        name);
  }

  @Test
  void keySpecWalkHandlesKeywordAndKeynumSpecs() {
    // A ZUNION-like declaration (numkeys then keys) and an XREAD-like one (keys after STREAMS).
    CommandSpec.KeySpec keynum = new CommandSpec.KeySpec(null, Set.of("RO"),
        new CommandSpec.Index(1), new CommandSpec.KeyNum(0, 1, 1));
    CommandSpec.KeySpec streams = new CommandSpec.KeySpec(null, Set.of("RO"),
        new CommandSpec.Keyword("STREAMS", 1), new CommandSpec.Range(-1, 1, 2));
    CommandSpec zunion = spec("zunion", -3, keynum);
    CommandSpec xread = spec("xread", -4, streams);

    assertArrayEquals(new int[] {2, 3}, CommandTable.keysFromSpecs(zunion,
        argv("zunion", "2", "a", "b", "WEIGHTS", "1", "2")));
    assertNull(CommandTable.keysFromSpecs(zunion, argv("zunion", "x", "a")));
    assertNull(CommandTable.keysFromSpecs(zunion, argv("zunion", "5", "a")));
    assertArrayEquals(new int[] {4, 5}, CommandTable.keysFromSpecs(xread,
        argv("xread", "COUNT", "2", "streams", "s1", "s2", "0", "0")));
    assertArrayEquals(new int[0], CommandTable.keysFromSpecs(xread, argv("xread", "COUNT", "2")));
  }

  private static CommandSpec spec(String name, int arity, CommandSpec.KeySpec ks) {
    CommandTable custom = new CommandTable(List.of(
        new CommandSpec(name, name, arity, Set.of("readonly", "movablekeys"), 0, 0, 0,
            List.of("read", "slow"), "test", "s", "1.0.0", "O(1)", List.of(), List.of(),
            List.of(ks), List.of(), null, null)));
    return custom.lookupFullName(name);
  }

  @Test
  void flagsHelpersReadTheDeclaredFlags() {
    assertTrue(table.lookupFullName("set").isWrite());
    assertFalse(table.lookupFullName("set").isReadonly());
    assertTrue(table.lookupFullName("get").isReadonly());
    assertTrue(table.lookupFullName("get").hasKeys());
    assertFalse(table.lookupFullName("ping").hasKeys());
    assertTrue(table.lookupFullName("config").isContainer());
    assertTrue(table.lookupFullName("config|get").isSubcommand());
    assertTrue(table.lookupFullName("config|get").isAdmin());
    assertTrue(table.lookupFullName("getset").isDeprecated());
  }

  @Test
  void keysWithSpecsGiveEachKeyTheFlagsOfItsSpec() {
    byte[][] copy = argv("copy", "src", "dst", "REPLACE");
    List<CommandTable.KeyRef> keys = table.keysWithSpecs(table.resolve(copy), copy);
    assertEquals(2, keys.size());
    assertEquals(1, keys.get(0).pos());
    assertEquals(Set.of("RO", "access"), keys.get(0).spec().flags());
    assertEquals(2, keys.get(1).pos());
    assertEquals(Set.of("OW", "update"), keys.get(1).spec().flags());
    byte[][] sort = argv("zunionstore", "dst", "2", "a", "b");
    List<CommandTable.KeyRef> zkeys = table.keysWithSpecs(table.resolve(sort), sort);
    assertEquals(List.of(1, 3, 4), zkeys.stream().map(CommandTable.KeyRef::pos).toList());
    // A key count that does not fit: no keys, the command answers the error itself.
    byte[][] bad = argv("zunionstore", "dst", "5", "a");
    assertTrue(table.keysWithSpecs(table.resolve(bad), bad).isEmpty());
  }
}
