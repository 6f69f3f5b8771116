package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MIGRATE's arguments, parsed with Redis 7.0's rules and error texts. */
class InClusterMigrateTest {
  private static byte[][] argv(String... a) {
    byte[][] out = new byte[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].getBytes(StandardCharsets.UTF_8);
    }
    return out;
  }

  private static List<String> keys(InClusterMigrate.Args a) {
    return a.keys().stream().map(k -> new String(k, StandardCharsets.UTF_8)).toList();
  }

  private static String error(String... a) {
    RedisException e = assertThrows(RedisException.class, () -> InClusterMigrate.parse(argv(a)));
    return ((Reply.Error) e.reply()).text();
  }

  @Test
  void parsesWhatRedisCliSends() {
    InClusterMigrate.Args a =
        InClusterMigrate.parse(argv("MIGRATE", "10.0.0.2", "7001", "", "0", "60000", "AUTH2", "u", "p", "KEYS", "k1", "k2"));
    assertEquals("10.0.0.2", a.host());
    assertEquals(7001, a.port());
    assertEquals(0, a.db());
    assertEquals(List.of("k1", "k2"), keys(a));
    InClusterMigrate.Args one = InClusterMigrate.parse(argv("migrate", "h", "1", "k", "3", "5", "copy", "REPLACE", "auth", "pw"));
    assertEquals(List.of("k"), keys(one));
    assertEquals(3, one.db());
    assertTrue(one.copy() && one.replace());
  }

  @Test
  void refusesWhatRedisRefuses() {
    assertEquals("ERR syntax error", error("MIGRATE", "h", "1", "k", "0", "5", "SIDEWAYS"));
    assertEquals("ERR syntax error", error("MIGRATE", "h", "1", "k", "0", "5", "AUTH"));
    assertEquals("ERR syntax error", error("MIGRATE", "h", "1", "k", "0", "5", "AUTH2", "u"));
    assertEquals(
        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
        error("MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a"));
    assertEquals("ERR value is not an integer or out of range", error("MIGRATE", "h", "1", "k", "x", "5"));
    assertEquals("ERR value is not an integer or out of range", error("MIGRATE", "h", "1", "k", "0", "soon"));
  }
}
