package io.keyshard.node.scripting;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.Lua;

/**
 * The {@code cjson} table Redis gives scripts (lua-cjson 2.1.0's behaviour, checked by
 * ScriptLibrariesDifferentialTest): encode and decode with the same texts for every error, the
 * settings functions (kept per instance; {@code cjson.new()} makes another) and
 * {@code cjson.null}. Numbers encode as {@code %.14g}; tables with keys 1..n (holes allowed unless
 * "excessively sparse") are arrays, others objects in {@code next} order; decoding accepts what
 * strtod accepts (hex, inf, nan) unless decode_invalid_numbers is off.
 */
final class LuaCjson {
  /** One instance's settings; SCRIPT FLUSH resets the global instance's (Redis rebuilds its VM). */
  static final class Config {
    boolean sparseConvert;
    int sparseRatio = 2;
    int sparseSafe = 10;
    int encodeMaxDepth = 1000;
    int decodeMaxDepth = 1000;
    /** 0 refuses NaN and infinities, 1 writes them (inf, -inf, nan), 2 writes null. */
    int encodeInvalidNumbers;
    boolean decodeInvalidNumbers = true;
    boolean encodeKeepBuffer = true;
    int precision = 14;
  }

  private final LuaLib lib;
  private final Config global = new Config();

  LuaCjson(LuaLib lib) {
    this.lib = lib;
  }

  void install(Lua lua) {
    pushModule(lua, global);
    lua.setGlobal("cjson");
  }

  /** SCRIPT FLUSH: the global instance's settings back to the defaults. */
  void reset() {
    Config fresh = new Config();
    global.sparseConvert = fresh.sparseConvert;
    global.sparseRatio = fresh.sparseRatio;
    global.sparseSafe = fresh.sparseSafe;
    global.encodeMaxDepth = fresh.encodeMaxDepth;
    global.decodeMaxDepth = fresh.decodeMaxDepth;
    global.encodeInvalidNumbers = fresh.encodeInvalidNumbers;
    global.decodeInvalidNumbers = fresh.decodeInvalidNumbers;
    global.encodeKeepBuffer = fresh.encodeKeepBuffer;
    global.precision = fresh.precision;
  }

  private void pushModule(Lua lua, Config c) {
    lua.newTable();
    set(lua, "encode", l -> encode(l, c));
    set(lua, "decode", l -> decode(l, c));
    set(lua, "encode_sparse_array", l -> {
      arguments(l, 3);
      if (!LuaLib.isNoneOrNil(l, 1)) {
        c.sparseConvert = enumOption(l, 1, "off", "on") == 1;
      }
      c.sparseRatio = integerOption(l, 2, c.sparseRatio, 0, Integer.MAX_VALUE);
      c.sparseSafe = integerOption(l, 3, c.sparseSafe, 0, Integer.MAX_VALUE);
      l.push(c.sparseConvert);
      l.push(c.sparseRatio);
      l.push(c.sparseSafe);
      return 3;
    });
    set(lua, "encode_max_depth", l -> {
      arguments(l, 1);
      c.encodeMaxDepth = integerOption(l, 1, c.encodeMaxDepth, 1, Integer.MAX_VALUE);
      l.push(c.encodeMaxDepth);
      return 1;
    });
    set(lua, "decode_max_depth", l -> {
      arguments(l, 1);
      c.decodeMaxDepth = integerOption(l, 1, c.decodeMaxDepth, 1, Integer.MAX_VALUE);
      l.push(c.decodeMaxDepth);
      return 1;
    });
    set(lua, "encode_number_precision", l -> {
      arguments(l, 1);
      c.precision = integerOption(l, 1, c.precision, 1, 14);
      l.push(c.precision);
      return 1;
    });
    set(lua, "encode_keep_buffer", l -> {
      arguments(l, 1);
      if (!LuaLib.isNoneOrNil(l, 1)) {
        c.encodeKeepBuffer = enumOption(l, 1, "off", "on") == 1;
      }
      l.push(c.encodeKeepBuffer);
      return 1;
    });
    set(lua, "encode_invalid_numbers", l -> {
      arguments(l, 1);
      if (!LuaLib.isNoneOrNil(l, 1)) {
        c.encodeInvalidNumbers = enumOption(l, 1, "off", "on", "null");
      }
      if (c.encodeInvalidNumbers == 2) {
        l.push("null");
      } else {
        l.push(c.encodeInvalidNumbers == 1);
      }
      return 1;
    });
    set(lua, "decode_invalid_numbers", l -> {
      arguments(l, 1);
      if (!LuaLib.isNoneOrNil(l, 1)) {
        c.decodeInvalidNumbers = enumOption(l, 1, "off", "on") == 1;
      }
      l.push(c.decodeInvalidNumbers);
      return 1;
    });
    set(lua, "new", l -> {
      pushModule(l, new Config());
      return 1;
    });
    LuaLib.pushNull(lua);
    lua.setField(-2, "null");
    lua.push("cjson");
    lua.setField(-2, "_NAME");
    lua.push("2.1.0");
    lua.setField(-2, "_VERSION");
  }

