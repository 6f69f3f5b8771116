package io.keyshard.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where the list commands' keys are, including LMPOP's and BLMPOP's counted (movable) keys. */
class ListKeysTest {
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
  void fixedPositions() {
    assertArrayEquals(new int[] {1}, keys("LPUSH", "k", "a", "b"));
    assertArrayEquals(new int[] {1, 2}, keys("LMOVE", "a", "b", "LEFT", "RIGHT"));
    assertArrayEquals(new int[] {1, 2}, keys("BRPOPLPUSH", "a", "b", "0"));
    assertArrayEquals(new int[] {1, 2, 3}, keys("BLPOP", "a", "b", "c", "0"));
  }

  @Test
  void countedKeysFollowTheirCount() {
    assertTrue(table.lookupFullName("lmpop").hasFlag(CommandFlags.MOVABLEKEYS));
    assertEquals(0, table.lookupFullName("lmpop").firstKey());
    assertArrayEquals(new int[] {2, 3}, keys("LMPOP", "2", "a", "b", "LEFT", "COUNT", "3"));
    assertArrayEquals(new int[] {3}, keys("BLMPOP", "0", "1", "a", "RIGHT"));
    // A count that does not fit: no keys, so the command's own checks answer.
    assertArrayEquals(new int[0], keys("LMPOP", "0", "a", "LEFT"));
    assertArrayEquals(new int[0], keys("LMPOP", "x", "a", "LEFT"));
    assertArrayEquals(new int[0], keys("LMPOP", "9", "a", "LEFT"));
    Reply getkeys = table.command(argv("COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"));
    assertEquals(List.of("a", "b"), ((Reply.Array) getkeys).items().stream()
        .map(r -> new String(((Reply.Bulk) r).value(), StandardCharsets.UTF_8)).toList());
  }
}
