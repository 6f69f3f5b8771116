package io.keyshard.node.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import party.iroiro.luajava.lua51.Lua51;

/**
 * CNumbers against glibc itself, reached through Lua 5.1's string.format (printf) and tonumber
 * (strtod) in a LuaJava state: the emulation must give the C library's exact results.
 */
class CNumbersTest {
  private final Lua51 lua = new Lua51();

  CNumbersTest() throws Exception {
    lua.openLibraries();
  }

  @AfterEach
  void close() {
    lua.close();
  }

  private String lua(String function, Object... args) throws Exception {
    lua.load(function);
    lua.pCall(0, 1);
    for (Object a : args) {
      if (a instanceof Double d) {
        lua.push(d.doubleValue());
      } else {
        lua.push(a.toString());
      }
    }
    lua.pCall(args.length, 1);
    String s = lua.toString(-1);
    lua.pop(1);
    return s;
  }

  private static List<Double> samples() {
    List<Double> out = new ArrayList<>(List.of(0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3, 0.5, 1.5, 2.5, 1e15, 1e14, 1e16,
        123456789012345.0, 99999999999999.5, 0.0001, 0.00001, 0.000123456, 9.5, 99.5, 999999.5, 5e-324, 2.2250738585072014e-308,
        Double.MAX_VALUE, 9007199254740993.0, 0x1p63, 1e100, 1e-100, 1023.2, 0.0003, 5e-5, 1e21, 12345.678));
    Random r = new Random(7);
    for (int i = 0; i < 3000; i++) {
      out.add(Double.longBitsToDouble(r.nextLong()));
      out.add(r.nextDouble() * Math.pow(10, r.nextInt(40) - 20));
      out.add((double) r.nextInt(2_000_000) / 8 * (r.nextBoolean() ? 1 : -1));
      out.add(Math.rint(r.nextDouble() * 1e6) / 1e3);
    }
    return out;
  }

  @Test
  void formatGIsPrintf() throws Exception {
    String format = "return function(p, x) return string.format('%.' .. p .. 'g', x) end";
    for (double d : samples()) {
      if (Double.isNaN(d)) {
        continue;
      }
      for (int p : new int[] {1, 3, 14, 17}) {
        assertEquals(lua(format, (double) p, d), CNumbers.formatG(d, p), p + " " + Double.toHexString(d));
      }
    }
    assertEquals("inf", CNumbers.formatG(Double.POSITIVE_INFINITY, 14));
    assertEquals("-inf", CNumbers.formatG(Double.NEGATIVE_INFINITY, 14));
    assertEquals(lua(format, 14.0, Double.longBitsToDouble(0xfff8000000000000L)),
        CNumbers.formatG(Double.longBitsToDouble(0xfff8000000000000L), 14));
    assertEquals(lua(format, 14.0, Double.longBitsToDouble(0x7ff8000000000000L)),
        CNumbers.formatG(Double.longBitsToDouble(0x7ff8000000000000L), 14));
  }

  private static CNumbers.Parsed strtod(String s) {
    return CNumbers.strtod(s.getBytes(StandardCharsets.ISO_8859_1), 0);
  }

  @Test
  void strtodIsGlibcs() throws Exception {
    // tonumber is strtod over the whole text: the values must be the same doubles (%.17g
    // tells every double apart).
    String tonumber = "return function(s) local n = tonumber(s) return n and string.format('%.17g', n) or 'nil' end";
    List<String> texts = new ArrayList<>(List.of("0", "-0", "1", "1.", "1.e3", "00012", "1e400", "-1e400", "1e-400",
        "4.9e-324", "2.4703282292062328e-324", "2.4703282292062327e-324", "1.7976931348623158e308",
        "1.7976931348623159e308", "0.1", "0.30000000000000004", "9007199254740993", "123456789012345678901234567890",
        "0x10", "0X1p4", "0x1.8p1", "0x.8", "0x1.fffffffffffff8p1023", "0x1p-1074", "0x1p-1075", "0x3p-1076",
        "inf", "-INF", "Infinity", "+1", "1E2", "1e+05", "7.0e-1", "0.000001", "18446744073709551616"));
    Random r = new Random(11);
    for (int i = 0; i < 3000; i++) {
      StringBuilder sb = new StringBuilder();
      if (r.nextBoolean()) {
        sb.append('-');
      }
      int digits = 1 + r.nextInt(25);
      int dot = r.nextInt(digits + 1);
      for (int k = 0; k < digits; k++) {
        sb.append((char) ('0' + r.nextInt(10)));
        if (k == dot) {
          sb.append('.');
        }
      }
      if (r.nextInt(3) == 0) {
        sb.append('e').append(r.nextInt(700) - 350);
      }
      texts.add(sb.toString());
    }
    for (String t : texts) {
      String expected = lua(tonumber, t);
      CNumbers.Parsed p = strtod(t);
      assertEquals(t.length(), p.end(), t);
      assertEquals(expected, lua("return function(x) return string.format('%.17g', x) end", p.value()), t);
    }
    // Prefixes, as cjson's tokens use them: where strtod stops.
    assertEquals(1, strtod("1e").end());
    assertEquals(1, strtod("1e+").end());
    assertEquals(1, strtod("0x").end());
    assertEquals(1, strtod("0xg").end());
    assertEquals(3, strtod("infinit").end());
    assertEquals(8, strtod("infinity!").end());
    assertEquals(3, strtod("nan(").end());
    assertEquals(8, strtod("nan(a_b)").end());
    assertEquals(0, strtod("-").end());
    assertEquals(0, strtod(".").end());
    assertEquals(0, strtod("+-1").end());
    assertEquals(3, strtod("0.5.5").end());
    // NaN: the sign and a numeric (payload) are glibc's.
    assertEquals(0x7ff8000000000000L, Double.doubleToRawLongBits(strtod("nan").value()));
    assertEquals(0xfff8000000000000L, Double.doubleToRawLongBits(strtod("-nan").value()));
    assertEquals(0x7ff800000000007bL, Double.doubleToRawLongBits(strtod("nan(123)").value()));
    assertEquals(0x7ff800000000001fL, Double.doubleToRawLongBits(strtod("nan(0x1f)").value()));
    assertEquals(0x7ff8000000000000L, Double.doubleToRawLongBits(strtod("nan(a_b)").value()));
  }

  @Test
  void castsAreX86s() {
    assertEquals(Long.MIN_VALUE, CNumbers.toInt64(Double.NaN));
    assertEquals(Long.MIN_VALUE, CNumbers.toInt64(0x1p63));
    assertEquals(-1, CNumbers.toInt64(-1.9));
    assertEquals(Long.MIN_VALUE, CNumbers.toUint64(0x1p63));
    assertEquals(0, CNumbers.toUint64(0x1p64));
    assertEquals(Long.MIN_VALUE, CNumbers.toUint64(Double.NaN));
    assertEquals(-1, CNumbers.toUint64(-1.0));
    assertEquals(0x1p64, CNumbers.uint64ToDouble(-1L));
    assertEquals(9223372036854775808.0, CNumbers.uint64ToDouble(Long.MIN_VALUE + 1));
  }
}