  private void set(Lua lua, String name, LuaLib.Body body) {
    lua.push(lib.fn(body));
    lua.setField(-2, name);
  }

  // ---- settings' arguments

  private static void arguments(Lua l, int most) {
    if (l.getTop() > most) {
      throw LuaLib.argError(most + 1, "found too many arguments");
    }
  }

  /** A boolean, or one of {@code names} (luaL_checkoption); true is 1, false 0. */
  private static int enumOption(Lua l, int i, String... names) {
    if (l.type(i) == Lua.LuaType.BOOLEAN) {
      return l.toBoolean(i) ? 1 : 0;
    }
    // A C string: it ends at the first NUL.
    String name = LuaLib.text(LuaLib.checkBytes(l, i));
    int nul = name.indexOf('\0');
    if (nul >= 0) {
      name = name.substring(0, nul);
    }
    for (int k = 0; k < names.length; k++) {
      if (names[k].equals(name)) {
        return k;
      }
    }
    throw LuaLib.argError(i, "invalid option '" + name + "'");
  }

  /** An integer setting in [min, max]; the range error names argument 1, as lua-cjson's does. */
  private static int integerOption(Lua l, int i, int current, int min, int max) {
    if (LuaLib.isNoneOrNil(l, i)) {
      return current;
    }
    long v = LuaLib.checkInteger(l, i);
    if (v < min || v > max) {
      throw LuaLib.argError(1, "expected integer between " + min + " and " + max);
    }
    return (int) v;
  }

  // ---- encode

