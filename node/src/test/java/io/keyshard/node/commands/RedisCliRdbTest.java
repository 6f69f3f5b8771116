package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.DifferentialTestBase;
import io.keyshard.node.testing.RawClient;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.rdb.RdbFileReader;
import io.keyshard.persistence.rdb.RdbItem;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code redis-cli --rdb FILE} against Keyshard: REPLCONF as Redis answers it, SYNC after
 * REPLCONF rdb-only 1 sends the dataset as an RDB file; SYNC from anything else (a replica) is
 * refused with a message.
 */
class RedisCliRdbTest extends DifferentialTestBase {
  @Test
  void redisCliRdbFetchesTheDataset() throws Exception {
    d.check("SET", "greeting", "hello");
    d.check("RPUSH", "list", "a", "b");
    d.check("SELECT", "4");
    d.check("SET", "four", "4");
    d.check("PEXPIRE", "four", "600000");
    d.check("SELECT", "0");
    Path file = Files.createTempDirectory("keyshard-cli-rdb").resolve("out.rdb");
    Process cli =
        new ProcessBuilder("redis-cli", "-p", Integer.toString(node.port()), "--rdb", file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(cli.getInputStream().readAllBytes());
    assertEquals(0, cli.waitFor(), out);
    assertTrue(out.contains("Transfer finished with success"), out);
    Map<String, Object> entries = new HashMap<>();
    Map<String, Long> expiries = new HashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      RdbFileReader r = new RdbFileReader(in);
      for (RdbItem item = r.next(); item != null; item = r.next()) {
        if (item instanceof RdbItem.Entry e) {
          String key = e.db() + ":" + new String(e.key(), StandardCharsets.UTF_8);
          entries.put(key, e.value());
          expiries.put(key, e.expireAtMs());
        }
      }
      assertTrue(r.checksumVerified());
    }
    assertEquals(3, entries.size(), entries.keySet().toString());
    assertEquals("hello", new String(((StringValue) entries.get("0:greeting")).bytes(), StandardCharsets.UTF_8));
    assertEquals(2, ((ListValue) entries.get("0:list")).size());
    assertEquals(-1L, expiries.get("0:greeting"));
    long left = expiries.get("4:four") - System.currentTimeMillis();
    assertTrue(left > 500_000 && left <= 600_000, "expiry in " + left + " ms");
  }

  /** redis-cli --rdb or --functions-rdb against a port: the items of the file it fetched. */
  private static java.util.List<String> fetch(int port, String mode) throws Exception {
    Path file = Files.createTempDirectory("keyshard-cli-rdb").resolve("out.rdb");
    Process cli =
        new ProcessBuilder("redis-cli", "-p", Integer.toString(port), mode, file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(cli.getInputStream().readAllBytes());
    assertEquals(0, cli.waitFor(), out);
    java.util.List<String> items = new java.util.ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      RdbFileReader r = new RdbFileReader(in);
      for (RdbItem item = r.next(); item != null; item = r.next()) {
        if (item instanceof RdbItem.Entry e) {
          items.add("key " + e.db() + ":" + new String(e.key(), StandardCharsets.UTF_8));
        } else if (item instanceof RdbItem.Function f) {
          items.add("function " + new String(f.code(), StandardCharsets.UTF_8));
        }
      }
      assertTrue(r.checksumVerified());
    }
    java.util.Collections.sort(items);
    return items;
  }

  @Test
  void theFileHoldsTheLibrariesAndFunctionsRdbOnlyThem() throws Exception {
    String one = "#!lua name=clione\nredis.register_function('cli_one', function() return 1 end)";
    String two = "#!lua name=clitwo\nredis.register_function('cli_two', function() return 2 end)";
    d.check("FUNCTION", "LOAD", one);
    d.check("FUNCTION", "LOAD", two);
    try {
      d.check("SET", "k", "v");
      java.util.List<String> functions = java.util.List.of("function " + one, "function " + two);
      java.util.List<String> all = new java.util.ArrayList<>(functions);
      all.add("key 0:k");
      assertEquals(all, fetch(node.port(), "--rdb"));
      assertEquals(fetch(redis.port(), "--rdb"), fetch(node.port(), "--rdb"));
      assertEquals(functions, fetch(node.port(), "--functions-rdb"));
      assertEquals(fetch(redis.port(), "--functions-rdb"), fetch(node.port(), "--functions-rdb"));
      d.check("REPLCONF", "rdb-filter-only", "functions keys");
      d.check("REPLCONF", "rdb-filter-only", "");
    } finally {
      d.check("FUNCTION", "FLUSH");
    }
  }

  @Test
  void replconfAsRedisAndSyncOnlyForRdbOnly() throws Exception {
    d.check("REPLCONF", "foo", "bar");
    d.check("REPLCONF", "rdb-only");
    d.check("REPLCONF");
    d.check("REPLCONF", "capa", "eof", "capa", "psync2");
    d.check("REPLCONF", "listening-port", "6380");
    d.check("COMMAND", "INFO", "sync", "replconf");
    d.check("COMMAND", "DOCS", "sync", "replconf");
    d.check("MULTI");
    d.check("SYNC");
    d.check("DISCARD");
    try (RawClient c = new RawClient(node.port())) {
      assertTrue(c.call("SYNC").startsWith("-ERR Keyshard is not a replication master"));
    }
  }
}
