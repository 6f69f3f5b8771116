package io.keyshard.node.scripting;

import java.io.ByteArrayOutputStream;
import party.iroiro.luajava.Lua;

/**
 * The {@code cmsgpack} table Redis gives scripts (lua-cmsgpack 0.4.0's behaviour, checked by
 * ScriptLibrariesDifferentialTest): pack of any number of values, unpack of a stream of them,
 * unpack_one / unpack_limit with offsets. Tables with keys exactly 1..n are arrays, others maps
 * (in {@code next} order); nesting deeper than 16 tables packs nil (so cycles end); integral
 * doubles in the int64 range pack as integers, others as float32 when that is exact.
 */
final class LuaCmsgpack {
  private static final int MAX_NESTING = 16;
  private static final String TOO_MANY =
      "too many return values at once; use unpack_one or unpack_limit instead.";

  private LuaCmsgpack() {}

  static void install(Lua lua, LuaLib lib) {
    lua.newTable();
    lua.push(lib.fn(LuaCmsgpack::pack));
    lua.setField(-2, "pack");
    lua.push(lib.fn(l -> unpack(l, 0, 0)));
    lua.setField(-2, "unpack");
    lua.push(lib.fn(l -> {
      long offset = LuaLib.optInteger(l, 2, 0);
      dropAllButFirst(l);
      return unpack(l, 1, offset);
    }));
    lua.setField(-2, "unpack_one");
    lua.push(lib.fn(l -> {
      long limit = LuaLib.checkInteger(l, 2);
      long offset = LuaLib.optInteger(l, 3, 0);
      dropAllButFirst(l);
      return unpack(l, limit, offset);
    }));
    lua.setField(-2, "unpack_limit");
    for (String[] kv : new String[][] {
        {"_NAME", "cmsgpack"},
        {"_VERSION", "lua-cmsgpack 0.4.0"},
        {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
        {"_DESCRIPTION", "MessagePack C implementation for Lua"}}) {
      lua.push(kv[1]);
      lua.setField(-2, kv[0]);
    }
    lua.setGlobal("cmsgpack");
  }

  /** unpack_one and unpack_limit pop their other arguments (which frees Lua stack for results). */
  private static void dropAllButFirst(Lua l) {
    if (l.getTop() > 1) {
      l.setTop(1);
    }
  }

  // ---- pack

  private static int pack(Lua l) {
    int n = l.getTop();
    if (n == 0) {
      throw LuaLib.argError(0, "MessagePack pack needs input.");
    }
    if (n + n > LuaLib.MAX_C_STACK) {
      throw LuaLib.argError(0, "Too many arguments for MessagePack pack.");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 1; i <= n; i++) {
      encode(l, i, 0, out);
    }
    LuaLib.push(l, out.toByteArray());
    return 1;
  }

  private static void encode(Lua l, int index, int level, ByteArrayOutputStream out) {
    switch (l.type(index)) {
      case STRING -> {
        byte[] s = LuaLib.bytes(l, index);
        int len = s.length;
        if (len < 32) {
          out.write(0xa0 | len);
        } else if (len <= 0xff) {
          out.write(0xd9);
          out.write(len);
        } else if (len <= 0xffff) {
          out.write(0xda);
          be(out, len, 2);
        } else {
          out.write(0xdb);
          be(out, len, 4);
        }
        out.write(s, 0, len);
      }
      case BOOLEAN -> out.write(l.toBoolean(index) ? 0xc3 : 0xc2);
      case NUMBER -> number(l.toNumber(index), out);
      case TABLE -> {
        if (level >= MAX_NESTING) {
          out.write(0xc0);
        } else {
          table(l, index, level + 1, out);
        }
      }
      default -> out.write(0xc0);
    }
  }

  /** An integer when the double is one that int64 holds (-0 included), else float32 or float64. */
  private static void number(double d, ByteArrayOutputStream out) {
    if (!Double.isInfinite(d) && (double) CNumbers.toInt64(d) == d) {
      integer(CNumbers.toInt64(d), out);
    } else if ((double) (float) d == d) {
      out.write(0xca);
      be(out, Float.floatToRawIntBits((float) d), 4);
    } else {
      out.write(0xcb);
      be(out, Double.doubleToRawLongBits(d), 8);
    }
  }

  private static void integer(long v, ByteArrayOutputStream out) {
    if (v >= 0) {
      if (v <= 127) {
        out.write((int) v);
      } else if (v <= 0xff) {
        out.write(0xcc);
        out.write((int) v);
      } else if (v <= 0xffff) {
        out.write(0xcd);
        be(out, v, 2);
      } else if (v <= 0xffffffffL) {
        out.write(0xce);
        be(out, v, 4);
      } else {
        out.write(0xcf);
        be(out, v, 8);
      }
    } else if (v >= -32) {
      out.write((int) v & 0xff);
    } else if (v >= -128) {
      out.write(0xd0);
      out.write((int) v & 0xff);
    } else if (v >= -32768) {
      out.write(0xd1);
      be(out, v, 2);
    } else if (v >= Integer.MIN_VALUE) {
      out.write(0xd2);
      be(out, v, 4);
    } else {
      out.write(0xd3);
      be(out, v, 8);
    }
  }

  private static void table(Lua l, int index, int level, ByteArrayOutputStream out) {
    int t = index < 0 ? l.getTop() + 1 + index : index;
    // Room for the key and value this level pushes (Lua only guarantees 20 slots).
    l.checkStack(3);
    long count = 0;
    double max = 0;
    boolean array = true;
    l.pushNil();
    while (l.next(t) != 0) {
      count++;
      if (l.type(-2) == Lua.LuaType.NUMBER) {
        double k = l.toNumber(-2);
        if (k > 0 && k == Math.floor(k)) {
          max = Math.max(max, k);
        } else {
          array = false;
        }
      } else {
        array = false;
      }
      l.pop(1);
    }
    if (array && max == count) {
      header(out, count, 0x90, 0xdc, 0xdd);
      for (long i = 1; i <= count; i++) {
        l.rawGetI(t, (int) i);
        encode(l, -1, level, out);
        l.pop(1);
      }
    } else {
      header(out, count, 0x80, 0xde, 0xdf);
      l.pushNil();
      while (l.next(t) != 0) {
        encode(l, -2, level, out);
        encode(l, -1, level, out);
        l.pop(1);
      }
    }
  }

  private static void header(ByteArrayOutputStream out, long n, int fix, int sixteen, int thirtyTwo) {
    if (n <= 15) {
      out.write(fix | (int) n);
    } else if (n <= 0xffff) {
      out.write(sixteen);
      be(out, n, 2);
    } else {
      out.write(thirtyTwo);
      be(out, n, 4);
    }
  }

  private static void be(ByteArrayOutputStream out, long v, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
      out.write((int) (v >>> shift) & 0xff);
    }
  }

