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
