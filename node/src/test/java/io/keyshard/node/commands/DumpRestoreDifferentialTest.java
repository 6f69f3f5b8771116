package io.keyshard.node.commands;

import static io.keyshard.node.testing.BinaryClient.b;
import static io.keyshard.node.testing.BinaryClient.show;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.BinaryClient;
import io.keyshard.node.testing.NodeAndRedisTestBase;
import io.keyshard.persistence.rdb.Crc64;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DUMP and RESTORE against a real redis-server 7.0.15, every type in each encoding: a key is
 * built the same way on both, each server's DUMP is restored into both, and the four results
 * must agree in TYPE, contents, OBJECT ENCODING and TTL (Redis's own RESTORE of its own payload
 * being the reference). Where Redis's bytes do not depend on a hash table's order, Keyshard's
 * DUMP must equal Redis's byte for byte (with rdbcompression off: Keyshard never compresses).
 * Then RESTORE's options and errors, reply for reply.
 */
class DumpRestoreDifferentialTest extends NodeAndRedisTestBase {
  private BinaryClient ks;
  private BinaryClient rd;

  @BeforeEach
  void open() throws Exception {
    ks = new BinaryClient(node.port());
    rd = new BinaryClient(redis.port());
  }

  @AfterEach
  void close() throws Exception {
    ks.close();
    rd.close();
  }

  /** A key built by commands; {@code exact}: Redis's DUMP bytes are deterministic for it. */
  private record Case(String name, boolean exact, List<Object[]> setup) {}

  private static Case c(String name, boolean exact, Object[]... setup) {
    return new Case(name, exact, List.of(setup));
  }

  private static Object[] cmd(Object... args) {
    return args;
  }

