package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE against a real redis-server 7.0.15, both with
 * enable-debug-command yes, filled by the same commands: every type in each of its encodings,
 * keys with and without a TTL, several databases, an empty one, and a dataset built by
 * cross-slot writes. The digests must be equal, hex for hex.
 */
class DebugDigestDifferentialTest {
  private static RedisProcess redis;
  private static TestNode node;
  private Differential d;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisProcess.start("--enable-debug-command", "yes");
    node =
        TestNode.start(
            Files.createTempDirectory("keyshard-debug"), Map.of("keyshard.enable-debug-command", "yes"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @BeforeEach
  void open() throws Exception {
    d = new Differential(node.port(), redis.port());
    d.check("FLUSHALL");
  }

  @AfterEach
  void close() throws Exception {
    try {
      d.assertNoMismatches();
    } finally {
      d.close();
    }
  }

  private List<String> fill(String prefix) throws Exception {
    return EveryType.fill(d, prefix);
  }

  private void compareDigests(List<String> keys) throws Exception {
    String digest = d.check("DEBUG", "DIGEST");
    assertNotEquals("+" + "0".repeat(40), digest);
    List<String> args = new ArrayList<>(List.of("DEBUG", "DIGEST-VALUE"));
    args.addAll(keys);
    args.add("no-such-key");
    d.check(args.toArray(new String[0]));
    for (String k : keys) {
      d.check("DEBUG", "DIGEST-VALUE", k);
    }
  }

  @Test
  void emptyDatasetDigestsToZeros() throws Exception {
    assertEquals("+" + "0".repeat(40), d.check("DEBUG", "DIGEST"));
    d.check("DEBUG", "DIGEST-VALUE", "a", "b");
    d.check("DEBUG", "DIGEST-VALUE");
  }

  @Test
  void everyTypeAndEncodingInSeveralDatabases() throws Exception {
    List<String> db0 = fill("");
    compareDigests(db0);
    d.check("SELECT", "3");
    List<String> db3 = fill("three:");
    compareDigests(db3);
    d.check("SELECT", "15");
    List<String> db15 = fill("");
    compareDigests(db15);
    // Database 7 stays empty; the same data in another database digests differently.
    d.check("SELECT", "0");
    d.check("MOVE", "s:int", "7");
    d.check("DEBUG", "DIGEST");
  }

  @Test
  void expiriesCountAsWhetherNotWhen() throws Exception {
    List<String> keys = fill("");
    for (String k : keys) {
      if (k.contains("s:int") || k.contains("l:big") || k.contains("z:") || k.contains("h:small")
          || k.contains("st:many")) {
        d.check("EXPIRE", k, "1000");
      }
    }
    compareDigests(keys);
    String before = d.check("DEBUG", "DIGEST");
    // Another time, the same digest: Redis digests only whether a key expires.
    d.check("EXPIRE", "s:int", "5000");
    assertEquals(before, d.check("DEBUG", "DIGEST"));
    d.check("PERSIST", "s:int");
    assertNotEquals(before, d.check("DEBUG", "DIGEST"));
  }

  @Test
  void crossSlotWritesAndTransactions() throws Exception {
    d.check("MSET", "a", "1", "b", "2", "c", "3", "{x}1", "v");
    d.check("MULTI");
    d.check("SADD", "s1", "m");
    d.check("HSET", "h1", "f", "v");
    d.check("SELECT", "2");
    d.check("RPUSH", "l1", "e");
    d.check("DEBUG", "DIGEST");
    d.check("DEBUG", "DIGEST-VALUE", "l1", "a");
    d.check("EXEC");
    d.check("SELECT", "0");
    compareDigests(List.of("a", "b", "c", "{x}1", "s1", "h1"));
  }

  @Test
  void subcommandErrorsAsRedis() throws Exception {
    d.check("DEBUG", "DIGEST", "extra");
    d.check("DEBUG", "NO-SUCH-THING");
    d.check("DEBUG");
    d.check("DEBUG", "HELP", "x");
  }
}
