package io.keyshard.node.scripting;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.JFunction;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.LuaException;
import party.iroiro.luajava.lua51.Lua51Natives;

/**
 * What the libraries Redis gives scripts (cjson, cmsgpack, bit, struct, math.random) share. Each
 * library function is a Java function, which Lua sees as a C function, as Redis's are: a tail
 * call ({@code return cjson.encode(t)}) keeps the script's frame, so the error position and the
 * reply's line are the script's. Errors are worded as Lua 5.1's {@code luaL_error} and
 * {@code luaL_argerror} word them (position of the caller, the function's name as the caller
 * called it). Texts are byte strings: a Java String here holds one byte per char (ISO-8859-1).
 */
final class LuaLib {
  /** Lua 5.1's LUAI_MAXCSTACK: the slots a C function may use, which the libraries' stack checks hit. */
  static final int MAX_C_STACK = 8000;

  /** A library function: reads its arguments, pushes its results, answers how many. */
  @FunctionalInterface
  interface Body {
    int call(Lua l);
  }

  /** An error a library function raises, rendered by {@link #fn} as Lua would render it. */
  static final class LibError extends RuntimeException {
    private final int argument;
    private final boolean positioned;

    private LibError(String message, int argument, boolean positioned) {
      super(message, null, false, false);
      this.argument = argument;
      this.positioned = positioned;
    }
  }

  /**
   * A Lua error already on top of the stack (the hook's SCRIPT KILL table, raised while a library
   * ran Lua code), to be raised again as it is.
   */
  static final class Reraise extends RuntimeException {
    Reraise() {
      super(null, null, false, false);
    }
  }

  /** luaL_error: the caller's position, then the text. */
  static LibError error(String message) {
    return new LibError(message, -1, true);
  }

  /** luaL_argerror: "bad argument #n to 'name' (text)" after the caller's position. */
  static LibError argError(int argument, String message) {
    return new LibError(message, argument, true);
  }

  /** An error Lua's core raises without a position (e.g. "table index is nil" from a C function). */
  static LibError plainError(String message) {
    return new LibError(message, -1, false);
  }

  private final int nameOf;

  /** Needs the debug library still in the globals (the sandbox removes it afterwards). */
  LuaLib(Lua lua) {
    // How the caller named the running C function: the "n" of debug.getinfo, which Lua's
    // luaL_argerror reads too (level 1 is this helper, level 2 the Java function calling it).
    try {
      lua.load("local getinfo = debug.getinfo\n"
          + "return function() local ar = getinfo(2, 'n') if ar then return ar.name, ar.namewhat end end");
      lua.pCall(0, 1);
    } catch (LuaException e) {
      throw new IllegalStateException("the library helper did not load", e);
    }
    nameOf = lua.ref();
  }

  /** {@code body} as a Lua function raising its {@link LibError}s as Lua errors. */
  JFunction fn(Body body) {
    return l -> {
      try {
        return body.call(l);
      } catch (Reraise e) {
        return -1;
      } catch (LibError e) {
        // What the function pushed is dropped: the stack may be full (a stack overflow error).
        l.setTop(0);
        push(l, render(l, e));
        return -1;
      }
    };
  }

  private String render(Lua l, LibError e) {
    if (!e.positioned) {
      return e.getMessage();
    }
    String message = e.getMessage();
    if (e.argument >= 0) {
      int top = l.getTop();
      l.refGet(nameOf);
      String name = null;
      String what = "";
      try {
        l.pCall(0, 2);
        name = l.isString(-2) ? l.toString(-2) : null;
        what = l.isString(-1) ? l.toString(-1) : "";
      } catch (LuaException ignored) {
        // no name: "?"
      }
      l.setTop(top);
      int argument = e.argument;
      if (what.equals("method")) {
        argument--;
        if (argument == 0) {
          message = "calling '" + name + "' on bad self (" + message + ")";
          return where(l) + message;
        }
      }
      message = "bad argument #" + argument + " to '" + (name == null ? "?" : name) + "' (" + message + ")";
    }
    return where(l) + message;
  }

  /** luaL_where(L, 1): "chunk:line: " of the caller when it is a Lua function, else "". */
  private static String where(Lua l) {
    ((Lua51Natives) l.getLuaNatives()).luaL_where(l.getPointer(), 1);
    String w = text(bytes(l, -1));
    l.pop(1);
    return w;
  }

  // ---- arguments, as the luaL_check* functions read them

  /** luaL_typename: the type of argument {@code i}, "no value" past the last one. */
  static String typeName(Lua l, int i) {
    if (i > l.getTop()) {
      return "no value";
    }
    return switch (l.type(i)) {
      case NIL -> "nil";
      case BOOLEAN -> "boolean";
      case LIGHTUSERDATA, USERDATA -> "userdata";
      case NUMBER -> "number";
      case STRING -> "string";
      case TABLE -> "table";
      case FUNCTION -> "function";
      case THREAD -> "thread";
      default -> "no value";
    };
  }