  private static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    // Strings, each of its encodings and integer forms.
    for (String s : List.of("hello", "", "0", "12345", "-7", "-128", "32767", "2147483647",
        "2147483648", "123456789012", "9223372036854775807", "-9223372036854775808", "007",
        "\0\r\n\u00ff", "x".repeat(44), "y".repeat(45), "abc".repeat(700))) {
      cases.add(c("string " + show(b(s)), true, cmd("SET", "src", s)));
    }
    cases.add(c("string from INCRBYFLOAT", true, cmd("SET", "src", "5"), cmd("INCRBYFLOAT", "src", "5")));
    cases.add(c("string APPENDed", true, cmd("SET", "src", "ab"), cmd("APPEND", "src", "cd")));
    cases.add(c("string of 100 KB", true, cmd("SET", "src", "z".repeat(100_000))));
    // Lists: quicklist nodes of listpacks, integers in every listpack width.
    cases.add(c("list small", true, cmd("RPUSH", "src", "a", "b", "1")));
    cases.add(c("list integers", true, cmd("RPUSH", "src", "-1", "127", "128", "-4096", "4095",
        "4096", "32767", "-32769", "8388607", "8388608", "2147483648", "9223372036854775807",
        "-9223372036854775808", "007", "1.5")));
    cases.add(c("list with empty and binary elements", true, cmd("RPUSH", "src", "", "\0", "\r\n", "")));
    cases.add(c("list with a 10 KB element", true, cmd("RPUSH", "src", "a", "q".repeat(10_000), "b")));
    Object[] many = new Object[2002];
    many[0] = "RPUSH";
    many[1] = "src";
    for (int i = 0; i < 2000; i++) {
      many[i + 2] = "element-" + i;
    }
    cases.add(c("list of 2000 (several nodes)", true, many));
    cases.add(c("list built from the head", false, cmd("LPUSH", "src", "a", "b", "c")));
    // Sets: intset or hashtable.
    cases.add(c("set intset", true, cmd("SADD", "src", "3", "1", "2", "-5")));
    cases.add(c("set intset of 64-bit", true, cmd("SADD", "src", "9223372036854775807", "-9223372036854775808", "0")));
    cases.add(c("set intset of 32-bit", true, cmd("SADD", "src", "100000", "-100000")));
    cases.add(c("set hashtable", false, cmd("SADD", "src", "a", "b", "1", "")));
    Object[] ints = new Object[515];
    ints[0] = "SADD";
    ints[1] = "src";
    for (int i = 0; i < 513; i++) {
      ints[i + 2] = Integer.toString(i);
    }
    cases.add(c("set of 513 integers", false, ints));
    cases.add(c("set hashtable shrunk to integers", false, cmd("SADD", "src", "a", "1", "2"), cmd("SREM", "src", "a")));
    // Hashes: listpack or hashtable.
    cases.add(c("hash listpack", true, cmd("HSET", "src", "f", "v", "", "", "1", "-12", "n", "9223372036854775807")));
    cases.add(c("hash with a 64-byte value", true, cmd("HSET", "src", "f", "v".repeat(64))));
    cases.add(c("hash with a 65-byte value", false, cmd("HSET", "src", "f", "v".repeat(65), "g", "1")));
    Object[] fields = new Object[2 + 2 * 513];
    fields[0] = "HSET";
    fields[1] = "src";
    for (int i = 0; i < 513; i++) {
      fields[2 + 2 * i] = "f" + i;
      fields[3 + 2 * i] = Integer.toString(i);
    }
    cases.add(c("hash of 513 fields", false, fields));
    // Sorted sets: listpack or skiplist, scores of every kind.
    cases.add(c("zset listpack", true, cmd("ZADD", "src", "1", "a", "1.5", "b", "-3", "c", "0.1", "d")));
    cases.add(c("zset infinities and -0", true, cmd("ZADD", "src", "inf", "a", "-inf", "b", "-0", "c", "1e300", "d", "4.7e18", "e")));
    cases.add(c("zset empty member", true, cmd("ZADD", "src", "7", "")));
    cases.add(c("zset skiplist with -0", true, cmd("ZADD", "src", "-0", "m".repeat(65), "2", "n")));
    Object[] members = new Object[2 + 2 * 129];
    members[0] = "ZADD";
    members[1] = "src";
    for (int i = 0; i < 129; i++) {
      members[2 + 2 * i] = Double.toString(i * 0.25);
      members[3 + 2 * i] = "m" + i;
    }
    cases.add(c("zset of 129", true, members));
    return cases;
  }

  /** TYPE, OBJECT ENCODING and the contents, unordered ones sorted. */
  private static String state(BinaryClient c, String key) throws Exception {
    Object type = c.call("TYPE", key);
    Object encoding = c.call("OBJECT", "ENCODING", key);
    Object contents;
    switch (String.valueOf(type)) {
      case "+string" -> contents = c.call("GET", key);
      case "+list" -> contents = c.call("LRANGE", key, "0", "-1");
      case "+set" -> contents = sortedItems(c.call("SMEMBERS", key));
      case "+hash" -> {
        Object all = c.call("HGETALL", key);
        contents = show(encoding).equals("\"hashtable\"") ? sortedPairs(all) : all;
      }
      case "+zset" -> contents = c.call("ZRANGE", key, "0", "-1", "WITHSCORES");
      default -> contents = null;
    }
    return show(type) + " " + show(encoding) + " " + show(contents);
  }

  private static List<String> sortedItems(Object reply) {
    List<String> items = new ArrayList<>();
    ((List<?>) reply).forEach(i -> items.add(show(i)));
    items.sort(null);
    return items;
  }

  private static List<String> sortedPairs(Object reply) {
    List<?> l = (List<?>) reply;
    List<String> pairs = new ArrayList<>();
    for (int i = 0; i < l.size(); i += 2) {
      pairs.add(show(l.get(i)) + "=" + show(l.get(i + 1)));
    }
    pairs.sort(null);
    return pairs;
  }

  private void both(Object... args) throws Exception {
    rd.call(args);
    ks.call(args);
  }

  @Test
  void everyTypeAndEncodingCrossesBothWays() throws Exception {
    List<String> mismatches = new ArrayList<>();
    for (Case k : cases()) {
      both("FLUSHALL");
      for (Object[] setup : k.setup()) {
        both(setup);
      }
      String built = state(rd, "src");
      check(mismatches, k.name() + ": built", built, state(ks, "src"));
      byte[] fromRedis = (byte[]) rd.call("DUMP", "src");
      byte[] fromKeyshard = (byte[]) ks.call("DUMP", "src");
      for (BinaryClient target : List.of(rd, ks)) {
        assertEquals("+OK", target.call("RESTORE", "a", "0", fromRedis), k.name());
        assertEquals("+OK", target.call("RESTORE", "b", "0", fromKeyshard), k.name());
      }
      String reference = state(rd, "a");
      check(mismatches, k.name() + ": Redis's DUMP restored in Keyshard", reference, state(ks, "a"));
      check(mismatches, k.name() + ": Keyshard's DUMP restored in Redis", reference, state(rd, "b"));
      check(mismatches, k.name() + ": Keyshard's DUMP restored in Keyshard", reference, state(ks, "b"));
      if (k.exact()) {
        rd.call("CONFIG", "SET", "rdbcompression", "no");
        byte[] plain = (byte[]) rd.call("DUMP", "src");
        rd.call("CONFIG", "SET", "rdbcompression", "yes");
        if (!Arrays.equals(plain, fromKeyshard)) {
          mismatches.add(k.name() + ": DUMP bytes\n    redis:    " + show(plain) + "\n    keyshard: " + show(fromKeyshard));
        }
      }
    }
    assertEquals("", String.join("\n", mismatches), mismatches.size() + " mismatches");
  }

  private static void check(List<String> mismatches, String what, String expected, String actual) {
    if (!expected.equals(actual)) {
      mismatches.add(what + "\n    redis:    " + expected + "\n    keyshard: " + actual);
    }
  }

  /**
   * Payloads of a Redis configured with larger limits: a listpack with long entries stays a
   * listpack when loaded (Redis checks only the count), one with too many entries converts, an
   * intset of 1000 becomes a hashtable. Restored into a default Redis and into Keyshard alike,
   * and Keyshard keeps the encodings across a restart (RestoreDurabilityTest).
   */
  @Test
  void payloadsOfLargerLimitsLoadAsRedisLoadsThem() throws Exception {
    Map<String, Object[]> builds = new LinkedHashMap<>();
    builds.put("hash", cmd("HSET", "hash", "f", "v".repeat(100), "g", "1"));
    builds.put("zset", cmd("ZADD", "zset", "1", "m".repeat(100), "2", "n"));
    Object[] many = new Object[2 + 2 * 600];
    many[0] = "HSET";
    many[1] = "hash600";
    for (int i = 0; i < 600; i++) {
      many[2 + 2 * i] = "f" + i;
      many[3 + 2 * i] = "v";
    }
    builds.put("hash600", many);
    Object[] zmany = new Object[2 + 2 * 200];
    zmany[0] = "ZADD";
    zmany[1] = "zset200";
    for (int i = 0; i < 200; i++) {
      zmany[2 + 2 * i] = Integer.toString(i);
      zmany[3 + 2 * i] = "m" + i;
    }
    builds.put("zset200", zmany);
    Object[] ints = new Object[2 + 1000];
    ints[0] = "SADD";
    ints[1] = "ints";
    for (int i = 0; i < 1000; i++) {
      ints[2 + i] = Integer.toString(i);
    }
    builds.put("ints", ints);
    Map<String, byte[]> payloads = new LinkedHashMap<>();
    try {
      for (String[] setting : List.of(new String[] {"hash-max-listpack-value", "128"},
          new String[] {"hash-max-listpack-entries", "1000"},
          new String[] {"zset-max-listpack-value", "128"},
          new String[] {"zset-max-listpack-entries", "1000"},
          new String[] {"set-max-intset-entries", "2000"})) {
        assertEquals("+OK", rd.call("CONFIG", "SET", setting[0], setting[1]));
      }
      for (Map.Entry<String, Object[]> b : builds.entrySet()) {
        rd.call(b.getValue());
        payloads.put(b.getKey(), (byte[]) rd.call("DUMP", b.getKey()));
      }
    } finally {
      rd.call("CONFIG", "SET", "hash-max-listpack-value", "64");
      rd.call("CONFIG", "SET", "hash-max-listpack-entries", "512");
      rd.call("CONFIG", "SET", "zset-max-listpack-value", "64");
      rd.call("CONFIG", "SET", "zset-max-listpack-entries", "128");
      rd.call("CONFIG", "SET", "set-max-intset-entries", "512");
    }
    List<String> mismatches = new ArrayList<>();
    for (Map.Entry<String, byte[]> p : payloads.entrySet()) {
      String key = "r-" + p.getKey();
      assertEquals("+OK", rd.call("RESTORE", key, "0", p.getValue()));
      assertEquals("+OK", ks.call("RESTORE", key, "0", p.getValue()));
      check(mismatches, key, state(rd, key), state(ks, key));
    }
    assertEquals("", String.join("\n", mismatches), mismatches.size() + " mismatches");
  }

  @Test
  void ttlsAbsttlAndIdletime() throws Exception {
    both("SET", "src", "v");
    byte[] payload = (byte[]) rd.call("DUMP", "src");
    for (BinaryClient c : List.of(rd, ks)) {
      assertEquals("+OK", c.call("RESTORE", "t", "5000", payload));
      long pttl = (Long) c.call("PTTL", "t");
      assertTrue(pttl > 4000 && pttl <= 5000, "PTTL " + pttl);
      long at = System.currentTimeMillis() + 60_000;
      assertEquals("+OK", c.call("RESTORE", "abs", Long.toString(at), payload, "ABSTTL"));
      assertEquals((Long) (at), c.call("PEXPIRETIME", "abs"));
      // A time already past creates nothing, and deletes what REPLACE would replace.
      assertEquals("+OK", c.call("RESTORE", "gone", "1", payload, "ABSTTL"));
      assertEquals(0L, c.call("EXISTS", "gone"));
      assertEquals("+OK", c.call("RESTORE", "abs", "1", payload, "ABSTTL", "REPLACE"));
      assertEquals(0L, c.call("EXISTS", "abs"));
      // A relative ttl too large for the clock wraps around, in Redis too.
      assertEquals("+OK", c.call("RESTORE", "huge", "9223372036854775807", payload));
      assertEquals(0L, c.call("EXISTS", "huge"));
      // Seconds of an LRU clock: a second may tick between the commands.
      assertEquals("+OK", c.call("RESTORE", "idle", "0", payload, "IDLETIME", "1000"));
      long idle = (Long) c.call("OBJECT", "IDLETIME", "idle");
      assertTrue(idle == 1000 || idle == 1001, "OBJECT IDLETIME " + idle);
      assertEquals("+OK", c.call("RESTORE", "idle2", "0", payload, "IDLETIME", "100000000"));
      long beyond = (Long) c.call("OBJECT", "IDLETIME", "idle2");
      long redisBeyond = (Long) rd.call("OBJECT", "IDLETIME", "idle2");
      assertTrue(Math.abs(beyond - redisBeyond) <= 1, "beyond the LRU clock: " + beyond + " vs " + redisBeyond);
      assertEquals("+OK", c.call("RESTORE", "freq", "0", payload, "FREQ", "100"));
      assertEquals("+OK", c.call("RESTORE", "freq", "0", payload, "REPLACE", "FREQ", "5", "REPLACE"));
    }
  }

  @Test
  void optionsAndErrorsAsRedisAnswersThem() throws Exception {
    both("SET", "src", "v");
    byte[] payload = (byte[]) rd.call("DUMP", "src");
    byte[] flipped = payload.clone();
    flipped[1] ^= 1;
    byte[] newer = payload.clone();
    newer[payload.length - 10] = 11;
    List<Object[]> requests = new ArrayList<>();
    for (String name : List.of("RESTORE", "RESTORE-ASKING")) {
      requests.add(cmd(name, "src", "0", payload));
      requests.add(cmd(name, "src", "-1", payload));
      requests.add(cmd(name, "new", "-1", payload));
      requests.add(cmd(name, "new", "x", payload));
      requests.add(cmd(name, "new", "0", flipped));
      requests.add(cmd(name, "new", "0", newer));
      requests.add(cmd(name, "new", "0", b("")));
      requests.add(cmd(name, "new", "0", b("123456789")));
      requests.add(cmd(name, "new", "0", payload, "FOO"));
      requests.add(cmd(name, "src", "0", payload, "FOO"));
      requests.add(cmd(name, "new", "0", payload, "IDLETIME"));
      requests.add(cmd(name, "new", "0", payload, "IDLETIME", "-1"));
      requests.add(cmd(name, "new", "0", payload, "IDLETIME", "x"));
      requests.add(cmd(name, "new", "0", payload, "FREQ", "256"));
      requests.add(cmd(name, "new", "0", payload, "FREQ", "-1"));
      requests.add(cmd(name, "new", "0", payload, "IDLETIME", "1", "FREQ", "1"));
      requests.add(cmd(name, "new", "0", payload, "FREQ", "1", "IDLETIME", "1"));
      requests.add(cmd(name, "src", "x", flipped, "REPLACE"));
      requests.add(cmd(name, "src", "0", flipped, "REPLACE"));
      requests.add(cmd(name, "src", "0", payload, "REPLACE", "ABSTTL"));
      // An empty set (no payload Redis writes, a valid checksum): bad data on both.
      requests.add(cmd(name, "new", "0", withCrc(new byte[] {2, 0}, 10)));
      // A sorted set whose one score is NaN (binary): refused by both.
      requests.add(cmd(name, "new", "0", withCrc(hex("05 01 0161 000000000000f87f"), 10)));
      // The same set with a duplicate member.
      requests.add(cmd(name, "new", "0", withCrc(hex("05 02 0161 000000000000f03f 0161 0000000000000040"), 10)));
    }
    requests.add(cmd("DUMP", "missing"));
    List<String> mismatches = new ArrayList<>();
    for (Object[] r : requests) {
      check(mismatches, show(Arrays.asList(r)), rd.text(r), ks.text(r));
    }
    assertEquals("", String.join("\n", mismatches), mismatches.size() + " mismatches");
  }

  @Test
  void modulesAreBadData() throws Exception {
    assertEquals("-ERR Bad data format", ks.call("RESTORE", "m", "0", withCrc(new byte[] {7, 1, 2, 3}, 10)));
  }

  /**
   * Streams both ways: the same stream built on both servers (several nodes, entries deleted
   * inside nodes and whole nodes gone, two groups with pending entries, consumers, counters
   * moved by XSETID), dumped by each and restored into the other: the restored copy shows what
   * the original shows on its own server (XINFO STREAM FULL, times included: they travel in
   * the payload), and the copy dumps again to a payload the other side restores the same way.
   */
  @Test
  void streamsRestoreBothWays() throws Exception {
    for (BinaryClient c : List.of(ks, rd)) {
      c.call("CONFIG", "SET", "stream-node-max-entries", "4");
      for (int i = 1; i <= 30; i++) {
        c.call("XADD", "st", i + "-" + (i % 3), "f", "v" + i, i % 4 == 0 ? "n" : "g", Integer.toString(i * 7));
      }
      c.call("XDEL", "st", "2-2", "3-0", "10-1", "30-0");
      c.call("XTRIM", "st", "MAXLEN", "~", "24");
      c.call("XGROUP", "CREATE", "st", "g1", "0");
      c.call("XGROUP", "CREATE", "st", "g2", "12-0", "ENTRIESREAD", "9");
      c.call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "st", ">");
      c.call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "st", ">");
      c.call("XREADGROUP", "GROUP", "g2", "carol", "NOACK", "STREAMS", "st", ">");
      c.call("XGROUP", "CREATECONSUMER", "st", "g2", "idle");
      c.call("XACK", "st", "g1", "13-1");
      c.call("XSETID", "st", "99-5", "ENTRIESADDED", "40", "MAXDELETEDID", "50-0");
      c.call("XADD", "empty", "1-1", "f", "v");
      c.call("XDEL", "empty", "1-1");
      c.call("CONFIG", "SET", "stream-node-max-entries", "100");
    }
    for (String key : List.of("st", "empty")) {
      String fromRedis = BinaryClient.show(rd.call("XINFO", "STREAM", key, "FULL"));
      String fromKeyshard = BinaryClient.show(ks.call("XINFO", "STREAM", key, "FULL"));
      byte[] redisPayload = (byte[]) rd.call("DUMP", key);
      byte[] keyshardPayload = (byte[]) ks.call("DUMP", key);
      assertEquals("+OK", BinaryClient.show(ks.call("RESTORE", key + "-r", "0", redisPayload)));
      assertEquals("+OK", BinaryClient.show(rd.call("RESTORE", key + "-k", "0", keyshardPayload)));
      assertEquals(fromRedis, BinaryClient.show(ks.call("XINFO", "STREAM", key + "-r", "FULL")), key + " from redis");
      assertEquals(fromKeyshard, BinaryClient.show(rd.call("XINFO", "STREAM", key + "-k", "FULL")), key + " from keyshard");
      assertEquals(BinaryClient.show(rd.call("XINFO", "GROUPS", key)), BinaryClient.show(ks.call("XINFO", "GROUPS", key + "-r")));
      assertEquals("+stream", show(ks.call("TYPE", key + "-r")));
      // And back: Keyshard's dump of Redis's stream restores in Redis as the original.
      assertEquals("+OK", BinaryClient.show(rd.call("RESTORE", key + "-rk", "0", ks.call("DUMP", key + "-r"))));
      assertEquals(fromRedis, BinaryClient.show(rd.call("XINFO", "STREAM", key + "-rk", "FULL")));
    }
    // A stream payload cut short is refused by both.
    byte[] good = (byte[]) rd.call("DUMP", "st");
    byte[] cut = withCrc(Arrays.copyOf(good, good.length - 10 - 20), 10);
    assertEquals(show(rd.call("RESTORE", "bad", "0", cut)), show(ks.call("RESTORE", "bad", "0", cut)));
  }

  /**
   * Values in the encodings of older Redis versions (ziplists, a zipmap, intsets, linked lists,
   * a quicklist of ziplists, string scores, LZF), taken from the RDB files of Redis's test suite,
   * and the empty keys of its corrupt-file test: restored into both, they must agree.
   */
  @Test
  void oldEncodingsAsRedisReadsThem() throws Exception {
    Map<String, String> bodies = new LinkedHashMap<>();
    bodies.put("zipmap hash", "0910 0202663102007631026632020076 32ff");
    bodies.put("ziplist hash", "0d1b 1b000000160000000400 00026631 04027631 04026632 04027632 ff");
    bodies.put("ziplist zset", "0c19 190000001600000004000003 6f6e6505f202 0374776f05f3ff");
    bodies.put("quicklist of ziplists", "0e010d 0d0000000a000000010000f8ff");
    bodies.put("intset", "0b10 02000000040000000100020003000400");
    bodies.put("ziplist list", "0a30 300000002500000008000000c00100 04c00200 04c00300 040161 030162"
        + " 030163 03d0a0860100 06e000bca06501000000 ff");
    bodies.put("zset with string scores", "030c 026262023230 026363023330 0362626203323030"
        + " 04626262620a35303030303030303030 03636363 03333030 0463636363 09313233343536373839"
        + " 01610131 0261610231 30 01620132 036161610331 3030 01630133 04616161610431303030");
    bodies.put("LZF string", "00c3094089016161e07c00016161");
    bodies.put("hash of int-encoded strings", "040b 0162c002 026161c00a 0163c003 03616161c064"
        + " 026262c014 026363c01e 03626262c1c800 03636363c12c01 03646464c19001"
        + " 036565650a35303030303030303030 0161c001");
    bodies.put("set", "0208 0a36303030303030303030 c2a0860100 0161c001 0162c002 0163c003");
    bodies.put("empty set", "0200");
    bodies.put("empty hash", "0400");
    bodies.put("empty zset", "0500");
    bodies.put("empty ziplist list", "0a0b 0b0000000a0000000000ff");
    bodies.put("empty ziplist zset", "0c0b 0b0000000a0000000000ff");
    bodies.put("empty listpack zset", "1107 070000000000ff");
    bodies.put("empty listpack hash", "1007 070000000000ff");
    bodies.put("quicklist of no node", "0e00");
    bodies.put("quicklist of an empty ziplist", "0e010b 0b0000000a0000000000ff");
    List<String> mismatches = new ArrayList<>();
    for (Map.Entry<String, String> e : bodies.entrySet()) {
      byte[] payload = withCrc(hex(e.getValue()), 9);
      both("DEL", "old");
      String redisReply = rd.text("RESTORE", "old", "0", payload);
      check(mismatches, e.getKey() + ": RESTORE", redisReply, ks.text("RESTORE", "old", "0", payload));
      if (redisReply.equals("+OK")) {
        check(mismatches, e.getKey(), state(rd, "old"), state(ks, "old"));
      }
    }
    assertEquals("", String.join("\n", mismatches), mismatches.size() + " mismatches");
  }

  private static byte[] hex(String hex) {
    String h = hex.replaceAll("\\s", "");
    byte[] b = new byte[h.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }

  /** A payload around {@code body} with a correct checksum. */
  static byte[] withCrc(byte[] body, int version) {
    byte[] p = Arrays.copyOf(body, body.length + 10);
    p[body.length] = (byte) version;
    long crc = Crc64.of(p, 0, body.length + 2);
    for (int i = 0; i < 8; i++) {
      p[body.length + 2 + i] = (byte) (crc >>> (8 * i));
    }
    return p;
  }

  @Test
  void keyshardsDumpIsWhatRedisAnswersForTheDocumentedExample() throws Exception {
    both("SET", "mykey", "10");
    assertArrayEquals((byte[]) rd.call("DUMP", "mykey"), (byte[]) ks.call("DUMP", "mykey"));
  }
}
