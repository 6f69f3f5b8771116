package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The connection and server commands (PING ... BGSAVE, CLIENT, CONFIG, INFO, CLUSTER) against a
 * real redis-server 7.0: every deterministic reply must be identical; for what is not (ids,
 * addresses, timings, memory) the shape must be, and CLIENT LIST and INFO must carry Redis's field
 * names. Keyshard-only behaviour (CLIENT SETINFO from 7.2, MAXAGE from 7.4, what CONFIG SET
 * refuses) is checked against the expected text directly.
 */
class ServerCommandsDifferentialTest {
  private static RedisProcess redis;
  private static TestNode node;

  /** INFO fields Redis has that Keyshard leaves out, with the reason. */
  static final Map<String, String> OMITTED_INFO_FIELDS =
      Map.of(
          "errorstat_*",
          "Errorstats: error replies are counted only in total (total_error_replies), not by"
              + " error code");

  /** INFO sections of "all" and "everything" that Keyshard does not have, with the reason. */
  static final Map<String, String> OMITTED_INFO_SECTIONS =
      Map.of(
          "Commandstats", "no per-command counters yet",
          "Latencystats", "no per-command latency histograms yet");

  private static final List<String> INFO_SECTIONS =
      List.of(
          "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
          "errorstats", "cluster", "keyspace");

