package io.keyshard.node.scripting;

import java.util.function.IntBinaryOperator;
import party.iroiro.luajava.Lua;

/**
 * The {@code bit} table Redis gives scripts (LuaBitOp's functions): operations on signed 32-bit
 * integers, results as Lua numbers. Behaviour checked against redis-server 7.0.15 by
 * ScriptLibrariesDifferentialTest.
 */
final class LuaBit {
  private LuaBit() {}

  static void install(Lua lua, LuaLib lib) {
    lua.newTable();
    set(lua, lib, "tobit", l -> push(l, arg(l, 1)));
    set(lua, lib, "bnot", l -> push(l, ~arg(l, 1)));
    set(lua, lib, "band", l -> fold(l, (a, b) -> a & b));
    set(lua, lib, "bor", l -> fold(l, (a, b) -> a | b));
    set(lua, lib, "bxor", l -> fold(l, (a, b) -> a ^ b));
    set(lua, lib, "lshift", l -> push(l, arg(l, 1) << (arg(l, 2) & 31)));
    set(lua, lib, "rshift", l -> push(l, arg(l, 1) >>> (arg(l, 2) & 31)));
    set(lua, lib, "arshift", l -> push(l, arg(l, 1) >> (arg(l, 2) & 31)));
    set(lua, lib, "rol", l -> push(l, Integer.rotateLeft(arg(l, 1), arg(l, 2) & 31)));
    set(lua, lib, "ror", l -> push(l, Integer.rotateRight(arg(l, 1), arg(l, 2) & 31)));
    set(lua, lib, "bswap", l -> push(l, Integer.reverseBytes(arg(l, 1))));
    set(lua, lib, "tohex", LuaBit::tohex);
    lua.setGlobal("bit");
  }

  private static void set(Lua lua, LuaLib lib, String name, LuaLib.Body body) {
    lua.push(lib.fn(body));
    lua.setField(-2, name);
  }

  /**
   * An argument as LuaBitOp normalises it: the low 32 bits of the double after adding 2^52+2^51,
   * so fractions round to nearest even and every value wraps modulo 2^32.
   */
  static int arg(Lua l, int i) {
    if (!LuaLib.isNumber(l, i)) {
      throw LuaLib.typeError(l, i, "number");
    }
    return (int) Double.doubleToRawLongBits(l.toNumber(i) + 6755399441055744.0);
  }

  private static int push(Lua l, int v) {
    l.push((double) v);
    return 1;
  }

  /** band/bor/bxor: the first argument is required, then any number more. */
  private static int fold(Lua l, IntBinaryOperator op) {
    int v = arg(l, 1);
    for (int i = 2; i <= l.getTop(); i++) {
      v = op.applyAsInt(v, arg(l, i));
    }
    return push(l, v);
  }

  /** tohex(x [, n]): n hex digits (8 by default, at most 8), upper case when n is negative. */
  private static int tohex(Lua l) {
    int b = arg(l, 1);
    int n = l.getTop() < 2 ? 8 : arg(l, 2);
    String digits = "0123456789abcdef";
    if (n < 0) {
      n = -n;
      digits = "0123456789ABCDEF";
    }
    if (n > 8 || n < 0) {
      n = 8;
    }
    char[] out = new char[n];
    for (int i = n - 1; i >= 0; i--) {
      out[i] = digits.charAt(b & 15);
      b >>>= 4;
    }
    l.push(new String(out));
    return 1;
  }
}
