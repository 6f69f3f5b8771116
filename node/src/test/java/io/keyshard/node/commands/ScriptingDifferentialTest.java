package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.DifferentialTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * EVAL, EVALSHA, EVAL_RO, SCRIPT against a real redis-server 7.0.15, reply for reply (RESP2 and
 * RESP3): conversions both ways, the errors of redis.call and of the arguments, shebang flags,
 * keys a script did not declare, keyspace-wide commands inside a script, scripts inside MULTI;
 * then what only Keyshard can be asked: that a script is atomic for other clients, and BUSY /
 * SCRIPT KILL / UNKILLABLE.
 */
class ScriptingDifferentialTest extends DifferentialTestBase {

  @BeforeEach
  void flushScripts() throws Exception {
    d.check("SCRIPT", "FLUSH");
  }

  @Test
  void repliesConvertBothWaysAsInRedis() throws Exception {
    d.check("SET", "s", "v");
    d.check("RPUSH", "l", "a", "b");
    d.check("HSET", "h", "f", "1");
    for (String proto : List.of("2", "3")) {
      d.both("HELLO", proto);
      d.check("EVAL", "return {1, 'two', 3.99, -2.5, true, false, nil, 4}", "0");
      d.check("EVAL", "return {ok='fine'}", "0");
      d.check("EVAL", "return {err='MYERR custom'}", "0");
      d.check("EVAL", "return redis.error_reply('CODE text')", "0");
      d.check("EVAL", "return redis.status_reply('STATUS')", "0");
      d.check("EVAL", "return redis.call('get', KEYS[1])", "1", "s");
      d.check("EVAL", "return redis.call('get', 'missing')", "0");
      d.check("EVAL", "return redis.call('lrange', KEYS[1], 0, -1)", "1", "l");
      d.check("EVAL", "return redis.call('hgetall', KEYS[1])", "1", "h");
      d.check("EVAL", "return type(redis.call('get', 'missing'))", "0");
      d.check("EVAL", "return redis.call('set', 'x', 1)", "0");
      d.check("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}", "2", "k1", "k2", "a1", "a2");
      d.check("EVAL", "redis.setresp(3); return redis.call('hgetall', KEYS[1])", "1", "h");
      d.check("EVAL", "return redis.call('incrbyfloat', 'f', 1.5)", "0");
      d.check("EVAL", "return tostring(9007199254740991)", "0");
      d.check("EVAL", "return redis.call('set', 'n', 9007199254740991)", "0");
      d.check("GET", "n");
      d.check("EVAL", "return redis.sha1hex('abc')", "0");
      d.check("EVAL", "return 3.99", "0");
      d.check("EVAL", "return", "0");
    }
  }

  @Test
  void errorsAreRedisTexts() throws Exception {
    d.check("SET", "s", "v");
    d.check("EVAL", "return redis.call('incr', 's')", "0");
    d.check("EVAL", "return redis.pcall('incr', 's')", "0");
    d.check("EVAL", "return redis.call('nosuchcommand')", "0");
    d.check("EVAL", "return redis.call('get')", "0");
    d.check("EVAL", "return redis.call()", "0");
    d.check("EVAL", "return redis.call('get', {})", "0");
    d.check("EVAL", "return redis.call('blpop', 'l', 0)", "0");
    d.check("EVAL", "return redis.call('multi')", "0");
    d.check("EVAL", "return redis.call('config', 'nosuch')", "0");
    d.check("EVAL", "return a", "0");
    d.check("EVAL", "a = 1", "0");
    d.check("EVAL", "error('plain')", "0");
    d.check("EVAL", "error({err='TABLE err'})", "0");
    d.check("EVAL", "return pcall(redis.call, 'incr', 's')", "0");
    d.check("EVAL", "local ok, e = pcall(redis.call, 'incr', 's'); return e", "0");
    d.check("EVAL", "return 'unterminated", "0");
    d.check("EVAL", "return 1", "x");
    d.check("EVAL", "return 1", "-1");
    d.check("EVAL", "return 1", "3", "a");
    d.check("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0");
    d.check("EVALSHA", "short", "0");
    d.check("EVAL_RO", "return redis.call('set', 'x', 1)", "0");
    d.check("EVAL_RO", "return redis.call('get', 's')", "0");
    d.check("SCRIPT", "FLUSH", "LATER");
    d.check("SCRIPT", "NOSUCH");
    d.check("SCRIPT", "KILL");
    d.check("EVAL", "return print", "0");
    d.check("EVAL", "return os", "0");
    d.check("EVAL", "return loadfile", "0");
  }

