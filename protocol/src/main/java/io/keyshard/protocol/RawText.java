package io.keyshard.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Status and error texts that echo a client's bytes exactly, as Redis does ({@code unknown
 * command 'x\xff'}, {@code expected '$', got '\xff'}), kept in a Java String: ASCII bytes are
 * themselves, and each byte from 0x80 is the lone low surrogate U+DC80..U+DCFF, which no real
 * text contains. {@link #toBytes} writes those back as the bytes and every other char as UTF-8,
 * so constant texts stay plain strings and a reply carries the client's bytes, not U+FFFD.
 */
public final class RawText {
  private RawText() {}

  private static final int ESCAPE = 0xDC00;

  /** The text of {@code b[off..off+len)}, byte for byte. */
  public static String of(byte[] b, int off, int len) {
    char[] chars = new char[len];
    for (int i = 0; i < len; i++) chars[i] = of(b[off + i]);
    return new String(chars);
  }

  /** The char standing for one byte. */
  public static char of(byte b) {
    int v = b & 0xFF;
    return v < 0x80 ? (char) v : (char) (ESCAPE | v);
  }

  /** The bytes of a text: escaped bytes as themselves, everything else as UTF-8. */
  public static byte[] toBytes(String s) {
    int n = s.length();
    int i = 0;
    while (i < n && s.charAt(i) < 0x80) i++;
    if (i == n) return s.getBytes(StandardCharsets.US_ASCII); // the common case: plain ASCII
    ByteArrayOutputStream out = new ByteArrayOutputStream(n + 8);
    int runStart = 0;
    for (i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++; // a surrogate pair is real text, whatever its low half
        continue;
      }
      if (c >= (ESCAPE | 0x80) && c <= (ESCAPE | 0xFF)) {
        out.writeBytes(s.substring(runStart, i).getBytes(StandardCharsets.UTF_8));
        out.write(c & 0xFF);
        runStart = i + 1;
      }
    }
    out.writeBytes(s.substring(runStart).getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /** Inverse of {@link #toBytes} up to the bytes it writes: each byte from 0x80 escaped. */
  public static String fromBytes(byte[] b) {
    return of(b, 0, b.length);
  }
}
