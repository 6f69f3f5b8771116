package io.keyshard.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a line into arguments with the rules of Redis's sdssplitargs (inline commands,
 * redis-cli, CONFIG SET values): blanks separate arguments; "double quotes" understand \n \r \t
 * \b \a \xHH and \ before any other char; 'single quotes' understand only \'. A closing quote must
 * be followed by a blank or the end of the line.
 */
public final class InlineSplitter {
  private InlineSplitter() {}

  private static final byte[][] NONE = new byte[0][];

  /** The arguments of {@code line[from..to)}, or null for unbalanced quotes. */
  public static byte[][] split(byte[] line, int from, int to) {
    // Redis walks a C string: a NUL ends the line, whatever follows it.
    for (int i = from; i < to; i++) {
      if (line[i] == 0) {
        to = i;
        break;
      }
    }
    List<byte[]> args = new ArrayList<>();
    Token cur = new Token();
    int p = from;
    while (true) {
      while (p < to && isSpace(line[p])) p++;
      if (p == to) return args.isEmpty() ? NONE : args.toArray(NONE);
      boolean inDouble = false;
      boolean inSingle = false;
      boolean done = false;
      cur.len = 0;
      while (!done) {
        int c = at(line, p, to);
        if (inDouble) {
          if (c == '\\' && at(line, p + 1, to) == 'x'
              && isHex(at(line, p + 2, to)) && isHex(at(line, p + 3, to))) {
            cur.add(hex(at(line, p + 2, to)) * 16 + hex(at(line, p + 3, to)));
            p += 3;
          } else if (c == '\\' && p + 1 < to) {
            p++;
            cur.add(switch (line[p]) {
              case 'n' -> '\n';
              case 'r' -> '\r';
              case 't' -> '\t';
              case 'b' -> '\b';
              case 'a' -> 7;
              default -> line[p];
            });
          } else if (c == '"') {
            if (p + 1 < to && !isSpace(line[p + 1])) return null;
            done = true;
          } else if (p == to) {
            return null;
          } else {
            cur.add(c);
          }
        } else if (inSingle) {
          if (c == '\\' && at(line, p + 1, to) == '\'') {
            p++;
            cur.add('\'');
          } else if (c == '\'') {
            if (p + 1 < to && !isSpace(line[p + 1])) return null;
            done = true;
          } else if (p == to) {
            return null;
          } else {
            cur.add(c);
          }
        } else if (p == to) {
          done = true;
        } else {
          switch (c) {
            // Only these four end a bare word, though \v and \f count as blanks between words.
            case ' ', '\n', '\r', '\t' -> done = true;
            case '"' -> inDouble = true;
            case '\'' -> inSingle = true;
            default -> cur.add(c);
          }
        }
        if (p < to) p++;
      }
      args.add(cur.toArray());
    }
  }

  /** The byte at {@code i} as 0..255, or -1 past the end (where C would see the terminator). */
  private static int at(byte[] b, int i, int to) {
    return i < to ? b[i] & 0xFF : -1;
  }

  /** C isspace in the C locale; Redis never switches LC_CTYPE. */
  static boolean isSpace(int b) {
    return b == ' ' || (b >= '\t' && b <= '\r');
  }

  private static boolean isHex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  private static int hex(int c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
  }

  private static final class Token {
    byte[] buf = new byte[16];
    int len;

    void add(int b) {
      if (len == buf.length) buf = Arrays.copyOf(buf, len * 2);
      buf[len++] = (byte) b;
    }

    byte[] toArray() {
      return Arrays.copyOf(buf, len);
    }
  }
}
