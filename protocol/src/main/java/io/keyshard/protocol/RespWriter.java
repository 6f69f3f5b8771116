package io.keyshard.protocol;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Renders a {@link Reply} for RESP2 or RESP3 the way Redis 7.0's addReply* functions do. In RESP2
 * the RESP3-only types degrade as Redis degrades them: a map becomes a flat array, a set or push an
 * array, a double a bulk string, a boolean :1/:0, a verbatim string a bulk of its text.
 */
public final class RespWriter {
  private RespWriter() {}

  private static final byte[] CRLF = {'\r', '\n'};

  public static byte[] encode(Reply r, int proto) {
    ByteSink out = new ByteSink();
    write(r, proto, out);
    return out.toByteArray();
  }

  public static void write(Reply r, int proto, ByteSink out) {
    if (proto != 2 && proto != 3) throw new IllegalArgumentException("protocol " + proto);
    render(r, proto == 3, out);
  }

  private static void render(Reply r, boolean resp3, ByteSink out) {
    // An instanceof chain rather than a pattern switch: the build targets Java 17.
    if (r instanceof Reply.Bulk b) {
      bulk(b.value(), out);
    } else if (r instanceof Reply.Array a) {
      aggregate('*', a.items(), a.items().size(), resp3, out);
    } else if (r instanceof Reply.Int i) {
      out.write(':').writeLong(i.value()).write(CRLF);
    } else if (r instanceof Reply.Simple s) {
      line('+', s.text(), out);
    } else if (r instanceof Reply.Error e) {
      line('-', e.text(), out);
    } else if (r instanceof Reply.Null) {
      out.writeLatin1(resp3 ? "_\r\n" : "$-1\r\n");
    } else if (r instanceof Reply.NullArray) {
      out.writeLatin1(resp3 ? "_\r\n" : "*-1\r\n");
    } else if (r instanceof Reply.Map m) {
      List<Reply> kv = m.keysAndValues();
      if (kv.size() % 2 != 0) {
        throw new IllegalArgumentException("map with an odd number of items: " + kv.size());
      }
      if (resp3) aggregate('%', kv, kv.size() / 2, true, out);
      else aggregate('*', kv, kv.size(), false, out);
    } else if (r instanceof Reply.PairMap m) {
      List<Reply> kv = m.keysAndValues();
      if (kv.size() % 2 != 0) {
        throw new IllegalArgumentException("map with an odd number of items: " + kv.size());
      }
      if (resp3) {
        aggregate('%', kv, kv.size() / 2, true, out);
      } else {
        out.write('*').writeLong(kv.size() / 2).write(CRLF);
        for (int i = 0; i < kv.size(); i += 2) aggregate('*', kv.subList(i, i + 2), 2, false, out);
      }
    } else if (r instanceof Reply.Pairs p) {
      List<Reply> kv = p.flattened();
      if (kv.size() % 2 != 0) {
        throw new IllegalArgumentException("pairs with an odd number of items: " + kv.size());
      }
      if (!resp3) {
        aggregate('*', kv, kv.size(), false, out);
      } else {
        out.write('*').writeLong(kv.size() / 2).write(CRLF);
        for (int i = 0; i < kv.size(); i += 2) aggregate('*', kv.subList(i, i + 2), 2, true, out);
      }
    } else if (r instanceof Reply.Set s) {
      aggregate(resp3 ? '~' : '*', s.items(), s.items().size(), resp3, out);
    } else if (r instanceof Reply.Push p) {
      aggregate(resp3 ? '>' : '*', p.items(), p.items().size(), resp3, out);
    } else if (r instanceof Reply.Double d) {
      String text = formatDouble(d.value());
      if (resp3) out.write(',').writeLatin1(text).write(CRLF);
      else bulk(text.getBytes(StandardCharsets.US_ASCII), out);
    } else if (r instanceof Reply.Bool b) {
      if (resp3) out.writeLatin1(b.value() ? "#t\r\n" : "#f\r\n");
      else out.writeLatin1(b.value() ? ":1\r\n" : ":0\r\n");
    } else if (r instanceof Reply.Verbatim v) {
      if (!resp3) {
        bulk(v.text(), out);
      } else {
        out.write('=').writeLong(v.text().length + 4L).write(CRLF);
        // Redis sends exactly three format chars, padding a short one with spaces.
        String fmt = v.format() == null ? "" : v.format();
        for (int i = 0; i < 3; i++) out.write(i < fmt.length() ? fmt.charAt(i) : ' ');
        out.write(':').write(v.text()).write(CRLF);
      }
    } else if (r instanceof Reply.Raw raw) {
      out.write(raw.bytes());
    } else {
      throw new IllegalArgumentException("unknown reply " + r);
    }
  }