  @BeforeAll
  static void start() throws Exception {
    redis = RedisProcess.start();
    node = TestNode.start();
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

  private static Differential diff() throws IOException {
    return new Differential(node.port(), redis.port());
  }

  // ---------------------------------------------------------------- PING ECHO SELECT

  @Test
  void pingEchoSelectInBothProtocols() throws Exception {
    try (Differential d = diff()) {
      for (int proto = 2; proto <= 3; proto++) {
        d.check(helloId(), "hello", Integer.toString(proto));
        d.check("ping");
        d.check("ping", "hi");
        d.check("ping", "a", "b");
        d.check("echo", "x");
        d.check("echo");
        d.check("echo", "a", "b");
        for (String db : List.of("1", "16", "-1", "abc", "99999999999999999999", "1.5", " 1", "0")) {
          d.check("select", db);
        }
        d.check("select");
      }
      d.assertNoMismatches();
    }
  }

  // ---------------------------------------------------------------- HELLO AUTH (no password)

  @Test
  void helloAndAuthWithoutAPassword() throws Exception {
    try (Differential d = diff()) {
      d.check(helloId(), "hello");
      d.check(helloId(), "hello", "2");
      d.check(helloId(), "hello", "3");
      for (String[] args :
          List.of(
              new String[] {"hello", "4"},
              new String[] {"hello", "1"},
              new String[] {"hello", "-1"},
              new String[] {"hello", "abc"},
              new String[] {"hello", "2.0"},
              new String[] {"hello", "99999999999999999999"},
              new String[] {"hello", "auth", "default", "x"},
              new String[] {"hello", "3", "foo"},
              new String[] {"hello", "3", "auth"},
              new String[] {"hello", "3", "auth", "a"},
              new String[] {"hello", "3", "auth", "foo", "bar"},
              new String[] {"hello", "3", "setname"},
              new String[] {"hello", "3", "setname", "a b"},
              new String[] {"hello", "3", "setname", "a b", "foo"},
              new String[] {"hello", "2", "AUTH", "default", "y", "setname", "x", "extra"})) {
        d.check(helloId(), args);
      }
      // Options apply as they are read, even when a later one fails.
      d.check("client", "getname");
      d.check(helloId(), "hello", "3", "auth", "default", "anything");
      d.check(helloId(), "hello", "2", "setname", "a", "setname", "b");
      d.check("client", "getname");
      d.check(helloId(), "hello", "2", "setname", "");
      d.check("client", "getname");
      d.check("auth", "x");
      d.check("auth", "default", "x");
      d.check("auth", "foo", "x");
      d.check("auth", "a", "b", "c");
      d.check("auth");
      d.assertNoMismatches();
    }
  }

  // ---------------------------------------------------------------- QUIT RESET

  @Test
  void quitAnswersThenCloses() throws Exception {
    try (Differential d = diff()) {
      d.check("quit");
      assertTrue(d.keyshard().isClosedByServer());
      assertTrue(d.redis().isClosedByServer());
      d.assertNoMismatches();
    }
  }

  @Test
  void resetRestoresAFreshConnection() throws Exception {
    try (Differential d = diff()) {
      d.check(helloId(), "hello", "3", "setname", "named");
      d.check("select", "2");
      d.check("client", "no-evict", "on");
      d.check(ServerCommandsDifferentialTest::clientState, "client", "info");
      d.check("reset");
      // Back to RESP2, db 0, no name; CLIENT NO-EVICT stays on, as in Redis 7.0.
      d.check("client", "getname");
      d.check(ServerCommandsDifferentialTest::clientState, "client", "info");
      d.check("client", "no-evict", "off");
      d.check(ServerCommandsDifferentialTest::clientState, "client", "info");
      d.assertNoMismatches();
    }
  }

  // ---------------------------------------------------------------- TIME LASTSAVE SAVE BGSAVE

  @Test
  void timeLastsaveSaveAndBgsave() throws Exception {
    try (Differential d = diff()) {
      d.check(ServerCommandsDifferentialTest::timeShape, "time");
      d.check("time", "x");
      d.check(r -> r.replaceAll(":\\d+", ":N"), "lastsave");
      d.check("save");
      d.check("save", "x");
      waitForBgsave(d);
      d.check("bgsave");
      waitForBgsave(d);
      d.check("bgsave", "schedule");
      waitForBgsave(d);
      d.check("bgsave", "foo");
      d.check("bgsave", "schedule", "x");
      d.check("lastsave", "x");
      d.assertNoMismatches();

      long now = Long.parseLong(bulkItems(d.keyshard().call("time")).get(0));
      long lastSave = Long.parseLong(d.keyshard().call("lastsave").substring(1));
      assertTrue(Math.abs(now - lastSave) <= 5, "SAVE moved LASTSAVE to now: " + lastSave);
    }
  }

  /** Both servers really save in the background: the next BGSAVE waits for both to end. */
  private static void waitForBgsave(Differential d) throws Exception {
    waitForRedisBgsave(d.redis());
    waitForRedisBgsave(d.keyshard());
  }

  private static void waitForRedisBgsave(RawClient redis) throws Exception {
    for (int i = 0; i < 200; i++) {
      if (redis.call("info", "persistence").contains("rdb_bgsave_in_progress:0")) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("redis BGSAVE did not finish");
  }

  private static String timeShape(String reply) {
    List<String> parts = bulkItems(reply);
    assertEquals(2, parts.size(), reply);
    assertTrue(parts.get(0).matches("1[0-9]{9}"), reply);
    assertTrue(parts.get(1).matches("[0-9]{1,6}"), reply);
    return "[\"SECONDS\", \"MICROS\"]";
  }

  // ---------------------------------------------------------------- CLUSTER READONLY READWRITE

  @Test
  void clusterCommandsAreDisabledInStandalone() throws Exception {
    try (Differential d = diff()) {
      d.check("cluster", "info");
      d.check("cluster", "help");
      d.check("cluster", "keyslot", "x");
      d.check("cluster", "myid");
      d.check("cluster", "nodes");
      d.check("cluster", "slots");
      d.check("cluster", "shards");
      d.check("cluster");
      d.check("readonly");
      d.check("readwrite");
      d.check("readonly", "x");
      d.check("readwrite", "x");
      d.assertNoMismatches();
    }
  }

  // ---------------------------------------------------------------- CLIENT

  @Test
  void clientSubcommandsAndTheirErrors() throws Exception {
    try (Differential d = diff()) {
      d.check(r -> r.replaceAll(":\\d+", ":ID"), "client", "id");
      d.check("client");
      d.check("client", "foo");
      d.check("client", "id", "x");
      d.check("client", "getname");
      d.check("client", "getname", "x");
      d.check("client", "setname");
      d.check("client", "setname", "a", "b");
      d.check("client", "setname", "a b");
      d.check("client", "setname", "a\nb");
      d.check("client", "setname", "ok-name");
      d.check("client", "getname");
      d.check("client", "setname", "");
      d.check("client", "getname");
      d.check("client", "no-evict");
      d.check("client", "no-evict", "maybe");
      d.check("client", "no-evict", "on", "x");
      d.check("client", "no-evict", "ON");
      d.check("client", "no-evict", "off");
      d.check("client", "info", "x");
      for (String[] args :
          List.of(
              new String[] {"type", "foo"},
              new String[] {"type", "pubsub"},
              new String[] {"type", "master"},
              new String[] {"type", "replica"},
              new String[] {"type", "slave"},
              new String[] {"id", "abc"},
              new String[] {"id", "0"},
              new String[] {"id", "-1"},
              new String[] {"id", "03"},
              new String[] {"id", "99999"},
              new String[] {"id", "99999", "abc"},
              new String[] {"id"},
              new String[] {"foo"},
              new String[] {"type"},
              new String[] {"type", "normal", "x"},
              new String[] {"type", "normal", "type", "pubsub"})) {
        d.check(concat(new String[] {"client", "list"}, args));
      }
      for (String[] args :
          List.of(
              new String[] {},
              new String[] {"1.2.3.4:5"},
              new String[] {"foo"},
              new String[] {"id"},
              new String[] {"id", "abc"},
              new String[] {"id", "0"},
              new String[] {"id", "-5"},
              new String[] {"id", "99999"},
              new String[] {"id", "99998", "id", "99999"},
              new String[] {"addr", "1.2.3.4:5"},
              new String[] {"laddr", "1.2.3.4:5"},
              new String[] {"user", "nobody"},
              // With a filter no connection passes, so the count cannot depend on how quickly
              // each server notices that an earlier test's connections closed.
              new String[] {"user", "default", "id", "99999"},
              new String[] {"skipme", "maybe"},
              new String[] {"skipme", "yes", "id", "99999"},
              new String[] {"type", "foo"},
              new String[] {"type", "normal", "id", "99999"},
              new String[] {"type", "master"},
              new String[] {"type", "pubsub"},
              new String[] {"type", "replica"},
              new String[] {"type", "slave"},
              new String[] {"foo", "bar"},
              new String[] {"id", "1", "addr"},
              new String[] {"addr", "1.2.3.4:5", "id", "abc"},
              new String[] {"id", "abc", "addr"},
              new String[] {"skipme", "no", "id", "99999"})) {
        d.check(concat(new String[] {"client", "kill"}, args));
      }
      d.assertNoMismatches();
    }
  }

  @Test
  void clientListAndInfoHaveRedisFieldsInRedisOrder() throws Exception {
    try (Differential d = diff()) {
      d.check("client", "setname", "lister");
      d.check(ServerCommandsDifferentialTest::clientState, "client", "info");
      d.check(ServerCommandsDifferentialTest::fieldNamesPerLine, "client", "list");
      d.check(ServerCommandsDifferentialTest::fieldNamesPerLine, "client", "list", "type", "normal");
      String ownKeyshard = d.keyshard().call("client", "id").substring(1);
      String ownRedis = d.redis().call("client", "id").substring(1);
      assertEquals(
          fieldNamesPerLine(d.redis().call("client", "list", "id", ownRedis, "99999", ownRedis)),
          fieldNamesPerLine(
              d.keyshard().call("client", "list", "id", ownKeyshard, "99999", ownKeyshard)));
      assertEquals(2, lines(d.keyshard().call("client", "list", "id", ownKeyshard, ownKeyshard)).size());
      d.check(helloId(), "hello", "3");
      // RESP3: a verbatim string of format txt.
      d.check(ServerCommandsDifferentialTest::clientState, "client", "info");
      d.check(ServerCommandsDifferentialTest::fieldNamesPerLine, "client", "list");
      assertTrue(d.keyshard().call("client", "list").startsWith("=txt:id="));
      d.assertNoMismatches();
    }
  }

  @Test
  void clientKillClosesTheOtherConnection() throws Exception {
    for (int port : new int[] {node.port(), redis.port()}) {
      String where = port == node.port() ? "keyshard" : "redis";
      try (RawClient killer = new RawClient(port)) {
        try (RawClient victim = new RawClient(port)) {
          String id = victim.call("client", "id").substring(1);
          assertEquals(":1", killer.call("client", "kill", "id", id), where);
          assertTrue(victim.isClosedByServer(), where);
        }
        try (RawClient victim = new RawClient(port)) {
          String addr = field(victim.call("client", "info"), "addr");
          assertEquals("+OK", killer.call("client", "kill", addr), where);
          assertTrue(victim.isClosedByServer(), where);
          assertEquals("-ERR No such client", killer.call("client", "kill", addr), where);
        }
        try (RawClient victim = new RawClient(port)) {
          String addr = field(victim.call("client", "info"), "addr");
          String laddr = field(victim.call("client", "info"), "laddr");
          assertEquals(
              ":1", killer.call("client", "kill", "addr", addr, "laddr", laddr, "type", "normal",
                  "user", "default", "skipme", "yes"), where);
          assertTrue(victim.isClosedByServer(), where);
        }
        // A client may kill itself: it gets the count, then the connection closes.
        String self = killer.call("client", "id").substring(1);
        assertEquals(":0", killer.call("client", "kill", "id", self), where);
        assertEquals(":1", killer.call("client", "kill", "id", self, "skipme", "no"), where);
        assertTrue(killer.isClosedByServer(), where);
      }
    }
  }

  /** MAXAGE is Redis 7.4's: the expected texts are 7.4's. */
  @Test
  void clientKillMaxAge() throws Exception {
    try (RawClient killer = new RawClient(node.port());
        RawClient victim = new RawClient(node.port())) {
      String id = victim.call("client", "id").substring(1);
      assertEquals("-ERR maxage is not an integer or out of range",
          killer.call("client", "kill", "maxage", "abc"));
      assertEquals("-ERR maxage should be greater than 0", killer.call("client", "kill", "maxage", "0"));
      assertEquals(":0", killer.call("client", "kill", "maxage", "100000", "id", id));
      Thread.sleep(1100);
      assertEquals(":1", killer.call("client", "kill", "maxage", "1", "id", id));
      assertTrue(victim.isClosedByServer());
    }
  }

  /** CLIENT SETINFO is Redis 7.2's (the reference 7.0 lacks it): the expected texts are 7.2's. */
  @Test
  void clientSetinfoAsRedis72() throws Exception {
    try (RawClient c = new RawClient(node.port())) {
      assertEquals("+OK", c.call("client", "setinfo", "lib-name", "jedis"));
      assertEquals("+OK", c.call("client", "setinfo", "LIB-VER", "5.1.2"));
      assertEquals("+OK", c.call("client", "setinfo", "lib-ver", ""));
      assertEquals("-ERR Unrecognized option 'foo'", c.call("client", "setinfo", "foo", "a b"));
      assertEquals("-ERR LIB-NAME cannot contain spaces, newlines or special characters.",
          c.call("client", "setinfo", "LIB-NAME", "a b"));
      assertEquals("-ERR wrong number of arguments for 'client|setinfo' command",
          c.call("client", "setinfo", "lib-name"));
    }
    // Jedis 5 sends CLIENT SETINFO on connect and parses INFO.
    try (Jedis jedis = new Jedis("127.0.0.1", node.port())) {
      assertEquals("PONG", jedis.ping());
      assertTrue(jedis.info("server").contains("redis_version:7.0.15"));
      assertTrue(jedis.clientList().contains("cmd=client|list"));
    }
  }

  @Test
  void clientHelpListsWhatKeyshardImplements() throws Exception {
    try (Differential d = diff()) {
      String redisHelp = d.redis().call("client", "help");
      String help = d.keyshard().call("client", "help");
      assertEquals(redisHelp.substring(0, redisHelp.indexOf(", ")), help.substring(0, help.indexOf(", ")));
      for (String sub :
          List.of("GETNAME", "ID", "INFO", "KILL", "LIST", "SETNAME", "SETINFO", "NO-EVICT", "REPLY", "TRACKING",
              "CACHING", "GETREDIR", "TRACKINGINFO", "HELP")) {
        assertTrue(help.contains("+" + sub), sub + " in " + help);
      }
      // CLIENT PAUSE is not served, so not listed.
      assertFalse(help.contains("+PAUSE"), help);
    }
  }

  // ---------------------------------------------------------------- CONFIG

  @Test
  void configGet() throws Exception {
    try (Differential d = diff()) {
      d.check(
          ServerCommandsDifferentialTest::sortedPairs,
          "config", "get", "databases", "requirepass", "maxclients", "timeout",
          "proto-max-bulk-len", "client-query-buffer-limit", "save", "cluster-enabled",
          "maxmemory", "maxmemory-policy");
      for (String pattern :
          List.of(
              "nosuch", "TIMEOUT", "Timeout", "time*", "databa?es", "[dt]atabases",
              "cluster-enable*", "*bulk*", "*query*", "requirepas?", "maxclient*", "sav?")) {
        d.check("config", "get", pattern);
      }
      d.check("config", "get", "timeout", "TIMEOUT");
      d.check("config", "get", "TIMEOUT", "timeout");
      d.check("config", "get", "time*", "timeout");
      d.check("config", "get", "timeout", "nosuch", "timeout");
      d.check("config", "get");
      d.check(helloId(), "hello", "3");
      d.check(ServerCommandsDifferentialTest::sortedPairs, "config", "get", "timeout", "databases");
      d.check("config", "get", "nosuch");
      d.assertNoMismatches();
    }
    // Keyshard's own values for what differs from the reference by design.
    try (RawClient c = new RawClient(node.port())) {
      assertEquals("[\"appendonly\", \"yes\"]", c.call("config", "get", "appendonly"));
      assertEquals("[\"appendfsync\", \"always\"]", c.call("config", "get", "appendfsync"));
      assertEquals("[\"port\", \"" + node.port() + "\"]", c.call("config", "get", "port"));
      assertEquals("[\"bind\", \"127.0.0.1\"]", c.call("config", "get", "bind"));
      assertEquals("[\"dir\", \"" + node.dir().toAbsolutePath().normalize() + "\"]",
          c.call("config", "get", "dir"));
    }
  }

  @Test
  void configSetErrorsAreRedis() throws Exception {
    try (Differential d = diff()) {
      for (String[] args :
          List.of(
              new String[] {},
              new String[] {"port"},
              new String[] {"port", "1", "2"},
              new String[] {"nosuch", "1"},
              new String[] {"dir", "/tmp"},
              new String[] {"dir", ""},
              new String[] {"databases", "3"},
              new String[] {"databases", "abc"},
              new String[] {"cluster-enabled", "yes"},
              new String[] {"timeout", "30", "nosuch", "1"},
              new String[] {"databases", "3", "nosuch", "1"},
              new String[] {"nosuch", "1", "databases", "3"},
              new String[] {"timeout", "1", "databases", "3"},
              new String[] {"timeout", "abc", "databases", "3"},
              new String[] {"timeout", "1", "timeout", "abc"},
              new String[] {"timeout", "10", "TIMEOUT", "20"},
              new String[] {"timeout", "-1"},
              new String[] {"timeout", "abc"},
              new String[] {"timeout", "1k"},
              new String[] {"timeout", "2147483648"},
              new String[] {"maxclients", "abc"},
              new String[] {"maxclients", "-1"},
              new String[] {"maxclients", "0"},
              new String[] {"maxclients", "1.5"},
              new String[] {"maxclients", " 10"},
              new String[] {"maxclients", "+10"},
              new String[] {"maxclients", "010"},
              new String[] {"maxclients", "0x10"},
              new String[] {"maxclients", "4294967296"},
              new String[] {"maxclients", "99999999999999999999999"},
              new String[] {"maxclients", "10k"},
              new String[] {"proto-max-bulk-len", "1k"},
              new String[] {"proto-max-bulk-len", "100"},
              new String[] {"proto-max-bulk-len", "abc"},
              new String[] {"proto-max-bulk-len", ""},
              new String[] {"proto-max-bulk-len", "1.5mb"},
              new String[] {"proto-max-bulk-len", "-1"},
              new String[] {"proto-max-bulk-len", "1 mb"},
              new String[] {"proto-max-bulk-len", "18446744073709551615"},
              new String[] {"proto-max-bulk-len", "99999999999999999999999"},
              new String[] {"client-query-buffer-limit", "100"},
              new String[] {"client-query-buffer-limit", "x"},
              new String[] {"appendonly", "maybe"},
              new String[] {"appendonly", "1"},
              new String[] {"appendfsync", "foo"},
              new String[] {"maxmemory-policy", "foo"},
              new String[] {"maxmemory", "abc"},
              new String[] {"maxmemory", "1.5mb"},
              new String[] {"maxmemory", "-1"},
              new String[] {"maxmemory", " 10"},
              new String[] {"save", "foo"},
              new String[] {"save", "100"},
              new String[] {"save", "a b"},
              new String[] {"save", "100 1 200"},
              new String[] {"save", "-1 1"},
              new String[] {"save", "0 1"},
              new String[] {"save", "1 -1"},
              new String[] {"save", " "},
              new String[] {"save", "100  1"},
              // A failing pair leaves the valid ones before it unapplied.
              new String[] {"timeout", "30", "maxclients", "abc"})) {
        d.check(concat(new String[] {"config", "set"}, args));
      }
      d.check("config", "get", "timeout");
      d.check("config", "get", "maxclients");
      d.assertNoMismatches();
    }
  }

  @Test
  void configSetChangesValues() throws Exception {
    try (Differential d = diff()) {
      d.check("config", "set", "timeout", "30", "maxclients", "500", "proto-max-bulk-len", "2MB",
          "client-query-buffer-limit", "2gb");
      d.check(ServerCommandsDifferentialTest::sortedPairs,
          "config", "get", "timeout", "maxclients", "proto-max-bulk-len", "client-query-buffer-limit");
      d.check("config", "set", "proto-max-bulk-len", "1073741824");
      d.check("config", "get", "proto-max-bulk-len");
      d.check("config", "set", "save", "100 1 200 2");
      d.check("config", "get", "save");
      d.check("config", "set", "save", "+100 01");
      d.check("config", "get", "save");
      d.check("config", "set", "save", "");
      d.check("config", "get", "save");
      // Values Keyshard can honour are accepted as Redis accepts them.
      d.check("config", "set", "maxmemory", "0");
      d.check("config", "set", "maxmemory", "");
      d.check("config", "get", "maxmemory");
      d.check("config", "set", "maxmemory-policy", "NOEVICTION");
      d.check("config", "get", "maxmemory-policy");
      d.check("config", "set", "requirepass", "");
      d.check("config", "get", "requirepass");
      d.check(ServerCommandsDifferentialTest::sortedPairs, "config", "set", "timeout", "0",
          "maxclients", "10000", "proto-max-bulk-len", "512mb", "client-query-buffer-limit", "1gb");
      d.check(ServerCommandsDifferentialTest::sortedPairs,
          "config", "get", "timeout", "maxclients", "proto-max-bulk-len", "client-query-buffer-limit");
      d.assertNoMismatches();
    }
  }

  /** Redis 7.0 would rebind, turn the AOF off or evict; Keyshard refuses, in Redis's shape. */
  @Test
  void configSetRefusesWhatKeyshardCannotHonour() throws Exception {
    try (RawClient c = new RawClient(node.port())) {
      String failed = "-ERR CONFIG SET failed (possibly related to argument '%s') - %s";
      assertEquals(String.format(failed, "port", "can't set immutable config"),
          c.call("config", "set", "port", "7000"));
      assertEquals(String.format(failed, "bind", "can't set immutable config"),
          c.call("config", "set", "bind", "0.0.0.0"));
      assertEquals(
          String.format(failed, "appendonly",
              "Keyshard journals every write, appendonly cannot be turned off"),
          c.call("config", "set", "appendonly", "no"));
      assertEquals("+OK", c.call("config", "set", "appendonly", "YES"));
      // The embedded journal honours every appendfsync mode (AppendFsyncTest counts its syncs).
      assertEquals("+OK", c.call("config", "set", "appendfsync", "everysec"));
      assertEquals("[\"appendfsync\", \"everysec\"]", c.call("config", "get", "appendfsync"));
      assertEquals("+OK", c.call("config", "set", "appendfsync", "always"));
      assertEquals("[\"appendfsync\", \"always\"]", c.call("config", "get", "appendfsync"));
      assertEquals(
          String.format(failed, "maxmemory-policy",
              "Keyshard does not count key accesses, the LFU policies are not available"),
          c.call("config", "set", "maxmemory-policy", "allkeys-lfu"));
      // Nothing of a refused batch is applied.
      assertEquals(
          String.format(failed, "maxmemory-policy",
              "Keyshard does not count key accesses, the LFU policies are not available"),
          c.call("config", "set", "timeout", "5", "maxmemory-policy", "volatile-lfu"));
      assertEquals("[\"timeout\", \"0\"]", c.call("config", "get", "timeout"));
    }
  }

  @Test
  void configSubcommands() throws Exception {
    try (Differential d = diff()) {
      d.check("config");
      d.check("config", "foo");
      d.check("config", "help");
      d.check("config", "help", "x");
      d.check("config", "resetstat");
      d.check("config", "resetstat", "x");
      d.check("config", "rewrite");
      d.check("config", "rewrite", "x");
      d.assertNoMismatches();
    }
  }

  // ---------------------------------------------------------------- INFO

  @Test
  void infoHasEveryRedisFieldInRedisOrder() throws Exception {
    try (Differential d = diff()) {
      for (String section : INFO_SECTIONS) {
        Map<String, List<String>> redisFields = infoFields(d.redis().call("info", section));
        Map<String, List<String>> keyshardFields = infoFields(d.keyshard().call("info", section));
        assertEquals(redisFields.keySet(), keyshardFields.keySet(), section);
        for (Map.Entry<String, List<String>> e : redisFields.entrySet()) {
          List<String> expected = new ArrayList<>(e.getValue());
          expected.removeIf(ServerCommandsDifferentialTest::omitted);
          List<String> actual = new ArrayList<>(keyshardFields.get(e.getKey()));
          actual.retainAll(expected);
          assertEquals(expected, actual, "fields of # " + e.getKey() + " in Redis's order");
        }
      }
      String server = d.keyshard().call("info", "server");
      assertTrue(server.contains("\r\nredis_version:7.0.15\r\n"), server);
      assertTrue(server.contains("\r\nkeyshard_version:"), server);
      assertTrue(server.contains("\r\ntcp_port:" + node.port() + "\r\n"), server);
      String replication = d.keyshard().call("info", "replication");
      assertTrue(replication.contains("\r\nrole:master\r\n"), replication);
    }
  }

  @Test
  void infoSectionSelection() throws Exception {
    try (Differential d = diff()) {
      d.check(ServerCommandsDifferentialTest::headings, "info");
      for (String sections :
          List.of(
              "default", "DEFAULT", "cluster server", "keyspace cpu clients", "cluster cluster",
              "CLUSTER", "server nosuch", "default cluster", "modules", "errorstats")) {
        d.check(ServerCommandsDifferentialTest::headings,
            concat(new String[] {"info"}, sections.split(" ")));
      }
      UnaryOperator<String> withoutOmitted =
          r -> {
            String h = headings(r);
            for (String omitted : OMITTED_INFO_SECTIONS.keySet()) {
              h = h.replace(" " + omitted, "");
            }
            return h;
          };
      d.check(withoutOmitted, "info", "all");
      d.check(withoutOmitted, "info", "everything");
      d.check(withoutOmitted, "info", "all", "nosuch");
      d.check("info", "nosuch");
      d.check("info", "cluster");
      d.check("info", "CLUSTER", "cluster");
      d.check("info", "modules");
      d.check(helloId(), "hello", "3");
      d.check("info", "nosuch");
      d.check("info", "cluster");
      assertTrue(d.keyshard().call("info").startsWith("=txt:# Server\r\n"));
      d.assertNoMismatches();
    }
  }

  @Test
  void infoKeyspaceCountsKeysPerDatabase() throws Exception {
    try (Differential d = diff()) {
      d.both("flushall");
      d.check("info", "keyspace");
      d.both("set", "info:a", "1");
      d.both("set", "info:b", "2");
      d.both("select", "3");
      d.both("set", "info:c", "3");
      d.check("info", "keyspace");
      d.both("flushall");
      d.check("info", "keyspace");
      d.assertNoMismatches();
    }
  }

  // ---------------------------------------------------------------- helpers

  private static UnaryOperator<String> helloId() {
    return r -> r.replaceAll("\"id\"(, |=):\\d+", "\"id\"$1:ID");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The items of a flat array of bulk strings, unquoted. */
  private static List<String> bulkItems(String reply) {
    List<String> items = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(reply);
    while (m.find()) {
      items.add(m.group(1));
    }
    return items;
  }

  /** CONFIG GET pairs in a fixed order (Redis answers in its hash table's order). */
  private static String sortedPairs(String reply) {
    boolean map = reply.startsWith("{");
    if (!map && !reply.startsWith("[")) {
      return reply;
    }
    String body = reply.substring(1, reply.length() - 1);
    if (body.isEmpty()) {
      return reply;
    }
    List<String> pairs = new ArrayList<>();
    String[] parts = body.split(", ");
    if (map) {
      pairs.addAll(List.of(parts));
    } else {
      for (int i = 0; i + 1 < parts.length; i += 2) {
        pairs.add(parts[i] + "=" + parts[i + 1]);
      }
    }
    pairs.sort(null);
    return (map ? "map" : "array") + pairs;
  }

  /** The text of a CLIENT INFO/LIST or INFO reply in either protocol. */
  private static String text(String reply) {
    if (reply.startsWith("=txt:")) {
      return reply.substring(5);
    }
    if (reply.startsWith("\"") && reply.endsWith("\"")) {
      return reply.substring(1, reply.length() - 1);
    }
    return reply;
  }

  private static List<String> lines(String reply) {
    List<String> out = new ArrayList<>();
    for (String line : text(reply).split("\n")) {
      if (!line.isEmpty()) {
        out.add(line);
      }
    }
    return out;
  }

  /**
   * The distinct field-name sequences of CLIENT LIST's lines (how many lines there are depends
   * on how soon each server notices that earlier connections closed).
   */
  private static String fieldNamesPerLine(String reply) {
    if (reply.startsWith("-")) {
      return reply;
    }
    Set<String> out = new LinkedHashSet<>();
    for (String line : lines(reply)) {
      List<String> names = new ArrayList<>();
      for (String field : line.split(" ")) {
        names.add(field.substring(0, field.indexOf('=')));
      }
      out.add(String.join(" ", names));
    }
    return (reply.startsWith("=") ? "verbatim " : "") + out;
  }

  private static String field(String clientInfo, String name) {
    for (String f : lines(clientInfo).get(0).split(" ")) {
      if (f.startsWith(name + "=")) {
        return f.substring(name.length() + 1);
      }
    }
    throw new AssertionError(name + " not in " + clientInfo);
  }

  /** A CLIENT INFO line reduced to its field names and the fields both servers agree on. */
  private static String clientState(String reply) {
    if (reply.startsWith("-")) {
      return reply;
    }
    StringBuilder sb = new StringBuilder(fieldNamesPerLine(reply)).append(" |");
    for (String name :
        List.of("name", "flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user", "redir",
            "resp")) {
      sb.append(' ').append(name).append('=').append(field(reply, name));
    }
    return sb.toString();
  }

  /** Section heading, then its field names, in order. */
  private static Map<String, List<String>> infoFields(String reply) {
    Map<String, List<String>> sections = new LinkedHashMap<>();
    List<String> current = null;
    for (String line : text(reply).split("\r\n")) {
      if (line.startsWith("# ")) {
        current = new ArrayList<>();
        sections.put(line.substring(2), current);
      } else if (!line.isEmpty() && current != null) {
        current.add(line.substring(0, line.indexOf(':')));
      }
    }
    return sections;
  }

  private static boolean omitted(String field) {
    for (String pattern : OMITTED_INFO_FIELDS.keySet()) {
      if (pattern.endsWith("*") ? field.startsWith(pattern.substring(0, pattern.length() - 1))
          : field.equals(pattern)) {
        return true;
      }
    }
    return false;
  }

  private static String headings(String reply) {
    if (reply.startsWith("-")) {
      return reply;
    }
    StringBuilder sb = new StringBuilder(reply.startsWith("=") ? "verbatim" : "bulk");
    for (String section : infoFields(reply).keySet()) {
      sb.append(' ').append(section);
    }
    return sb.toString();
  }
}
