package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.BinaryClient;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What RESTORE wrote is in the journal: after a restart the keys are there with their values,
 * TTLs and encodings, including the ones only a payload can give (a listpack hash with a long
 * value, a listpack sorted set with a long member, kept as Redis keeps them).
 */
class RestoreDurabilityTest {

  private static String state(BinaryClient c, String key) throws Exception {
    return BinaryClient.show(c.call("TYPE", key)) + " "
        + BinaryClient.show(c.call("OBJECT", "ENCODING", key)) + " "
        + BinaryClient.show(c.call("DUMP", key)) + " "
        + BinaryClient.show(c.call("PEXPIRETIME", key));
  }

  @Test
  void restoredKeysSurviveARestart() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-restore");
    List<String> keys = List.of("s", "l", "set", "h", "z", "hl", "zl");
    List<String> before = new ArrayList<>();
    try (TestNode node = TestNode.start(dir, Map.of());
        BinaryClient c = new BinaryClient(node.port())) {
      c.call("SET", "s", "v");
      c.call("RPUSH", "l", "a", "1");
      c.call("SADD", "set", "1", "x");
      c.call("HSET", "h", "f", "v");
      c.call("ZADD", "z", "-0", "a", "inf", "b");
      for (String k : List.of("s", "l", "set", "h", "z")) {
        byte[] p = (byte[]) c.call("DUMP", k);
        c.call("DEL", k);
        assertEquals("+OK", c.call("RESTORE", k, "600000", p));
      }
      // A hash listpack with a 100-byte value, a sorted set listpack with a 100-byte member.
      // Listpack of 113 bytes: "f" (81 66, length 02), 100 x "v" (e0 64 ..., length 66), end.
      String lpHash = "10 4071 71000000 0200 816602 e064" + "76".repeat(100) + "66 ff";
      assertEquals("+OK", c.call("RESTORE", "hl", "0", DumpRestoreDifferentialTest.withCrc(hex(lpHash), 10)));
      // Listpack of 112 bytes: 100 x "m", then the score 1 (01, length 01), end.
      String lpZset = "11 4070 70000000 0200 e064" + "6d".repeat(100) + "66 0101 ff";
      assertEquals("+OK", c.call("RESTORE", "zl", "0", DumpRestoreDifferentialTest.withCrc(hex(lpZset), 10)));
      for (String k : keys) {
        before.add(state(c, k));
      }
    }
    try (TestNode node = TestNode.start(dir, Map.of());
        BinaryClient c = new BinaryClient(node.port())) {
      List<String> after = new ArrayList<>();
      for (String k : keys) {
        after.add(state(c, k));
      }
      assertEquals(before, after);
      assertEquals("\"listpack\"", BinaryClient.show(c.call("OBJECT", "ENCODING", "hl")));
      assertEquals("\"listpack\"", BinaryClient.show(c.call("OBJECT", "ENCODING", "zl")));
    }
  }

  private static byte[] hex(String hex) {
    String h = hex.replaceAll("\\s", "");
    byte[] b = new byte[h.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }
}
