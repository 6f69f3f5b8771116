package io.keyshard.node.scripting;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import party.iroiro.luajava.Lua;

/**
 * The {@code struct} table Redis gives scripts: pack, unpack and size of binary records described
 * by a format ({@code < > !n} and space as controls; {@code b B h H l L T i[n] I[n] f d x s c[n]}),
 * as Redis 7.0.15's lua_struct does it, its quirks included (checked by
 * ScriptLibrariesDifferentialTest): little-endian and unaligned by default, {@code =} unknown,
 * integers of up to 32 bytes carrying 64 bits, a format cut at its first NUL byte.
 */
final class LuaStruct {
  private static final int MAX_INT_SIZE = 32;
  private static final int MAX_ALIGN = 8;

  private LuaStruct() {}

  static void install(Lua lua, LuaLib lib) {
    lua.newTable();
    lua.push(lib.fn(LuaStruct::pack));
    lua.setField(-2, "pack");
    lua.push(lib.fn(LuaStruct::unpack));
    lua.setField(-2, "unpack");
    lua.push(lib.fn(LuaStruct::size));
    lua.setField(-2, "size");
    lua.setGlobal("struct");
  }

  /** A format being read: the position, the byte order and the alignment set so far. */
  private static final class Format {
    final byte[] fmt;
    int at;
    boolean little = true;
    int align = 1;

    Format(byte[] raw) {
      int end = 0;
      while (end < raw.length && raw[end] != 0) {
        end++;
      }
      fmt = Arrays.copyOf(raw, end);
    }

    boolean more() {
      return at < fmt.length;
    }

    char next() {
      return (char) (fmt[at++] & 0xff);
    }

    /** Digits at the current position as an int (error past INT_MAX), or {@code otherwise}. */
    int number(int otherwise) {
      if (!more() || !CNumbers.isDigit(fmt[at])) {
        return otherwise;
      }
      int a = 0;
      do {
        int digit = fmt[at] - '0';
        if (a > Integer.MAX_VALUE / 10 || a * 10 > Integer.MAX_VALUE - digit) {
          throw LuaLib.error("integral size overflow");
        }
        a = a * 10 + digit;
        at++;
      } while (more() && CNumbers.isDigit(fmt[at]));
      return a;
    }

    /** The size an option takes (reading its digits); 0 for controls and unknown letters. */
    int size(char opt) {
      return switch (opt) {
        case 'B', 'b' -> 1;
        case 'H', 'h' -> 2;
        case 'L', 'l', 'T', 'd' -> 8;
        case 'f' -> 4;
        case 'x' -> 1;
        case 'c' -> number(1);
        case 'i', 'I' -> {
          int n = number(4);
          if (n > MAX_INT_SIZE) {
            throw LuaLib.error("integral size " + n + " is larger than limit of " + MAX_INT_SIZE);
          }
          yield n;
        }
        default -> 0;
      };
    }

    /** Padding before a value of {@code size} at {@code position}: to min(size, align). */
    long padding(long position, char opt, long size) {
      long a = size;
      if (a <= 1 || opt == 'c') {
        return 0;
      }
      if (a > align) {
        a = align;
      }
      return (a - (position & (a - 1))) & (a - 1);
    }

    /** The controls; anything else is an invalid option. */
    void control(char opt) {
      switch (opt) {
        case ' ' -> { }
        case '>' -> little = false;
        case '<' -> little = true;
        case '!' -> {
          int a = number(MAX_ALIGN);
          if (a <= 0 || (a & (a - 1)) != 0) {
            throw LuaLib.error("alignment " + a + " is not a power of 2");
          }
          align = a;
        }
        default -> throw LuaLib.argError(1, "invalid format option '" + opt + "'");
      }
    }
  }

  private static boolean isInteger(char opt) {
    return "bBhHlLTiI".indexOf(opt) >= 0;
  }

