package io.keyshard.node.scripting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine against the replies Redis 7.0.15 gives (checked on Debian's redis-server, recorded in
 * docs/research/2026-12-07-redis-7.0-lua-facts.md): conversions, error texts, the sandbox, kill.
 */
class LuaEngineTest {
  private final LuaEngine engine = new LuaEngine();
  private final List<String> called = new ArrayList<>();

  @AfterEach
  void close() {
    engine.close();
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A stand-in for the command table: GET answers "bar", INCR 7, ECHO its argument, else an error. */
  private Reply call(byte[][] argv) {
    String name = new String(argv[0], StandardCharsets.UTF_8).toLowerCase();
    called.add(name + (argv.length > 1 ? " " + new String(argv[1], StandardCharsets.ISO_8859_1) : ""));
    return switch (name) {
      case "get" -> Reply.bulk("bar");
      case "missing" -> Reply.NULL;
      case "incr" -> Reply.integer(7);
      case "echo" -> Reply.bulk(argv[1]);
      case "set" -> Reply.OK;
      case "hgetall" -> new Reply.Map(List.of(Reply.bulk("f"), Reply.bulk("v")));
      default -> Reply.error("ERR Unknown Redis command called from script");
    };
  }

  private Reply eval(String script, String... args) throws Exception {
    String sha = engine.load(b(script));
    List<byte[]> a = new ArrayList<>();
    for (String s : args) {
      a.add(b(s));
    }
    return engine.run(sha, List.of(b("k1")), a, this::call);
  }

  private static String text(Reply r) {
    return r instanceof Reply.Bulk bulk ? new String(bulk.value(), StandardCharsets.UTF_8) : String.valueOf(r);
  }

  @Test
  void valuesComeBackAsRedisConvertsThem() throws Exception {
    assertEquals(Reply.integer(100), eval("return 100.5"));
    assertEquals(Reply.integer(-1), eval("return -1.9"));
    assertEquals(Reply.integer(Long.MIN_VALUE), eval("return 1/0"));
    assertEquals("hello", text(eval("return 'hello'")));
    assertEquals(Reply.integer(1), eval("return true"));
    assertEquals(Reply.NULL, eval("return false"));
    assertEquals(Reply.NULL, eval("return"));
    assertEquals(Reply.array(List.of(Reply.integer(1), Reply.integer(2))), eval("return {1,2,nil,4}"));
    assertEquals(Reply.array(List.of(Reply.integer(1), Reply.NULL, Reply.integer(3))), eval("return {1,false,3}"));
    assertEquals(Reply.simple("FINE"), eval("return {ok='FINE'}"));
    assertEquals(Reply.error("MY_ERR some thing"), eval("return {err='MY_ERR some\\nthing'}"));
    assertEquals(Reply.error("ERR nospace"), eval("return redis.error_reply('nospace')"));
    assertEquals(Reply.error("MY_CODE msg"), eval("return redis.error_reply('-MY_CODE msg')"));
    assertEquals(Reply.simple("x"), eval("return redis.status_reply('x')"));
    assertEquals("k1 a b", text(eval("return KEYS[1] .. ' ' .. ARGV[1] .. ' ' .. ARGV[2]", "a", "b")));
  }

  @Test
  void numbersAndFormattingAreLua51s() throws Exception {
    assertEquals("0.33333333333333", text(eval("return tostring(1/3)")));
    assertEquals(" 0.33|1099511627776", text(eval("return string.format('%5.2f|%d', 1/3, 2^40)")));
    // Numbers passed to redis.call are C's %.17g.
    assertEquals("0.10000000000000001", text(eval("return redis.call('echo', 0.1)")));
    assertEquals("9007199254740991", text(eval("return redis.call('echo', 9007199254740991)")));
  }

  @Test
  void repliesOfCommandsBecomeLuaValues() throws Exception {
    assertEquals("bar", text(eval("return redis.call('GET', KEYS[1])")));
    assertEquals(Reply.integer(8), eval("return redis.call('incr', 'x') + 1"));
    assertEquals(Reply.integer(1), eval("return redis.call('missing', 'x') == false and 1 or 0"));
    assertEquals(Reply.simple("OK"), eval("return redis.call('set', 'a', 'b')"));
    assertEquals("OK", text(eval("return redis.call('set', 'a', 'b').ok")));
    // RESP2 in the script: a map is a flat array; after setresp(3) a {map=...}.
    assertEquals("f v", text(eval("local r = redis.call('hgetall', 'h') return #r == 2 and r[1] .. ' ' .. r[2]")));
    assertEquals("v", text(eval("redis.setresp(3) return redis.call('hgetall', 'h').map.f")));
    // Binary-safe both ways.
    byte[] bin = {0, (byte) 0xff, 13, 10, '"', '\\', 'A'};
    String sha = engine.load(b("return redis.call('echo', ARGV[1])"));
    Reply r = engine.run(sha, List.of(), List.of(bin), this::call);
    assertArrayEquals(bin, ((Reply.Bulk) r).value());
    assertEquals(Reply.integer(7), engine.run(engine.load(b("return #ARGV[1]")), List.of(), List.of(bin), this::call));
  }

  @Test
  void errorsHaveRedis70sText() throws Exception {
    String sha = LuaEngine.sha1(b("return a"));
    assertEquals(
        Reply.error("ERR user_script:1: Script attempted to access nonexistent global variable 'a' script: " + sha + ", on @user_script:1."),
        eval("return a"));
    sha = LuaEngine.sha1(b("a=10"));
    assertEquals(Reply.error("ERR user_script:1: Attempt to modify a readonly table script: " + sha + ", on @user_script:1."), eval("a=10"));
    String script = "local x = nil\nreturn x.y";
    assertEquals(
        Reply.error("ERR user_script:2: attempt to index local 'x' (a nil value) script: " + LuaEngine.sha1(b(script)) + ", on @user_script:2."),
        eval(script));
    script = "\nreturn redis.call('nosuch')";
    assertEquals(
        Reply.error("ERR Unknown Redis command called from script script: " + LuaEngine.sha1(b(script)) + ", on @user_script:2."),
        eval(script));
    // pcall sees the error's text; redis.pcall answers the table.
    assertEquals("ERR Unknown Redis command called from script", text(eval("local ok, e = pcall(redis.call, 'nosuch') return e")));
    assertEquals(Reply.error("ERR Unknown Redis command called from script"), eval("return redis.pcall('nosuch')"));
    // pcall keeps every value a call returns, nils between them too.
    assertEquals(Reply.integer(4), eval("return select('#', pcall(function() return 1, nil, 3 end))"));
    script = "return redis.call('echo', {})";
    assertEquals(
        Reply.error("ERR Lua redis lib command arguments must be strings or integers script: " + LuaEngine.sha1(b(script)) + ", on @user_script:1."),
        eval(script));
    LuaEngine.ScriptError compile = assertThrows(LuaEngine.ScriptError.class, () -> engine.load(b("this is not lua")));
    assertTrue(compile.getMessage().startsWith("ERR Error compiling script (new function): user_script:1: "), compile.getMessage());
    assertEquals("NOSCRIPT No matching script. Please use EVAL.",
        assertThrows(LuaEngine.ScriptError.class, () -> engine.run("ffffffffffffffffffffffffffffffffffffffff", List.of(), List.of(), this::call)).getMessage());
    // A shebang line is dropped but counted.
    script = "#!lua\nreturn a";
    assertTrue(text(eval(script)).contains("on @user_script:2."));
  }

  @Test
  void theSandboxHasRedisGlobalsOnly() throws Exception {
    for (String gone : new String[] {"print", "dofile", "loadfile", "os", "io", "require", "debug"}) {
      assertTrue(text(eval("return " + gone)).contains("nonexistent global variable '" + gone + "'"), gone);
    }
    assertTrue(text(eval("redis.call = function() end")).contains("Attempt to modify a readonly table"));
    assertTrue(text(eval("string.upper = nil")).contains("Attempt to modify a readonly table"));
    assertEquals("ABC", text(eval("return ('abc'):upper()")));
    assertEquals("Lua 5.1", text(eval("return _VERSION")));
    assertEquals(Reply.integer(3), eval("local t = {} t.x = 3 return t.x"));
  }

  @Test
  void scriptKillStopsAScriptEvenInAPcallLoop() throws Exception {
    String sha = engine.load(b("while true do pcall(function() local x = 1 end) end"));
    AtomicLong started = new AtomicLong(System.nanoTime());
    Thread killer = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException ignored) {
        // test ends
      }
      engine.kill();
    });
    killer.start();
    Reply r = engine.run(sha, List.of(), List.of(), this::call);
    killer.join();
    assertTrue(String.valueOf(r).contains("ERR Script killed by user with SCRIPT KILL..."), String.valueOf(r));
    assertTrue(System.nanoTime() - started.get() < 30_000_000_000L);
    // The engine goes on working after a kill.
    assertEquals(Reply.integer(2), eval("return 1 + 1"));
  }

  @Test
  void theLibrariesAreRedis70s() throws Exception {
    // A fresh engine's generator starts where a fresh redis-server's does.
    assertEquals("0.39646477363839", text(eval("return tostring(math.random())")));
    assertEquals("0.87885112309775", text(eval("math.randomseed(10) return tostring(math.random())")));
    assertEquals("{\"a\":[1,2,{\"b\":null}]}", text(eval("return cjson.encode({a = {1, 2, {b = cjson.null}}})")));
    assertEquals(Reply.integer(258), eval("return struct.unpack('>I2', struct.pack('>I2', 258))"));
    assertEquals("000000ff", text(eval("return bit.tohex(bit.band(0xfff, 0xff))")));
    for (String lib : new String[] {"cjson.encode", "cmsgpack.pack", "bit.band", "struct.pack"}) {
      assertTrue(text(eval(lib + " = nil")).contains("Attempt to modify a readonly table"), lib);
    }
    // An error names the script's line even through a tail call.
    String script = "local t = {}\nreturn cjson.encode(function() end)";
    assertEquals(Reply.error("ERR user_script:2: Cannot serialise function: type not supported script: "
        + LuaEngine.sha1(b(script)) + ", on @user_script:2."), eval(script));
  }

  @Test
  void cjsonSettingsLastUntilFlush() throws Exception {
    eval("cjson.encode_max_depth(3)");
    assertEquals(Reply.integer(3), eval("return cjson.encode_max_depth()"));
    engine.flush();
    assertEquals(Reply.integer(1000), eval("return cjson.encode_max_depth()"));
  }

  @Test
  void binaryStringsCrossTheLibraries() throws Exception {
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
    }
    for (String script : new String[] {"return cmsgpack.unpack(cmsgpack.pack(ARGV[1]))",
        "return cjson.decode(cjson.encode(ARGV[1]))", "return struct.unpack('s', struct.pack('c0x', ARGV[1]:sub(2)))",
        "return cjson.decode(cjson.encode({[ARGV[1]] = 1}))[ARGV[1]] and ARGV[1]"}) {
      Reply r = engine.run(engine.load(b(script)), List.of(), List.of(all), this::call);
      assertArrayEquals(java.util.Arrays.copyOfRange(all, script.contains("struct") ? 1 : 0, 256), ((Reply.Bulk) r).value(), script);
    }
  }

  @Test
  void scriptKillStopsALibraryLoop() throws Exception {
    // Non-ASCII strings go through a chunk of Lua: the kill must still arrive as the kill.
    String sha = engine.load(b("while true do cmsgpack.unpack(cmsgpack.pack('\\255', {x = '\\200'})) end"));
    Thread killer = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException ignored) {
        // test ends
      }
      engine.kill();
    });
    killer.start();
    Reply r = engine.run(sha, List.of(), List.of(), this::call);
    killer.join();
    assertTrue(String.valueOf(r).contains("ERR Script killed by user with SCRIPT KILL..."), String.valueOf(r));
  }

  @Test
  void theCacheIsBySha() throws Exception {
    String sha = engine.load(b("return 1"));
    assertEquals("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", sha);
    assertTrue(engine.exists(sha.toUpperCase()));
    engine.flush();
    assertEquals(0, engine.cached());
  }
}