  static LibError typeError(Lua l, int i, String expected) {
    return argError(i, expected + " expected, got " + typeName(l, i));
  }

  static boolean isNumber(Lua l, int i) {
    return i <= l.getTop() && l.isNumber(i);
  }

  static boolean isNoneOrNil(Lua l, int i) {
    return i > l.getTop() || l.type(i) == Lua.LuaType.NIL;
  }

  /** luaL_checknumber: a number or a numeric string. */
  static double checkNumber(Lua l, int i) {
    if (!isNumber(l, i)) {
      throw typeError(l, i, "number");
    }
    return l.toNumber(i);
  }

  /** luaL_checkinteger: as checkNumber, then C's (ptrdiff_t) conversion. */
  static long checkInteger(Lua l, int i) {
    if (!isNumber(l, i)) {
      throw typeError(l, i, "number");
    }
    return l.toInteger(i);
  }

  static long optInteger(Lua l, int i, long otherwise) {
    return isNoneOrNil(l, i) ? otherwise : checkInteger(l, i);
  }

  /** luaL_checklstring: a string, or a number as its text (%.14g). */
  static byte[] checkBytes(Lua l, int i) {
    Lua.LuaType t = i <= l.getTop() ? l.type(i) : Lua.LuaType.NONE;
    if (t != Lua.LuaType.STRING && t != Lua.LuaType.NUMBER) {
      throw typeError(l, i, "string");
    }
    return bytes(l, i);
  }

  /** The bytes of the string (or number, which Lua turns into its text in place) at {@code i}. */
  static byte[] bytes(Lua l, int i) {
    ByteBuffer b = l.toBuffer(i);
    if (b == null) {
      return new byte[0];
    }
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** Grows the stack for {@code n} more values after checking Lua's limit, as luaL_checkstack does. */
  static void checkStack(Lua l, int slots, int n, String message) {
    if (slots + n > MAX_C_STACK) {
      throw error("stack overflow (" + message + ")");
    }
    l.checkStack(n);
  }

  // ---- results

  static void push(Lua l, String text) {
    push(l, text.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static final byte[] CHUNK_START = "return \"".getBytes(StandardCharsets.US_ASCII);

  /**
   * Pushes bytes as a Lua string. LuaJava passes Java strings as modified UTF-8, which is the
   * bytes themselves only for 1..127; anything else goes through a chunk holding a string literal
   * (the lexer keeps every byte but a newline, a quote and a backslash, which are escaped).
   */
  static void push(Lua l, byte[] b) {
    push(l, b, 0, b.length);
  }

  static void push(Lua l, byte[] b, int from, int to) {
    boolean ascii = true;
    for (int i = from; i < to && ascii; i++) {
      ascii = b[i] > 0;
    }
    if (ascii) {
      l.push(new String(b, from, to - from, StandardCharsets.ISO_8859_1));
      return;
    }
    ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_START.length + 2 * (to - from) + 8);
    chunk.put(CHUNK_START);
    for (int i = from; i < to; i++) {
      byte c = b[i];
      if (c == '"' || c == '\\') {
        chunk.put((byte) '\\').put(c);
      } else if (c == '\n') {
        chunk.put((byte) '\\').put((byte) 'n');
      } else if (c == '\r') {
        chunk.put((byte) '\\').put((byte) 'r');
      } else {
        chunk.put(c);
      }
    }
    chunk.put((byte) '"').flip();
    Lua51Natives natives = (Lua51Natives) l.getLuaNatives();
    if (natives.luaJ_loadbuffer(l.getPointer(), chunk, chunk.limit(), "=string") != 0) {
      throw new IllegalStateException("a string could not be pushed: " + l.toString(-1));
    }
    // Run raw: the count hook may raise SCRIPT KILL's table here, which must reach the script.
    if (natives.lua_pcall(l.getPointer(), 0, 1, 0) != 0) {
      throw new Reraise();
    }
  }

  /** cjson.null: the NULL light userdata ("userdata: (nil)"), equal to every other one. */
  static void pushNull(Lua l) {
    ((Lua51Natives) l.getLuaNatives()).lua_pushlightuserdata(l.getPointer(), 0);
  }

  /** Whether the value at {@code i} is a light userdata holding NULL (cjson.null). */
  static boolean isNull(Lua l, int i) {
    return l.type(i) == Lua.LuaType.LIGHTUSERDATA
        && ((Lua51Natives) l.getLuaNatives()).lua_touserdata(l.getPointer(), i) == 0;
  }
}
