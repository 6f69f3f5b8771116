package io.keyshard.node.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import party.iroiro.luajava.lua51.Lua51;

/** The plumbing every library function goes through: error wording and binary strings. */
class LuaLibTest {
  private final Lua51 lua = new Lua51();
  private final LuaLib lib;

  LuaLibTest() {
    lua.openLibraries();
    lib = new LuaLib(lua);
    lua.push(lib.fn(l -> {
      LuaLib.checkNumber(l, 1);
      return 0;
    }));
    lua.setGlobal("f");
    lua.newTable();
    lua.push(lib.fn(l -> {
      LuaLib.checkNumber(l, 2);
      return 0;
    }));
    lua.setField(-2, "g");
    lua.setGlobal("t");
    lua.push(lib.fn(l -> {
      throw LuaLib.error("plain");
    }));
    lua.setGlobal("fails");
    lua.push(lib.fn(l -> {
      LuaLib.push(l, new byte[] {'"', '\\', '\n', '\r', 0, (byte) 0xff, 'x'});
      return 1;
    }));
    lua.setGlobal("binary");
  }

  @AfterEach
  void close() {
    lua.close();
  }

  private String run(String chunk) throws Exception {
    byte[] code = chunk.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(code.length).put(code).flip();
    lua.load(buffer, "@user_script");
    lua.pCall(0, 1);
    String s = lua.toString(-1);
    lua.pop(1);
    return s;
  }

  @Test
  void errorsAreWordedAsLuaWordsThem() throws Exception {
    assertEquals("user_script:1: bad argument #1 to 'f' (number expected, got no value)",
        run("return select(2, pcall(function() f() end))"));
    assertEquals("user_script:1: bad argument #1 to 'h' (number expected, got nil)",
        run("local h = f return select(2, pcall(function() h(nil) end))"));
    assertEquals("user_script:1: bad argument #2 to 'g' (number expected, got table)",
        run("return select(2, pcall(function() t.g(1, {}) end))"));
    assertEquals("user_script:1: bad argument #1 to 'g' (number expected, got string)",
        run("return select(2, pcall(function() t:g('x') end))"));
    assertEquals("bad argument #1 to '?' (number expected, got boolean)", run("return select(2, pcall(f, true))"));
    assertEquals("user_script:2: plain", run("return select(2, pcall(function()\n return fails() end))"));
    assertEquals("plain", run("return select(2, pcall(fails))"));
  }

  @Test
  void binaryStringsArePushedAsTheyAre() throws Exception {
    assertEquals("34,92,10,13,0,255,120", run("return table.concat({string.byte(binary(), 1, -1)}, ',')"));
  }

  @Test
  void anErrorRaisedInsideAPushReachesTheScript() throws Exception {
    // A hook raising only inside the string chunk, as SCRIPT KILL's count hook may.
    assertEquals("true", run("debug.sethook(function() if debug.getinfo(2, 'S').source == '=string' then "
        + "error({killed = true}) end end, '', 1) local ok, e = pcall(binary) debug.sethook() "
        + "return tostring(not ok and type(e) == 'table' and e.killed)"));
  }
}