  // ---- unpack

  /**
   * Unpacks objects from {@code offset} (all of them when limit and offset are 0, else at most
   * {@code limit}, 0 meaning none, with the next offset, or -1 at the end, first).
   */
  private static int unpack(Lua l, long limit, long offset) {
    byte[] s = LuaLib.checkBytes(l, 1);
    long len = s.length;
    if (offset < 0 || limit < 0) {
      throw LuaLib.error("Invalid request to unpack with offset of " + (int) offset + " and limit of " + (int) len + ".");
    }
    if (offset > len) {
      throw LuaLib.error("Start offset " + (int) offset + " greater than input length " + (int) len + ".");
    }
    boolean all = limit == 0 && offset == 0;
    Reader r = new Reader(s, (int) offset, l);
    int count = 0;
    while (r.pos < s.length && (all || count < limit)) {
      r.value();
      count++;
    }
    if (!all) {
      LuaLib.checkStack(l, l.getTop(), 1, "in function mp_unpack_full");
      l.push((double) (r.pos == s.length ? -1 : r.pos));
      l.insert(2);
      count++;
    }
    return count;
  }

  /** Decodes values onto the Lua stack, checking its room as the C library does. */
  private static final class Reader {
    private final byte[] s;
    private final Lua l;
    int pos;

    Reader(byte[] s, int pos, Lua l) {
      this.s = s;
      this.pos = pos;
      this.l = l;
    }

    private void need(long n) {
      if (s.length - pos < n) {
        throw LuaLib.error("Missing bytes in input.");
      }
    }

    private int u8() {
      need(1);
      return s[pos++] & 0xff;
    }

    private long be(int bytes) {
      need(bytes);
      long v = 0;
      for (int i = 0; i < bytes; i++) {
        v = (v << 8) | (s[pos++] & 0xff);
      }
      return v;
    }

    /** Pushes the next value. */
    void value() {
      LuaLib.checkStack(l, l.getTop(), 1, TOO_MANY);
      int b = u8();
      if (b <= 0x7f) {
        l.push((double) b);
      } else if (b <= 0x8f) {
        map(b & 0x0f);
      } else if (b <= 0x9f) {
        array(b & 0x0f);
      } else if (b <= 0xbf) {
        string(b & 0x1f);
      } else if (b >= 0xe0) {
        l.push((double) (byte) b);
      } else {
        switch (b) {
          case 0xc0 -> l.pushNil();
          case 0xc2 -> l.push(false);
          case 0xc3 -> l.push(true);
          case 0xca -> l.push((double) Float.intBitsToFloat((int) be(4)));
          case 0xcb -> l.push(Double.longBitsToDouble(be(8)));
          case 0xcc -> l.push((double) be(1));
          case 0xcd -> l.push((double) be(2));
          case 0xce -> l.push((double) be(4));
          // uint64 is read as int64, as the C library does.
          case 0xcf, 0xd3 -> l.push((double) be(8));
          case 0xd0 -> l.push((double) (byte) be(1));
          case 0xd1 -> l.push((double) (short) be(2));
          case 0xd2 -> l.push((double) (int) be(4));
          case 0xd9 -> string(be(1));
          case 0xda -> string(be(2));
          case 0xdb -> string(be(4));
          case 0xdc -> array(be(2));
          case 0xdd -> array(be(4));
          case 0xde -> map(be(2));
          case 0xdf -> map(be(4));
          default -> throw LuaLib.error("Bad data format in input.");
        }
      }
    }

    private void string(long n) {
      need(n);
      LuaLib.push(l, s, pos, pos + (int) n);
      pos += (int) n;
    }

    /**
     * Tables grow key by key (no size hint), nil elements included, so their layout (next order,
     * # with holes) is Redis's.
     */
    private void array(long n) {
      LuaLib.checkStack(l, l.getTop(), 2, "in function mp_decode_to_lua_array");
      l.newTable();
      for (long i = 1; i <= n; i++) {
        l.push((double) i);
        value();
        l.rawSet(-3);
      }
    }

    private void map(long n) {
      l.newTable();
      for (long i = 0; i < n; i++) {
        value();
        value();
        if (l.isNil(-2)) {
          throw LuaLib.plainError("table index is nil");
        }
        if (l.type(-2) == Lua.LuaType.NUMBER && Double.isNaN(l.toNumber(-2))) {
          throw LuaLib.plainError("table index is NaN");
        }
        l.rawSet(-3);
      }
    }
  }
}