  @Test
  void cacheAndShebangFlags() throws Exception {
    d.check("SCRIPT", "LOAD", "return 'loaded'");
    String hex = io.keyshard.node.scripting.LuaEngine.sha1("return 'loaded'".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    d.check("EVALSHA", hex, "0");
    d.check("EVALSHA", hex.toUpperCase(), "0");
    d.check("SCRIPT", "EXISTS", hex, "0000000000000000000000000000000000000000");
    d.check("SCRIPT", "FLUSH", "ASYNC");
    d.check("SCRIPT", "EXISTS", hex);
    d.check("EVAL", "#!lua\nreturn 1", "0");
    d.check("EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'x', 1)", "0");
    d.check("EVAL", "#!lua flags=no-writes,allow-oom\nreturn redis.call('get', 'x')", "0");
    d.check("EVAL", "#!lua flags=NO-WRITES\nreturn 1", "0");
    d.check("EVAL", "#!lua foo=bar\nreturn 1", "0");
    d.check("EVAL", "#!luax\nreturn 1", "0");
    d.check("EVAL", "#!lua", "0");
    d.check("EVAL", "#!lua\nreturn a", "0");
    d.check("EVAL_RO", "#!lua\nreturn 1", "0");
    d.check("EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0");
  }

  @Test
  void undeclaredKeysAndKeyspaceCommandsSeeEverything() throws Exception {
    // Keys in many slots, none declared: the script reruns holding them, atomically.
    d.check("EVAL", "for i = 1, 50 do redis.call('set', 'k' .. i, i) end return redis.call('dbsize')", "0");
    d.check("EVAL", "local t = {} for i = 1, 50 do t[i] = redis.call('get', 'k' .. i) end return t", "0");
    d.check(Differential::sorted, "EVAL", "return redis.call('keys', 'k1*')", "0");
    d.check("EVAL", "redis.call('select', 3); redis.call('set', 'in3', 'x'); return redis.call('dbsize')", "0");
    d.check("DBSIZE");
    d.check("SELECT", "3");
    d.check("GET", "in3");
    d.check("SELECT", "0");
    d.check("EVAL", "redis.call('flushdb'); return redis.call('dbsize')", "0");
    d.check("DBSIZE");
  }

  @Test
  void scriptsInsideMultiRunInTheTransaction() throws Exception {
    d.check("MULTI");
    d.check("SET", "a", "1");
    d.check("EVAL", "return redis.call('incr', 'a') + redis.call('incr', 'undeclared')", "0");
    d.check("EVAL", "return redis.call('get', KEYS[1])", "1", "a");
    d.check("EXEC");
    d.check("MGET", "a", "undeclared");
  }

  @Test
  void aScriptIsAtomicForOtherClients() throws Exception {
    // A script moves 100 units between two keys of different slots, never declared, 300 times;
    // a reader summing both with MGET must always see 1000.
    try (Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
      j.mset("{a}bal", "1000", "{b}bal", "0");
    }
    String script =
        "local from, to = 'x', 'y' "
            + "if tonumber(redis.call('get', '{a}bal')) >= 100 then from, to = '{a}bal', '{b}bal' else from, to = '{b}bal', '{a}bal' end "
            + "redis.call('decrby', from, 100) redis.call('incrby', to, 100) return 1";
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Integer> writer =
          pool.submit(
              () -> {
                try (Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
                  for (int i = 0; i < 300; i++) {
                    j.eval(script, 0);
                  }
                }
                return 300;
              });
      List<Long> wrong = new ArrayList<>();
      try (Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
        int reads = 0;
        while (!writer.isDone() || reads < 100) {
          List<String> both = j.mget("{a}bal", "{b}bal");
          long sum = Long.parseLong(both.get(0)) + Long.parseLong(both.get(1));
          if (sum != 1000) {
            wrong.add(sum);
          }
          reads++;
        }
      }
      assertEquals(300, writer.get());
      assertEquals(List.of(), wrong, "a reader saw a script half done");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLongScriptMakesOthersBusyUntilKilled() throws Exception {
    try (Jedis admin = new Jedis("127.0.0.1", node.port())) {
      admin.configSet("busy-reply-threshold", "300");
      try {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<String> looping =
            pool.submit(
                () -> {
                  try (Jedis j = new Jedis("127.0.0.1", node.port(), 60_000)) {
                    j.eval("local i = 0 while true do i = i + 1 end", 0);
                    return "ended";
                  } catch (Exception e) {
                    return e.getMessage();
                  }
                });
        String seen = waitForBusy(admin);
        assertEquals(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", seen);
        assertEquals("OK", admin.scriptKill());
        String ended = looping.get();
        assertTrue(ended.startsWith("ERR Script killed by user with SCRIPT KILL..."), ended);
        assertEquals("PONG", admin.ping());
        try {
          admin.scriptKill();
        } catch (Exception e) {
          assertEquals("NOTBUSY No scripts in execution right now.", e.getMessage());
        }

        // A script that wrote cannot be killed; it ends by itself (here after 1.5 s).
        Future<Object> writing =
            pool.submit(
                () -> {
                  try (Jedis j = new Jedis("127.0.0.1", node.port(), 60_000)) {
                    return j.eval(
                        "redis.call('set', 'w', 'written') local t = redis.call('time') "
                            + "local stop = t[1] * 1000000 + t[2] + 1500000 "
                            + "while true do local n = redis.call('time') if n[1] * 1000000 + n[2] > stop then break end end "
                            + "return 'done'",
                        0);
                  }
                });
        waitForBusy(admin);
        try {
          admin.scriptKill();
          throw new AssertionError("SCRIPT KILL of a script that wrote was accepted");
        } catch (redis.clients.jedis.exceptions.JedisDataException e) {
          assertTrue(e.getMessage().startsWith("UNKILLABLE Sorry the script already executed write commands"), e.getMessage());
        }
        assertEquals("done", writing.get());
        assertEquals("written", admin.get("w"));
        pool.shutdownNow();
      } finally {
        admin.configSet("busy-reply-threshold", "5000");
      }
    }
  }

  private static String waitForBusy(Jedis admin) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (System.nanoTime() < deadline) {
      try {
        admin.ping();
      } catch (redis.clients.jedis.exceptions.JedisDataException e) {
        return e.getMessage();
      }
      Thread.sleep(20);
    }
    throw new AssertionError("never BUSY");
  }
}
