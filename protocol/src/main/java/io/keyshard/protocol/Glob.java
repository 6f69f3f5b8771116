package io.keyshard.protocol;

/**
 * Redis's glob matching (stringmatchlen in util.c) on bytes, for KEYS, SCAN MATCH, PSUBSCRIBE and
 * CONFIG GET: {@code *}, {@code ?}, {@code [abc]}, {@code [^a]}, {@code [a-z]}, {@code \x}.
 *
 * <p>It reproduces Redis's corner cases, since clients see them: bytes compare as signed chars
 * (so {@code [a-\xff]} is the range \xff..a), a range's ends may come in either order, {@code [a-]}
 * takes the ']' as the range's end, an unclosed class ends with the pattern, {@code \} inside a
 * class compares case-sensitively even with nocase, and a pattern never matches the empty string
 * (KEYS * and SCAN special-case the pattern "*" before matching; callers must do the same).
 *
 * <p>Redis recurses once per '*' and, since 7.0.9, gives up when the text after a star cannot
 * match anywhere. That is exactly "backtrack to the last star only", done here with a loop:
 * O(pattern x string) time, no recursion, whatever the pattern.
 */
public final class Glob {
  private Glob() {}

  private static final int MISMATCH = -1;

  public static boolean match(byte[] pattern, byte[] string, boolean nocase) {
    return match(pattern, 0, pattern.length, string, 0, string.length, nocase, null);
  }

  public static boolean match(byte[] pattern, int pOff, int pLen, byte[] string, int sOff,
      int sLen, boolean nocase) {
    return match(pattern, pOff, pLen, string, sOff, sLen, nocase, null);
  }

  /** {@code steps[0]} counts token comparisons, for tests that bound the work done. */
  static boolean match(byte[] p, int pOff, int pLen, byte[] s, int sOff, int sLen,
      boolean nocase, long[] steps) {
    int pi = 0;
    int si = 0;
    int starP = -1; // pattern index just after the last star seen
    int starS = -1; // string index that star's continuation was last tried at
    while (true) {
      boolean failed;
      if (pi < pLen && si < sLen) {
        if (p[pOff + pi] == '*') {
          while (pi + 1 < pLen && p[pOff + pi + 1] == '*') pi++;
          if (pi == pLen - 1) return true; // a trailing star takes the rest
          starP = pi + 1;
          starS = si;
          pi = starP;
          continue;
        }
        if (steps != null) steps[0]++;
        int next = token(p, pOff, pLen, pi, s[sOff + si], nocase);
        if (next != MISMATCH) {
          pi = next;
          si++;
          if (si == sLen) {
            while (pi < pLen && p[pOff + pi] == '*') pi++;
          }
          continue;
        }
        failed = true;
      } else {
        failed = pi != pLen || si != sLen;
      }
      if (!failed) return true;
      // Let the last star swallow one more byte; Redis never lets it leave the rest of the
      // pattern an empty string, and once it has run out no earlier star can do better.
      if (starP < 0 || ++starS >= sLen) return false;
      pi = starP;
      si = starS;
    }
  }

  /** Matches the token at {@code pi} against {@code c}; the index after the token, or MISMATCH. */
  private static int token(byte[] p, int off, int len, int pi, byte c, boolean nocase) {
    switch (p[off + pi]) {
      case '?':
        return pi + 1;
      case '[': {
        pi++;
        boolean not = at(p, off, len, pi) == '^';
        if (not) pi++;
        boolean match = false;
        while (true) {
          int left = len - pi;
          byte b = at(p, off, len, pi);
          if (b == '\\' && left >= 2) {
            pi++;
            if (p[off + pi] == c) match = true;
          } else if (b == ']') {
            break;
          } else if (left <= 0) {
            pi--; // unclosed: the class ends with the pattern
            break;
          } else if (left >= 3 && p[off + pi + 1] == '-') {
            int start = b;
            int end = p[off + pi + 2];
            int ch = c;
            if (start > end) {
              int t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = lower(start);
              end = lower(end);
              ch = lower(ch);
            }
            pi += 2;
            if (ch >= start && ch <= end) match = true;
          } else if (nocase ? lower(b) == lower(c) : b == c) {
            match = true;
          }
          pi++;
        }
        if (not) match = !match;
        return match ? pi + 1 : MISMATCH;
      }
      case '\\':
        if (len - pi >= 2) pi++;
        // fall through: the escaped byte is compared literally
      default: {
        byte b = p[off + pi];
        boolean same = nocase ? lower(b) == lower(c) : b == c;
        return same ? pi + 1 : MISMATCH;
      }
    }
  }

  /** The pattern byte at {@code i}, or 0 past the end, where Redis reads the NUL terminator. */
  private static byte at(byte[] p, int off, int len, int i) {
    return i < len ? p[off + i] : 0;
  }

  /** C tolower in the C locale: ASCII letters only, and chars are signed. */
  private static int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  }
}
