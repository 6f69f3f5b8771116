package io.keyshard.node.scripting;

import party.iroiro.luajava.Lua;

/**
 * Redis 7.0's {@code math.random} and {@code math.randomseed}: its own lrand48 (the 48-bit
 * generator x = x * 0x5DEECE66D + 0xB, 31 bits out), one state for the whole engine, never
 * reseeded between scripts (facts section 3.3). A fresh engine's first {@code math.random()} is
 * 0.39646477363839, as a fresh redis-server's is.
 */
final class LuaRandom {
  private static final long MASK = (1L << 48) - 1;
  private static final long MAX = 0x7fffffffL;

  private long x = 0x1234ABCD330EL;

  /** Replaces math.random and math.randomseed (before the sandbox makes math read-only). */
  void install(Lua lua, LuaLib lib) {
    lua.getGlobal("math");
    lua.push(lib.fn(this::random));
    lua.setField(-2, "random");
    lua.push(lib.fn(this::randomseed));
    lua.setField(-2, "randomseed");
    lua.pop(1);
  }

  long next() {
    x = (x * 0x5DEECE66DL + 0xB) & MASK;
    return x >>> 17;
  }

  void seed(int seed) {
    x = ((seed & 0xffffffffL) << 16) | 0x330E;
  }

  /** random() in [0,1), random(m) in [1,m], random(m,n) in [m,n]; bounds are C ints. */
  private int random(Lua l) {
    // The generator moves before the arguments are checked, as Redis's does.
    double r = (double) (next() % MAX) / (double) MAX;
    switch (l.getTop()) {
      case 0 -> l.push(r);
      case 1 -> {
        int u = (int) LuaLib.checkInteger(l, 1);
        if (u < 1) {
          throw LuaLib.argError(1, "interval is empty");
        }
        l.push(Math.floor(r * u) + 1);
      }
      case 2 -> {
        int lo = (int) LuaLib.checkInteger(l, 1);
        int hi = (int) LuaLib.checkInteger(l, 2);
        if (lo > hi) {
          throw LuaLib.argError(2, "interval is empty");
        }
        // hi - lo + 1 wraps as C's int arithmetic does.
        l.push(Math.floor(r * (hi - lo + 1)) + lo);
      }
      default -> throw LuaLib.error("wrong number of arguments");
    }
    return 1;
  }

  private int randomseed(Lua l) {
    seed((int) LuaLib.checkInteger(l, 1));
    return 0;
  }
}