  private static void aggregate(char prefix, List<Reply> items, int count, boolean resp3,
      ByteSink out) {
    out.write(prefix).writeLong(count).write(CRLF);
    for (Reply item : items) render(item, resp3, out);
  }

  private static void bulk(byte[] value, ByteSink out) {
    out.write('$').writeLong(value.length).write(CRLF).write(value).write(CRLF);
  }

  /**
   * A status or error line. A CR or LF inside would end the line early and desynchronise the
   * client, so, as Redis does for formatted errors, those at the ends are dropped and the others
   * become spaces.
   */
  private static void line(char prefix, String text, ByteSink out) {
    byte[] bytes = RawText.toBytes(text);
    int from = 0;
    int to = bytes.length;
    while (from < to && isLineBreak(bytes[from])) from++;
    while (to > from && isLineBreak(bytes[to - 1])) to--;
    out.write(prefix);
    for (int i = from; i < to; i++) out.write(isLineBreak(bytes[i]) ? ' ' : bytes[i]);
    out.write(CRLF);
  }

  private static boolean isLineBreak(byte b) {
    return b == '\r' || b == '\n';
  }

  private static final MathContext SEVENTEEN_DIGITS = new MathContext(17, RoundingMode.HALF_EVEN);

  /**
   * A double as Redis 7.0's addReplyDouble prints it: C's {@code %.17g}, with "inf" and "-inf".
   * NaN is always "nan": glibc would print "-nan" for a NaN with its sign bit set, but the JVM
   * does not keep a NaN's sign meaningful, and Redis never stores one.
   */
  public static String formatDouble(double d) {
    if (Double.isNaN(d)) return "nan";
    if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return (Double.doubleToRawLongBits(d) < 0) ? "-0" : "0";
    // new BigDecimal(double) is the exact binary value, and glibc rounds that exact value
    // half-to-even; so the 17 digits here are the very digits printf produces.
    BigDecimal v = new BigDecimal(d).round(SEVENTEEN_DIGITS);
    String digits = v.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - v.scale(); // decimal exponent of the first digit
    digits = stripTrailingZeros(digits);
    StringBuilder sb = new StringBuilder(32);
    if (d < 0) sb.append('-');
    if (exp < -4 || exp >= 17) {
      // %e style; %g then drops trailing zeros, and the point if nothing follows it.
      sb.append(digits.charAt(0));
      if (digits.length() > 1) sb.append('.').append(digits, 1, digits.length());
      sb.append('e').append(exp < 0 ? '-' : '+');
      int abs = Math.abs(exp);
      if (abs < 10) sb.append('0');
      sb.append(abs);
    } else if (exp < 0) {
      sb.append("0.");
      for (int i = -1; i > exp; i--) sb.append('0');
      sb.append(digits);
    } else if (digits.length() <= exp + 1) {
      sb.append(digits);
      for (int i = digits.length(); i <= exp; i++) sb.append('0');
    } else {
      sb.append(digits, 0, exp + 1).append('.').append(digits, exp + 1, digits.length());
    }
    return sb.toString();
  }

  /**
   * A long double as Redis 7.0 prints INCRBYFLOAT and HINCRBYFLOAT results (ld2string in human
   * mode): {@code %.17Lf}, then trailing zeros and a bare point dropped, and "-0" shown as "0".
   * {@code value} is first rounded to x87 extended precision, the long double Redis holds (see
   * {@link LongDouble}); pass a value already rounded by LongDouble and this rounding is a no-op.
   */
  public static String formatLongDouble(BigDecimal value) {
    return LongDouble.of(value).toHumanString();
  }

  private static String stripTrailingZeros(String digits) {
    int end = digits.length();
    while (end > 1 && digits.charAt(end - 1) == '0') end--;
    return digits.substring(0, end);
  }
}