  private static int pack(Lua l) {
    Format f = new Format(LuaLib.checkBytes(l, 1));
    int arg = 2;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (f.more()) {
      char opt = f.next();
      long size = f.size(opt);
      long pad = f.padding(out.size(), opt, size);
      for (long i = 0; i < pad; i++) {
        out.write(0);
      }
      if (isInteger(opt)) {
        double n = number(l, arg++);
        long value = n < 0 ? CNumbers.toInt64(n) : CNumbers.toUint64(n);
        write(out, value, (int) size, f.little);
      } else if (opt == 'x') {
        out.write(0);
      } else if (opt == 'f') {
        write(out, Integer.toUnsignedLong(floatBits(number(l, arg++))), 4, f.little);
      } else if (opt == 'd') {
        write(out, Double.doubleToRawLongBits(number(l, arg++)), 8, f.little);
      } else if (opt == 'c' || opt == 's') {
        byte[] s = string(l, arg++);
        if (size == 0) {
          size = s.length;
        }
        if (s.length < size) {
          throw LuaLib.argError(arg, "string too short");
        }
        out.write(s, 0, (int) size);
        if (opt == 's') {
          out.write(0);
        }
      } else {
        f.control(opt);
      }
    }
    LuaLib.push(l, out.toByteArray());
    return 1;
  }

  /**
   * A number argument. lua_struct puts a nil after the arguments (to keep them apart from its
   * buffer), so a missing one is "got nil".
   */
  private static double number(Lua l, int arg) {
    if (arg > l.getTop()) {
      throw LuaLib.argError(arg, "number expected, got nil");
    }
    return LuaLib.checkNumber(l, arg);
  }

  private static byte[] string(Lua l, int arg) {
    if (arg > l.getTop()) {
      throw LuaLib.argError(arg, "string expected, got nil");
    }
    return LuaLib.checkBytes(l, arg);
  }

  /** C's (float) of a double; a NaN keeps its sign and the top of its payload, as cvtsd2ss does. */
  private static int floatBits(double d) {
    if (Double.isNaN(d)) {
      long bits = Double.doubleToRawLongBits(d);
      return (int) ((bits >>> 32) & 0x80000000L) | 0x7fc00000 | (int) ((bits >>> 29) & 0x3fffff);
    }
    return Float.floatToRawIntBits((float) d);
  }

