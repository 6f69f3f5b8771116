package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.BinaryClient;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Keyspace notifications against a real redis-server 7.0.15: a subscriber to every channel (by
 * pattern) on each server, the same commands on both, and the (channel, message) sequences it
 * received compared whole, for every class of events; then expiry (by a write meeting the key,
 * by a read meeting it, and the active cycle), eviction, MULTI/EXEC and EVAL, and CONFIG
 * GET/SET of notify-keyspace-events with its errors.
 */
class KeyspaceNotificationsDifferentialTest {
  private static RedisProcess redis;
  private static TestNode node;

  @BeforeAll
  static void startServers() throws Exception {
    // DEBUG SET-ACTIVE-EXPIRE turns active expiry off to watch expiries found by commands.
    redis = RedisProcess.start("--enable-debug-command", "yes");
    node =
        TestNode.start(
            java.nio.file.Files.createTempDirectory("keyshard-test"),
            java.util.Map.of("keyshard.enable-debug-command", "yes"));
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @BeforeEach
  void eachTest() throws Exception {
    reset();
  }

  private static void reset() throws Exception {
    for (int port : new int[] {node.port(), redis.port()}) {
      try (RawClient c = new RawClient(port)) {
        assertEquals("+OK", c.call("FLUSHALL"));
        assertEquals("+OK", c.call("CONFIG", "SET", "notify-keyspace-events", ""));
        assertEquals("+OK", c.call("CONFIG", "SET", "maxmemory", "0"));
        assertEquals("+OK", c.call("CONFIG", "SET", "maxmemory-policy", "noeviction"));
      }
    }
  }

  /** A RESP2 connection subscribed to every channel by pattern. */
  private static final class Listener implements AutoCloseable {
    private final RawClient c;

    Listener(int port) throws Exception {
      c = new RawClient(port);
      assertEquals("[\"psubscribe\", \"*\", :1]", c.call("PSUBSCRIBE", "*"));
    }

    /** What was published to it so far: messages until its PING is answered. */
    List<String> drain() throws Exception {
      c.send("PING".getBytes());
      List<String> got = new ArrayList<>();
      for (String r = c.readReply(); !r.equals("[\"pong\", \"\"]"); r = c.readReply()) {
        got.add(r);
      }
      return got;
    }

    @Override
    public void close() throws Exception {
      c.close();
    }
  }

  @FunctionalInterface
  private interface Commands {
    void run(Writer w) throws Exception;
  }

  /** A writer whose replies are kept, so both servers are seen to do the same thing. */
  private static final class Writer {
    final RawClient c;
    final int port;
    final List<String> replies = new ArrayList<>();

    Writer(RawClient c, int port) {
      this.c = c;
      this.port = port;
    }

    String call(String... args) throws Exception {
      String r = c.call(args);
      replies.add(String.join(" ", args) + " -> " + r);
      return r;
    }
  }

  /** The writer's replies, then what the subscriber got, with {@code flags} set. */
  private static List<String> observe(int port, String flags, Commands commands) throws Exception {
    try (Listener sub = new Listener(port);
        RawClient w = new RawClient(port)) {
      assertEquals("+OK", w.call("CONFIG", "SET", "notify-keyspace-events", flags));
      Writer writer = new Writer(w, port);
      commands.run(writer);
      List<String> out = new ArrayList<>(writer.replies);
      out.add("--- published:");
      out.addAll(sub.drain());
      return out;
    }
  }

  private static void same(String flags, Commands commands) throws Exception {
    List<String> expected = observe(redis.port(), flags, commands);
    reset();
    List<String> actual = observe(node.port(), flags, commands);
    assertTrue(expected.indexOf("--- published:") < expected.size() - 1, "redis published nothing");
    assertEquals(String.join("\n", expected), String.join("\n", actual), flags);
  }

  @Test
  void stringsAndGenericCommands() throws Exception {
    same(
        "KEA",
        w -> {
          w.call("SET", "s", "1");
          w.call("SET", "s", "2", "EX", "100");
          w.call("SET", "s", "3", "KEEPTTL");
          w.call("SET", "s", "4", "NX");
          w.call("SET", "s", "5", "XX", "GET");
          w.call("SETNX", "s2", "x");
          w.call("SETEX", "s3", "100", "x");
          w.call("PSETEX", "s4", "100000", "x");
          w.call("GETSET", "s", "6");
          w.call("APPEND", "s", "7");
          w.call("APPEND", "new-append", "7");
          w.call("SETRANGE", "s", "1", "xy");
          w.call("SETRANGE", "s", "1", "");
          w.call("SETRANGE", "new-range", "2", "ab");
          w.call("INCR", "n");
          w.call("DECR", "n");
          w.call("INCRBY", "n", "5");
          w.call("DECRBY", "n", "2");
          w.call("INCRBYFLOAT", "n", "1.5");
          w.call("INCR", "s");
          w.call("GETEX", "s3", "PERSIST");
          w.call("GETEX", "s3", "EX", "50");
          w.call("GETEX", "s3", "PXAT", "1");
          w.call("GETDEL", "s2");
          w.call("GETDEL", "s2");
          w.call("MSET", "m1{t}", "a", "m2{t}", "b");
          w.call("MSET", "m1", "a", "m2", "b");
          w.call("MSETNX", "m3{t}", "a", "m4{t}", "b");
          w.call("MSETNX", "m3{t}", "a", "m5{t}", "b");
          w.call("EXPIRE", "m1", "100");
          w.call("PEXPIRE", "m1", "100000", "NX");
          w.call("EXPIREAT", "m1", "4000000000");
          w.call("PEXPIREAT", "m2", "4000000000000");
          w.call("PERSIST", "m1");
          w.call("PERSIST", "m1");
          w.call("EXPIRE", "m2", "-1");
          w.call("DEL", "m1", "nope", "m1{t}", "m2{t}");
          w.call("UNLINK", "m3{t}");
          w.call("SET", "r{a}", "v");
          w.call("RENAME", "r{a}", "r2{a}");
          w.call("SET", "r3{a}", "w");
          w.call("RENAME", "r2{a}", "r3{a}");
          w.call("RENAMENX", "r3{a}", "r4{a}");
          w.call("SET", "r4{a}", "x");
          w.call("RENAMENX", "r3{a}", "r4{a}");
          w.call("RENAME", "r3{a}", "elsewhere");
          w.call("COPY", "elsewhere", "c{a}");
          w.call("COPY", "c{a}", "c2{a}", "DB", "3");
          w.call("COPY", "c{a}", "c2{a}", "DB", "3", "REPLACE");
          w.call("COPY", "c{a}", "c3");
          w.call("MOVE", "c3", "5");
          w.call("MOVE", "c3", "5");
          w.call("SELECT", "5");
          w.call("DEL", "c3");
          w.call("SELECT", "0");
        });
  }

  @Test
  void restoreWithItsPayload() throws Exception {
    // A payload each server made itself: the same value dumped by the same server.
    same(
        "KEA",
        w -> {
          w.call("RPUSH", "src", "a", "b");
          try (BinaryClient b = new BinaryClient(w.port)) {
            byte[] payload = (byte[]) b.call("DUMP", "src");
            w.replies.add("RESTORE -> " + BinaryClient.show(b.call("RESTORE", "dst", "0", payload)));
            w.replies.add("REPLACE -> " + BinaryClient.show(b.call("RESTORE", "dst", "0", payload, "REPLACE")));
            w.replies.add(
                "past -> " + BinaryClient.show(b.call("RESTORE", "dst", "1", payload, "REPLACE", "ABSTTL")));
          }
        });
  }

  @Test
  void listsSetsHashesAndSortedSets() throws Exception {
    same(
        "KEA",
        w -> {
          w.call("LPUSH", "l", "a", "b");
          w.call("RPUSH", "l", "c");
          w.call("LPUSHX", "l", "d");
          w.call("RPUSHX", "nolist", "d");
          w.call("LINSERT", "l", "BEFORE", "a", "x");
          w.call("LINSERT", "l", "BEFORE", "nope", "x");
          w.call("LSET", "l", "0", "y");
          w.call("LREM", "l", "0", "x");
          w.call("LREM", "l", "0", "nope");
          w.call("LTRIM", "l", "0", "-1");
          w.call("LTRIM", "l", "1", "-1");
          w.call("LPOP", "l");
          w.call("RPOP", "l", "2");
          w.call("LPOP", "l", "0");
          w.call("RPUSH", "l{x}", "1", "2");
          w.call("LMOVE", "l{x}", "l2{x}", "LEFT", "RIGHT");
          w.call("RPOPLPUSH", "l{x}", "l2{x}");
          w.call("LMOVE", "l2{x}", "l2{x}", "LEFT", "LEFT");
          w.call("LMOVE", "l2{x}", "elsewhere", "RIGHT", "LEFT");
          w.call("LMPOP", "2", "nope", "l2{x}", "LEFT", "COUNT", "5");
          w.call("LTRIM", "elsewhere", "5", "10");
          w.call("SADD", "s", "a", "b", "c");
          w.call("SADD", "s", "a");
          w.call("SREM", "s", "a", "zz");
          w.call("SREM", "s", "zz");
          w.call("SMOVE", "s", "s2", "b");
          w.call("SMOVE", "s", "s2{s}", "c");
          w.call("SADD", "p", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
          w.call("SPOP", "p", "0");
          w.call("SPOP", "p", "100");
          w.call("SADD", "p", "1");
          w.call("SPOP", "p");
          w.call("SADD", "a{s}", "1", "2");
          w.call("SADD", "b{s}", "2", "3");
          w.call("SINTERSTORE", "i{s}", "a{s}", "b{s}");
          w.call("SUNIONSTORE", "u{s}", "a{s}", "b{s}");
          w.call("SDIFFSTORE", "i{s}", "a{s}", "a{s}");
          w.call("SDIFFSTORE", "i{s}", "a{s}", "a{s}");
          w.call("SUNIONSTORE", "across", "a{s}", "b{s}");
          w.call("SINTERSTORE", "across", "a{s}", "nope");
          w.call("HSET", "h", "f", "1", "g", "2");
          w.call("HMSET", "h", "f", "3");
          w.call("HSETNX", "h", "f", "4");
          w.call("HSETNX", "h", "k", "4");
          w.call("HINCRBY", "h", "f", "2");
          w.call("HINCRBYFLOAT", "h", "f", "0.5");
          w.call("HDEL", "h", "nope");
          w.call("HDEL", "h", "f", "g", "k");
          w.call("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
          w.call("ZADD", "z", "1", "a");
          w.call("ZADD", "z", "XX", "CH", "5", "a");
          w.call("ZADD", "z", "INCR", "1", "a");
          w.call("ZINCRBY", "z", "1", "b");
          w.call("ZREM", "z", "nope");
          w.call("ZREM", "z", "b");
          w.call("ZREMRANGEBYSCORE", "z", "3", "3");
          w.call("ZREMRANGEBYRANK", "z", "5", "10");
          w.call("ZADD", "z", "0", "m", "0", "n");
          w.call("ZREMRANGEBYLEX", "z", "[m", "[m");
          w.call("ZPOPMIN", "z");
          w.call("ZPOPMAX", "z", "2");
          w.call("ZADD", "z", "1", "a", "2", "b");
          w.call("ZMPOP", "1", "z", "MIN", "COUNT", "10");
          w.call("ZADD", "za{z}", "1", "a", "2", "b");
          w.call("ZADD", "zb{z}", "2", "b", "3", "c");
          w.call("ZUNIONSTORE", "zu{z}", "2", "za{z}", "zb{z}");
          w.call("ZINTERSTORE", "zi{z}", "2", "za{z}", "zb{z}");
          w.call("ZDIFFSTORE", "zd{z}", "2", "za{z}", "zb{z}");
          w.call("ZDIFFSTORE", "zd{z}", "2", "za{z}", "za{z}");
          w.call("ZRANGESTORE", "zr{z}", "za{z}", "0", "-1");
          w.call("ZRANGESTORE", "zr{z}", "za{z}", "5", "10");
          w.call("ZUNIONSTORE", "zacross", "2", "za{z}", "zb{z}");
          w.call("ZINTERSTORE", "zacross", "2", "za{z}", "nope");
        });
  }

  @Test
  void streams() throws Exception {
    same(
        "KEA",
        w -> {
          w.call("XGROUP", "CREATE", "x", "g", "$", "MKSTREAM");
          w.call("XGROUP", "CREATECONSUMER", "x", "g", "Bob");
          w.call("XGROUP", "CREATECONSUMER", "x", "g", "Bob");
          w.call("XADD", "x", "1-1", "f", "v");
          w.call("XADD", "x", "2-1", "f", "v");
          w.call("XADD", "x", "MAXLEN", "1", "3-1", "f", "v");
          w.call("XADD", "x", "MAXLEN", "5", "4-1", "f", "v");
          w.call("XADD", "nox", "NOMKSTREAM", "*", "f", "v");
          w.call("XREADGROUP", "GROUP", "g", "Alice", "STREAMS", "x", ">");
          w.call("XCLAIM", "x", "g", "Mike", "0", "3-1", "FORCE", "JUSTID");
          w.call("XAUTOCLAIM", "x", "g", "Bob", "0", "0-0", "JUSTID");
          w.call("XGROUP", "DELCONSUMER", "x", "g", "Lee");
          w.call("XGROUP", "DELCONSUMER", "x", "g", "Bob");
          w.call("XGROUP", "SETID", "x", "g", "0");
          w.call("XDEL", "x", "9-9");
          w.call("XDEL", "x", "3-1");
          w.call("XTRIM", "x", "MAXLEN", "10");
          w.call("XTRIM", "x", "MAXLEN", "0");
          w.call("XSETID", "x", "10-1");
          w.call("XGROUP", "DESTROY", "x", "nogroup");
          w.call("XGROUP", "DESTROY", "x", "g");
          w.call("XACK", "x", "g", "1-1");
        });
  }

  @Test
  void expiredByAWriteByAReadAndByTheActiveCycle() throws Exception {
    same(
        "KEAn",
        w -> {
          // Active expiry off first: the commands meet the expired keys.
          w.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
          try {
            w.call("SET", "w", "1", "PX", "30");
            w.call("SET", "r", "1", "PX", "30");
            w.call("SET", "t", "1", "PX", "30");
            w.call("HSET", "h", "f", "v");
            w.call("PEXPIRE", "h", "30");
            w.call("RPUSH", "l", "a");
            w.call("PEXPIRE", "l", "30");
            Thread.sleep(150);
            w.call("SET", "w", "2");
            w.call("GET", "r");
            w.call("GET", "r");
            w.call("TTL", "t");
            w.call("HSET", "h", "g", "v");
            w.call("LPUSHX", "l", "b");
          } finally {
            w.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
          }
          w.call("SADD", "a", "1");
          w.call("PEXPIRE", "a", "60");
          Thread.sleep(1500); // the active cycle finds it; nothing touches it
        });
  }

  @Test
  void evictedByMaxmemory() throws Exception {
    same(
        "KEA",
        w -> {
          w.call("SET", "foo", "bar");
          w.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
          w.call("CONFIG", "SET", "maxmemory", "1");
          // Redis evicts within CONFIG SET; Keyshard starts evicting then: wait until it is done.
          long deadline = System.nanoTime() + 10_000_000_000L;
          while (!w.c.call("DBSIZE").equals(":0") && System.nanoTime() < deadline) {
            Thread.sleep(10);
          }
          w.call("CONFIG", "SET", "maxmemory", "0");
          w.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
        });
  }

  @Test
  void transactionsAndScriptsPublishInCommandOrder() throws Exception {
    same(
        "KEA",
        w -> {
          w.call("MULTI");
          w.call("SET", "a{m}", "1");
          w.call("LPUSH", "b", "x"); // another slot
          w.call("INCR", "a{m}");
          w.call("RPUSH", "c", "1");
          w.call("DEL", "a{m}", "b");
          w.call("GET", "c");
          w.call("EXEC");
          w.call("MULTI");
          w.call("SET", "x", "1");
          w.call("DISCARD");
          w.call("WATCH", "w");
          w.c.call("SET", "w", "changed"); // (its own notification, before the transaction)
          w.call("MULTI");
          w.call("SET", "w", "1");
          w.call("EXEC");
          w.call(
              "EVAL",
              "redis.call('set', KEYS[1], 'v'); redis.call('lpush', KEYS[2], 'e');"
                  + " redis.call('del', KEYS[1]); return 1",
              "2", "k1", "k2");
          w.call("EVAL", "redis.call('set', 'undeclared', 'v'); return redis.call('expire', 'undeclared', 100)", "0");
          w.call("EVAL", "redis.call('set', KEYS[1], 'v'); return redis.pcall('incr', KEYS[2])", "2", "e1", "k2");
        });
  }

  @Test
  void clientReplyOffStillGetsNotifications() throws Exception {
    for (int port : new int[] {redis.port(), node.port()}) {
      reset();
      try (RawClient sub = new RawClient(port);
          RawClient w = new RawClient(port)) {
        assertEquals("+OK", w.call("CONFIG", "SET", "notify-keyspace-events", "KA"));
        sub.send("CLIENT".getBytes(), "REPLY".getBytes(), "OFF".getBytes());
        assertEquals("[\"psubscribe\", \"*\", :1]", sub.call("PSUBSCRIBE", "*"), "port " + port);
        w.call("SET", "foo", "bar");
        assertEquals("[\"pmessage\", \"*\", \"__keyspace@0__:foo\", \"set\"]", sub.readReply());
      }
      try (RawClient c = new RawClient(port)) {
        c.send("CLIENT".getBytes(), "REPLY".getBytes(), "SKIP".getBytes());
        c.send("SET".getBytes(), "x".getBytes(), "1".getBytes());
        assertEquals("\"1\"", c.call("GET", "x"), "port " + port);
        c.send("CLIENT".getBytes(), "REPLY".getBytes(), "OFF".getBytes());
        c.send("SET".getBytes(), "x".getBytes(), "2".getBytes());
        c.send("GET".getBytes(), "x".getBytes());
        assertEquals("+OK", c.call("CLIENT", "REPLY", "ON"), "port " + port);
        assertEquals("\"2\"", c.call("GET", "x"));
      }
    }
  }

  @Test
  void classesAreMaskedAndNewKeysAreOptIn() throws Exception {
    Commands mixed =
        w -> {
          w.call("SET", "a", "1");
          w.call("SET", "a", "2");
          w.call("LPUSH", "l", "x");
          w.call("SADD", "s", "x");
          w.call("HSET", "h", "f", "v");
          w.call("ZADD", "z", "1", "m");
          w.call("XADD", "x", "1-1", "f", "v");
          w.call("EXPIRE", "a", "100");
          w.call("RENAME", "a", "{a}b");
          w.call("SET", "t{r}", "1");
          w.call("SET", "u{r}", "2");
          w.call("RENAME", "t{r}", "u{r}");
          w.call("COPY", "u{r}", "v{r}");
          w.call("DEL", "{a}b", "l");
        };
    for (String flags : List.of("Kl", "E$", "Kg", "KEs", "Eh", "Ez", "Kt", "En", "KEAn", "gK", "A", "xe")) {
      reset();
      if (flags.equals("A") || flags.equals("xe")) {
        // Classes without K or E publish nothing.
        try (Listener sub = new Listener(node.port());
            RawClient w = new RawClient(node.port())) {
          assertEquals("+OK", w.call("CONFIG", "SET", "notify-keyspace-events", flags));
          mixed.run(new Writer(w, node.port()));
          assertEquals(List.of(), sub.drain(), flags);
        }
        continue;
      }
      same(flags, mixed);
    }
  }

  @Test
  void configGetAndSetAsRedis() throws Exception {
    for (String flags :
        List.of("", "KEA", "gKE", "$lshzxeKE", "KA", "EA", "AKEm", "Kn", "nK", "AgK", "KEg$lshzxetd", "m", "d")) {
      for (int port : new int[] {redis.port(), node.port()}) {
        try (RawClient c = new RawClient(port)) {
          assertEquals("+OK", c.call("CONFIG", "SET", "notify-keyspace-events", flags));
        }
      }
      try (RawClient r = new RawClient(redis.port());
          RawClient k = new RawClient(node.port())) {
        assertEquals(
            r.call("CONFIG", "GET", "notify-keyspace-events"),
            k.call("CONFIG", "GET", "notify-keyspace-events"),
            flags);
      }
    }
    for (String bad : List.of("KEX", "q", "A b", "K,E")) {
      try (RawClient r = new RawClient(redis.port());
          RawClient k = new RawClient(node.port())) {
        String expected = r.call("CONFIG", "SET", "notify-keyspace-events", bad);
        assertTrue(expected.startsWith("-ERR CONFIG SET failed"), expected);
        assertEquals(expected, k.call("CONFIG", "SET", "notify-keyspace-events", bad));
      }
    }
  }
}