  private static int encode(Lua l, Config c) {
    if (l.getTop() != 1) {
      throw LuaLib.argError(1, "expected 1 argument");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Encoder(l, c, out).value(1, 0, 1);
    LuaLib.push(l, out.toByteArray());
    return 1;
  }

  private static final class Encoder {
    private final Lua l;
    private final Config c;
    private final ByteArrayOutputStream out;

    Encoder(Lua l, Config c, ByteArrayOutputStream out) {
      this.l = l;
      this.c = c;
      this.out = out;
    }

    /**
     * The value at stack index {@code index} (absolute), {@code depth} tables deep, with
     * {@code slots} Lua stack slots in use as lua-cjson would have them (its stack check is part
     * of the nesting error).
     */
    void value(int index, int depth, int slots) {
      switch (l.type(index)) {
        case STRING -> string(LuaLib.bytes(l, index));
        case NUMBER -> number(l.toNumber(index), "number");
        case BOOLEAN -> write(l.toBoolean(index) ? "true" : "false");
        case NIL -> write("null");
        case LIGHTUSERDATA -> {
          if (!LuaLib.isNull(l, index)) {
            throw fail(index, "type not supported");
          }
          write("null");
        }
        case TABLE -> table(index, depth + 1, slots);
        default -> throw fail(index, "type not supported");
      }
    }

    private LuaLib.LibError fail(int index, String why) {
      return LuaLib.error("Cannot serialise " + LuaLib.typeName(l, index) + ": " + why);
    }

    private void table(int t, int depth, int slots) {
      if (depth > c.encodeMaxDepth || slots + 3 > LuaLib.MAX_C_STACK) {
        throw LuaLib.error("Cannot serialise, excessive nesting (" + depth + ")");
      }
      // Room for the key and value this level pushes (Lua only guarantees 20 slots).
      l.checkStack(3);
      int length = arrayLength(t);
      if (length > 0) {
        write("[");
        for (int i = 1; i <= length; i++) {
          if (i > 1) {
            write(",");
          }
          l.rawGetI(t, i);
          value(l.getTop(), depth, slots + 1);
          l.pop(1);
        }
        write("]");
        return;
      }
      write("{");
      boolean first = true;
      l.pushNil();
      while (l.next(t) != 0) {
        int key = l.getTop() - 1;
        if (!first) {
          write(",");
        }
        first = false;
        switch (l.type(key)) {
          case STRING -> string(LuaLib.bytes(l, key));
          case NUMBER -> {
            write("\"");
            number(l.toNumber(key), "number");
            write("\"");
          }
          default -> throw fail(key, "table key must be a number or string");
        }
        write(":");
        value(key + 1, depth, slots + 2);
        l.pop(1);
      }
      write("}");
    }

    /**
     * The array length when every key is an integer in 1..INT_MAX, else 0 (an object). Too
     * sparse an array is an error, or an object when encode_sparse_array's convert is on.
     */
    private int arrayLength(int t) {
      int max = 0;
      int items = 0;
      l.pushNil();
      while (l.next(t) != 0) {
        if (l.type(-2) == Lua.LuaType.NUMBER) {
          double k = l.toNumber(-2);
          if (Math.floor(k) == k && k >= 1 && k <= Integer.MAX_VALUE) {
            max = Math.max(max, (int) k);
            items++;
            l.pop(1);
            continue;
          }
        }
        l.pop(2);
        return 0;
      }
      // items * ratio is C int arithmetic: it may wrap.
      if (c.sparseRatio > 0 && max > items * c.sparseRatio && max > c.sparseSafe) {
        if (!c.sparseConvert) {
          throw LuaLib.error("Cannot serialise table: excessively sparse array");
        }
        return 0;
      }
      return max;
    }

    private void number(double d, String type) {
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        switch (c.encodeInvalidNumbers) {
          case 0 -> throw LuaLib.error("Cannot serialise " + type + ": must not be NaN or Inf");
          case 2 -> {
            write("null");
            return;
          }
          default -> {
            if (Double.isNaN(d)) {
              write("nan");
              return;
            }
          }
        }
      }
      write(CNumbers.formatG(d, c.precision));
    }

    private void string(byte[] s) {
      out.write('"');
      for (byte b : s) {
        String escape = ESCAPES[b & 0xff];
        if (escape == null) {
          out.write(b);
        } else {
          write(escape);
        }
      }
      out.write('"');
    }

    private void write(String ascii) {
      out.writeBytes(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  /** Control characters, DEL, the quote, the backslash and the slash are escaped. */
  private static final String[] ESCAPES = new String[256];

  static {
    for (int i = 0; i < 32; i++) {
      ESCAPES[i] = String.format("\\u%04x", i);
    }
    ESCAPES['\b'] = "\\b";
    ESCAPES['\t'] = "\\t";
    ESCAPES['\n'] = "\\n";
    ESCAPES['\f'] = "\\f";
    ESCAPES['\r'] = "\\r";
    ESCAPES['"'] = "\\\"";
    ESCAPES['\\'] = "\\\\";
    ESCAPES['/'] = "\\/";
    ESCAPES[127] = "\\u007f";
  }

  // ---- decode

  private static int decode(Lua l, Config c) {
    if (l.getTop() != 1) {
      throw LuaLib.argError(1, "expected 1 argument");
    }
    byte[] json = LuaLib.checkBytes(l, 1);
    if (json.length >= 2 && (json[0] == 0 || json[1] == 0)) {
      throw LuaLib.error("JSON parser does not support UTF-16 or UTF-32");
    }
    Decoder d = new Decoder(l, c, json);
    d.value(d.next(), 1);
    Token end = d.next();
    if (end.type != Type.END) {
      throw d.unexpected("the end", end);
    }
    return 1;
  }

  /** Token kinds, named as lua-cjson names them in its errors. */
  private enum Type {
    OBJ_BEGIN, OBJ_END, ARR_BEGIN, ARR_END, STRING, NUMBER, BOOLEAN, NULL, COLON, COMMA, END, ERROR;

    String label() {
      return "T_" + name();
    }
  }

  /** A token: where it starts (0-based) and its value; for ERROR, the error and where it is. */
  private record Token(Type type, int at, Object value) {}

  private static final class Decoder {
    private final Lua l;
    private final Config c;
    private final byte[] s;
    private int pos;
    private int depth;

    Decoder(Lua l, Config c, byte[] s) {
      this.l = l;
      this.c = c;
      this.s = s;
    }

    LuaLib.LibError unexpected(String expected, Token t) {
      String found = t.type == Type.ERROR ? (String) t.value : t.type.label();
      return LuaLib.error("Expected " + expected + " but found " + found + " at character " + (t.at + 1));
    }

    /** Pushes the value starting with {@code t}; {@code slots} as lua-cjson's stack would be. */
    void value(Token t, int slots) {
      switch (t.type) {
        case OBJ_BEGIN -> object(t, slots);
        case ARR_BEGIN -> array(t, slots);
        case STRING -> LuaLib.push(l, (byte[]) t.value);
        case NUMBER -> l.push((double) (Double) t.value);
        case BOOLEAN -> l.push((boolean) (Boolean) t.value);
        case NULL -> LuaLib.pushNull(l);
        default -> throw unexpected("value", t);
      }
    }

    private void descend(Token t, int slots, int need) {
      depth++;
      if (depth > c.decodeMaxDepth || slots + need > LuaLib.MAX_C_STACK) {
        throw LuaLib.error("Found too many nested data structures (" + depth + ") at character " + (t.at + 1));
      }
      l.checkStack(need);
    }

    private void object(Token open, int slots) {
      descend(open, slots, 3);
      l.newTable();
      Token t = next();
      if (t.type == Type.OBJ_END) {
        depth--;
        return;
      }
      while (true) {
        if (t.type != Type.STRING) {
          throw unexpected("object key string", t);
        }
        LuaLib.push(l, (byte[]) t.value);
        t = next();
        if (t.type != Type.COLON) {
          throw unexpected("colon", t);
        }
        value(next(), slots + 2);
        l.rawSet(-3);
        t = next();
        if (t.type == Type.OBJ_END) {
          depth--;
          return;
        }
        if (t.type != Type.COMMA) {
          throw unexpected("comma or object end", t);
        }
        t = next();
      }
    }

    private void array(Token open, int slots) {
      descend(open, slots, 2);
      l.newTable();
      Token t = next();
      if (t.type == Type.ARR_END) {
        depth--;
        return;
      }
      for (int i = 1; ; i++) {
        value(t, slots + 1);
        l.rawSetI(-2, i);
        t = next();
        if (t.type == Type.ARR_END) {
          depth--;
          return;
        }
        if (t.type != Type.COMMA) {
          throw unexpected("comma or array end", t);
        }
        t = next();
      }
    }

    private boolean at(String word) {
      if (pos + word.length() > s.length) {
        return false;
      }
      for (int i = 0; i < word.length(); i++) {
        if (s[pos + i] != word.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    private boolean atIgnoreCase(int p, String word) {
      if (p + word.length() > s.length) {
        return false;
      }
      for (int i = 0; i < word.length(); i++) {
        if ((s[p + i] | 0x20) != word.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    private Token error(int at, String message) {
      return new Token(Type.ERROR, at, message);
    }

    Token next() {
      while (pos < s.length && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) {
        pos++;
      }
      int start = pos;
      // A NUL ends the text, as the end of a C string does.
      if (pos >= s.length || s[pos] == 0) {
        return new Token(Type.END, start, null);
      }
      byte ch = s[pos];
      switch (ch) {
        case '{' -> {
          pos++;
          return new Token(Type.OBJ_BEGIN, start, null);
        }
        case '}' -> {
          pos++;
          return new Token(Type.OBJ_END, start, null);
        }
        case '[' -> {
          pos++;
          return new Token(Type.ARR_BEGIN, start, null);
        }
        case ']' -> {
          pos++;
          return new Token(Type.ARR_END, start, null);
        }
        case ':' -> {
          pos++;
          return new Token(Type.COLON, start, null);
        }
        case ',' -> {
          pos++;
          return new Token(Type.COMMA, start, null);
        }
        case '"' -> {
          return string();
        }
        default -> { }
      }
      if (ch == '-' || CNumbers.isDigit(ch)) {
        if (!c.decodeInvalidNumbers && invalidNumber()) {
          return error(start, "invalid number");
        }
        return number();
      }
      if (at("true")) {
        pos += 4;
        return new Token(Type.BOOLEAN, start, Boolean.TRUE);
      }
      if (at("false")) {
        pos += 5;
        return new Token(Type.BOOLEAN, start, Boolean.FALSE);
      }
      if (at("null")) {
        pos += 4;
        return new Token(Type.NULL, start, null);
      }
      // With invalid numbers allowed, only what can only be one (+, inf, nan, hex, 0...)
      // is read as a number, so other bad tokens stay "invalid token".
      if (c.decodeInvalidNumbers && invalidNumber()) {
        return number();
      }
      return error(start, "invalid token");
    }

    /** A number JSON does not allow: a leading +, 0x, a leading zero, inf, nan. */
    private boolean invalidNumber() {
      int p = pos;
      if (s[p] == '+') {
        return true;
      }
      if (s[p] == '-') {
        p++;
      }
      if (p < s.length && s[p] == '0') {
        int ch2 = p + 1 < s.length ? s[p + 1] : 0;
        return (ch2 | 0x20) == 'x' || CNumbers.isDigit((byte) ch2);
      }
      if (p >= s.length || s[p] <= '9') {
        return false;
      }
      return atIgnoreCase(p, "inf") || atIgnoreCase(p, "nan");
    }

    private Token number() {
      int start = pos;
      CNumbers.Parsed p = CNumbers.strtod(s, pos);
      if (p.end() == start) {
        return error(start, "invalid number");
      }
      pos = p.end();
      return new Token(Type.NUMBER, start, p.value());
    }

    private Token string() {
      int start = pos;
      pos++;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (true) {
        if (pos >= s.length || s[pos] == 0) {
          return error(pos, "unexpected end of string");
        }
        byte ch = s[pos];
        if (ch == '"') {
          pos++;
          return new Token(Type.STRING, start, out.toByteArray());
        }
        if (ch != '\\') {
          out.write(ch);
          pos++;
          continue;
        }
        int escape = pos;
        byte e = pos + 1 < s.length ? s[pos + 1] : 0;
        switch (e) {
          case '"', '\\', '/' -> out.write(e);
          case 'b' -> out.write('\b');
          case 'f' -> out.write('\f');
          case 'n' -> out.write('\n');
          case 'r' -> out.write('\r');
          case 't' -> out.write('\t');
          case 'u' -> {
            int end = unicode(out);
            if (end < 0) {
              return error(escape, "invalid unicode escape code");
            }
            pos = end;
            continue;
          }
          default -> {
            return error(escape, "invalid escape code");
          }
        }
        pos += 2;
      }
    }

    /** A \\uXXXX escape (a surrogate pair as two) at pos written as UTF-8; its end, or -1. */
    private int unicode(ByteArrayOutputStream out) {
      int cp = hex4(pos + 2);
      if (cp < 0) {
        return -1;
      }
      int end = pos + 6;
      if (cp >= 0xdc00 && cp <= 0xdfff) {
        return -1;
      }
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (end + 1 >= s.length || s[end] != '\\' || s[end + 1] != 'u') {
          return -1;
        }
        int low = hex4(end + 2);
        if (low < 0xdc00 || low > 0xdfff) {
          return -1;
        }
        cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
        end += 6;
      }
      out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
      return end;
    }

    private int hex4(int p) {
      if (p + 4 > s.length) {
        return -1;
      }
      int v = 0;
      for (int i = p; i < p + 4; i++) {
        int d = Character.digit(s[i] & 0xff, 16);
        if (d < 0 || s[i] < 0) {
          return -1;
        }
        v = v * 16 + d;
      }
      return v;
    }
  }
}