  /** The low bytes of {@code value} in {@code size} bytes; past 8 bytes, zeros. */
  private static void write(ByteArrayOutputStream out, long value, int size, boolean little) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[little ? i : size - 1 - i] = (byte) value;
      value >>>= 8;
    }
    out.write(b, 0, size);
  }

  private static int unpack(Lua l) {
    Format f = new Format(LuaLib.checkBytes(l, 1));
    byte[] data = LuaLib.checkBytes(l, 2);
    long offset = LuaLib.optInteger(l, 3, 1);
    if (offset == 0) {
      throw LuaLib.argError(3, "offset must be 1 or greater");
    }
    long ld = data.length;
    long pos = offset - 1;
    int args = l.getTop();
    // The results so far: 'c0' takes its size from the last one.
    List<Object> results = new ArrayList<>();
    while (f.more()) {
      char opt = f.next();
      long size = f.size(opt);
      pos += f.padding(pos, opt, size);
      checkData(pos, size, ld);
      if (args + results.size() + 2 > LuaLib.MAX_C_STACK) {
        throw LuaLib.error("stack overflow (too many results)");
      }
      if (isInteger(opt)) {
        results.add(integer(data, (int) pos, (int) size, f.little, Character.isLowerCase(opt)));
      } else if (opt == 'x') {
        // skipped
      } else if (opt == 'f') {
        results.add((double) Float.intBitsToFloat((int) read(data, (int) pos, 4, f.little)));
      } else if (opt == 'd') {
        results.add(Double.longBitsToDouble(read(data, (int) pos, 8, f.little)));
      } else if (opt == 'c') {
        if (size == 0) {
          if (results.isEmpty() || !isNumeric(results.get(results.size() - 1))) {
            throw LuaLib.error("format 'c0' needs a previous size");
          }
          size = CNumbers.toUint64(toNumber(results.remove(results.size() - 1)));
          checkData(pos, size, ld);
        }
        results.add(Arrays.copyOfRange(data, (int) pos, (int) (pos + size)));
      } else if (opt == 's') {
        int end = (int) pos;
        while (end < data.length && data[end] != 0) {
          end++;
        }
        if (end == data.length) {
          throw LuaLib.error("unfinished string in data");
        }
        results.add(Arrays.copyOfRange(data, (int) pos, end));
        size = end - pos + 1;
      } else {
        f.control(opt);
      }
      pos += size;
    }
    l.checkStack(results.size() + 1);
    for (Object r : results) {
      if (r instanceof byte[] b) {
        LuaLib.push(l, b);
      } else {
        l.push((double) (Double) r);
      }
    }
    l.push((double) (pos + 1));
    return results.size() + 1;
  }

  /** size bytes from pos inside the data, unsigned and without overflow. */
  private static void checkData(long pos, long size, long ld) {
    if (Long.compareUnsigned(size, ld) > 0 || Long.compareUnsigned(pos, ld - size) > 0) {
      throw LuaLib.argError(2, "data string too short");
    }
  }

  private static boolean isNumeric(Object v) {
    return v instanceof Double || numericText((byte[]) v) != null;
  }

  private static double toNumber(Object v) {
    return v instanceof Double d ? d : numericText((byte[]) v);
  }

  /**
   * Lua 5.1's string to number (lua_isnumber, lua_tonumber): strtod over the C string (up to a
   * NUL), trailing space allowed; null when it is not a number.
   */
  private static Double numericText(byte[] raw) {
    int length = 0;
    while (length < raw.length && raw[length] != 0) {
      length++;
    }
    byte[] s = Arrays.copyOf(raw, length);
    CNumbers.Parsed p = CNumbers.strtod(s, 0);
    int end = p.end();
    if (end == 0) {
      return null;
    }
    if (end < s.length && (s[end] | 0x20) == 'x') {
      // Lua then reads it with strtoul(16), which stops at that x too: not a number.
      return null;
    }
    while (end < s.length && (s[end] == ' ' || (s[end] >= '\t' && s[end] <= '\r'))) {
      end++;
    }
    return end == s.length ? p.value() : null;
  }

  private static long read(byte[] data, int pos, int size, boolean little) {
    long v = 0;
    for (int i = 0; i < size; i++) {
      v = (v << 8) | (data[pos + (little ? size - 1 - i : i)] & 0xff);
    }
    return v;
  }

  /**
   * An integer of {@code size} bytes in 64 bits (earlier bytes shift out). The sign bit is taken at
   * bit size*8-1 modulo 64, which is what the C shift does past 8 bytes.
   */
  private static double integer(byte[] data, int pos, int size, boolean little, boolean signed) {
    long v = read(data, pos, size, little);
    if (!signed) {
      return CNumbers.uint64ToDouble(v);
    }
    long mask = -1L << (size * 8 - 1);
    if ((v & mask) != 0) {
      v |= mask;
    }
    return v;
  }

  private static int size(Lua l) {
    Format f = new Format(LuaLib.checkBytes(l, 1));
    long pos = 0;
    while (f.more()) {
      char opt = f.next();
      long size = f.size(opt);
      pos += f.padding(pos, opt, size);
      if (opt == 's') {
        throw LuaLib.argError(1, "option 's' has no fixed size");
      }
      if (opt == 'c' && size == 0) {
        throw LuaLib.argError(1, "option 'c0' has no fixed size");
      }
      // size ignores letters and digits it does not know; pack and unpack refuse them.
      boolean alnum = opt < 128 && Character.isLetterOrDigit(opt);
      if (!alnum) {
        f.control(opt);
      }
      pos += size;
    }
    l.push((double) pos);
    return 1;
  }
}
