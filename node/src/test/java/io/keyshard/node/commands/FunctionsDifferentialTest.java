package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.FunctionRestorePolicy;

/**
 * FUNCTION and FCALL against a real redis-server 7.0.15, reply for reply: loading (metadata,
 * registration in both forms, every error of the load run), calling (keys and arguments, flags,
 * FCALL_RO, case-insensitive names, runtime errors naming the function), listing, deleting,
 * flushing; then DUMP payloads restored across the two servers both ways, and libraries that
 * survive a restart of the node.
 */
class FunctionsDifferentialTest {
  private static RedisProcess redis;
  private static TestNode node;
  private static Path dir;
  private Differential d;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisProcess.start();
    dir = Files.createTempDirectory("keyshard-functions");
    node = TestNode.start(dir, Map.of());
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
    d.check("FUNCTION", "FLUSH");
  }

  @AfterEach
  void close() throws Exception {
    try {
      d.assertNoMismatches();
    } finally {
      d.close();
    }
  }

  private static String lib(String name, String body) {
    return "#!lua name=" + name + "\n" + body;
  }

  @Test
  void loadingAndItsErrors() throws Exception {
    d.check("FUNCTION", "LOAD", lib("e1", "error('boom')"));
    d.check("FUNCTION", "LOAD", lib("e2", "redis.register_function('f', function() end) redis.register_function('f', function() end)"));
    d.check("FUNCTION", "LOAD", lib("e3", "local x = 1"));
    d.check("FUNCTION", "LOAD", lib("e5", "math.random()"));
    d.check("FUNCTION", "LOAD", lib("e6", "redis.call('ping')"));
    d.check("FUNCTION", "LOAD", lib("e7", "a = 1"));
    d.check("FUNCTION", "LOAD", lib("e8", "redis.register_function()"));
    d.check("FUNCTION", "LOAD", lib("e9", "redis.register_function(1, function() end)"));
    d.check("FUNCTION", "LOAD", lib("e10", "redis.register_function('x', 1)"));
    d.check("FUNCTION", "LOAD", lib("e11", "redis.register_function('bad-name', function() end)"));
    d.check("FUNCTION", "LOAD", lib("e12", "redis.register_function{function_name='x', callback=function() end, flags={'nope'}}"));
    d.check("FUNCTION", "LOAD", lib("e13", "redis.register_function{function_name='x'}"));
    d.check("FUNCTION", "LOAD", lib("e14", "redis.register_function{callback=function() end}"));
    d.check("FUNCTION", "LOAD", lib("e15", "redis.register_function{function_name='x', callback=function() end, what=1}"));
    d.check("FUNCTION", "LOAD", lib("e16", "redis.register_function('x'"));
    d.check("FUNCTION", "LOAD", lib("e17", "local a = 1 while 1 do a = a + 1 end"));
    d.check("PING");
    d.check("FUNCTION", "LOAD", "#!luax name=x\nreturn");
    d.check("FUNCTION", "LOAD", "#!lua name=x foo=bar\nreturn");
    d.check("FUNCTION", "LOAD", "#!lua name=x name=y\nreturn");
    d.check("FUNCTION", "LOAD", "#!lua\nreturn");
    d.check("FUNCTION", "LOAD", "#!lua name=a-b\nreturn");
    d.check("FUNCTION", "LOAD", "no metadata");
    d.check("FUNCTION", "LOAD", "#!lua name=x");
    d.check("FUNCTION", "LOAD", "BOGUS", lib("x", "return"));
    d.check("FUNCTION", "LIST");
  }

  @Test
  void callingFunctions() throws Exception {
    d.check("FUNCTION", "LOAD",
        lib("calls", "redis.register_function('setit', function(keys, args) return redis.call('set', keys[1], args[1]) end)"));
    d.check("FUNCTION", "LOAD",
        lib("reads", "redis.register_function{function_name='count', callback=function(keys, args) return #keys + #args end, "
            + "flags={'no-writes'}, description='counts'}"));
    d.check("FUNCTION", "LOAD", lib("errs", "redis.register_function('bad', function() return a end)"));
    d.check("FCALL", "setit", "1", "k", "v");
    d.check("GET", "k");
    d.check("FCALL", "SETIT", "1", "k", "v2");
    d.check("FCALL_RO", "setit", "1", "k", "v");
    d.check("FCALL_RO", "count", "2", "a", "b", "c");
    d.check("FCALL", "count", "x");
    d.check("FCALL", "count", "-1");
    d.check("FCALL", "count", "5", "a");
    d.check("FCALL", "nosuch", "0");
    d.check("FCALL", "bad", "0");
    d.check("FUNCTION", "LIST", "LIBRARYNAME", "reads");
    d.check("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "call*");
    d.check("FUNCTION", "LIST", "LIBRARYNAME");
    d.check("FUNCTION", "LIST", "WITHCODE", "WITHCODE");
    d.check("FUNCTION", "LOAD", lib("reads", "redis.register_function('other', function() return 1 end)"));
    d.check("FUNCTION", "LOAD", "REPLACE", lib("reads", "redis.register_function('setit', function() return 1 end)"));
    d.check("FCALL", "count", "0");
    d.check("FUNCTION", "LOAD", "REPLACE", lib("reads", "redis.register_function('count2', function() return 2 end)"));
    d.check("FCALL", "count2", "0");
    d.check("FCALL", "count", "0");
    d.check("FUNCTION", "DELETE", "reads");
    d.check("FUNCTION", "DELETE", "reads");
    d.check("FUNCTION", "FLUSH", "BAD");
    d.check("FUNCTION", "STATS");
    d.check("FUNCTION", "KILL");
    d.check("FUNCTION", "RESTORE", "garbage");
    d.check("FUNCTION", "RESTORE", "x", "NOPE");
    d.check("FUNCTION", "NOSUCH");
  }

  @Test
  void dumpsRestoreAcrossServersAndLibrariesSurviveARestart() throws Exception {
    try (Jedis k = new Jedis("127.0.0.1", node.port());
        Jedis r = new Jedis("127.0.0.1", redis.port())) {
      k.functionLoad(lib("fromks", "redis.register_function('ks1', function(keys, args) return 'ks' end)"));
      r.functionLoad(lib("fromredis", "redis.register_function('rd1', function(keys, args) return 'redis, with a longer body' end)"));
      byte[] ksDump = k.functionDump();
      byte[] redisDump = r.functionDump();
      assertEquals("OK", r.functionRestore(ksDump));
      assertEquals("OK", k.functionRestore(redisDump));
      assertEquals("ks", r.fcall("ks1", List.of(), List.of()));
      assertEquals("redis, with a longer body", k.fcall("rd1", List.of(), List.of()));
      assertEquals("OK", k.functionRestore(ksDump, FunctionRestorePolicy.REPLACE));
      assertEquals("OK", k.functionRestore(redisDump, FunctionRestorePolicy.FLUSH));
      assertEquals(1, k.functionList().size());
      k.functionLoad(lib("kept", "redis.register_function('kept', function() return 'still here' end)"));
    }
    node.close();
    node = TestNode.start(dir, Map.of());
    try (Jedis k = new Jedis("127.0.0.1", node.port())) {
      assertEquals("still here", k.fcall("kept", List.of(), List.of()));
      assertEquals("redis, with a longer body", k.fcall("rd1", List.of(), List.of()));
      assertEquals(2, k.functionList().size());
    }
    d.close();
    d = new Differential(node.port(), redis.port());
  }
}
