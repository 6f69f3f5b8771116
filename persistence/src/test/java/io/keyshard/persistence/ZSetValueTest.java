package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The skip list against a naive model (a sorted set of pairs), over many random operations. */
class ZSetValueTest {

  private record Pair(double score, Bytes member) {}

  private static final Comparator<Pair> ORDER =
      (a, b) -> ZSetValue.compare(a.score, a.member.array(), b.score, b.member.array());

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertSame(TreeSet<Pair> model, ZSetValue z, Random rnd) {
    z.checkInvariants();
    assertEquals(model.size(), z.size());
    List<Pair> list = new ArrayList<>(model);
    int i = 0;
    for (ZSetValue.Node n = z.first(); n != null; n = n.next(), i++) {
      assertArrayEquals(list.get(i).member.array(), n.member());
      assertEquals(list.get(i).score, n.score());
    }
    for (int k = 0; k < 5 && !list.isEmpty(); k++) {
      int r = rnd.nextInt(list.size());
      assertEquals(r, z.rank(list.get(r).member.array()));
      assertArrayEquals(list.get(r).member.array(), z.byRank(r).member());
      double probe = rnd.nextInt(60) - 5;
      boolean excl = rnd.nextBoolean();
      Pair first = list.stream().filter(p -> excl ? p.score > probe : p.score >= probe).findFirst().orElse(null);
      ZSetValue.Node f = z.firstAtOrAbove(probe, excl);
      assertEquals(first == null, f == null);
      if (f != null) {
        assertArrayEquals(first.member.array(), f.member());
      }
      Pair last = null;
      for (Pair p : list) {
        if (excl ? p.score < probe : p.score <= probe) {
          last = p;
        }
      }
      ZSetValue.Node l = z.lastAtOrBelow(probe, excl);
      assertEquals(last == null, l == null);
      if (l != null) {
        assertArrayEquals(last.member.array(), l.member());
      }
    }
    assertNull(z.byRank(list.size()));
    assertNull(z.byRank(-1));
  }

  @Test
  void matchesANaiveModelOverRandomOperations() {
    Random rnd = new Random(42);
    for (int round = 0; round < 20; round++) {
      ZSetValue z = new ZSetValue();
      TreeSet<Pair> model = new TreeSet<>(ORDER);
      Map<Bytes, Double> scores = new HashMap<>();
      int universe = 5 + rnd.nextInt(400);
      for (int op = 0; op < 3000; op++) {
        Bytes m = Bytes.of("m" + rnd.nextInt(universe));
        if (rnd.nextInt(3) > 0) {
          double s = rnd.nextInt(50);
          Double old = scores.put(m, s);
          if (old != null) {
            model.remove(new Pair(old, m));
          }
          model.add(new Pair(s, m));
          assertEquals(old == null, z.put(m.array(), s));
        } else {
          Double old = scores.remove(m);
          if (old != null) {
            model.remove(new Pair(old, m));
          }
          assertEquals(old != null, z.remove(m.array()));
        }
        if (op % 97 == 0) {
          assertSame(model, z, rnd);
        }
      }
      assertSame(model, z, rnd);
      ZSetValue copy = z.copy();
      assertSame(model, copy, rnd);
      copy.put(b("only-in-copy"), 1);
      assertFalse(z.contains(b("only-in-copy")));
      assertSame(model, z, rnd);
      ZSetValue decoded = ZSetValue.fromJson(z.membersInOrder(), z.scoresInOrder(), z.skiplistFlag());
      assertSame(model, decoded, rnd);
      // The copy and the decoded set stay correct under further changes.
      for (int op = 0; op < 500; op++) {
        Bytes m = Bytes.of("m" + rnd.nextInt(universe));
        Double old = scores.remove(m);
        if (old != null) {
          model.remove(new Pair(old, m));
        }
        decoded.remove(m.array());
        if (rnd.nextBoolean()) {
          double s = rnd.nextInt(50);
          scores.put(m, s);
          model.add(new Pair(s, m));
          decoded.put(m.array(), s);
        }
      }
      assertSame(model, decoded, rnd);
    }
  }

  @Test
  void lexRangesWithEqualScores() {
    ZSetValue z = new ZSetValue();
    for (String m : List.of("a", "b", "c", "d", "e")) {
      z.put(b(m), 0);
    }
    assertArrayEquals(b("b"), z.firstLexAtOrAbove(b("b"), false).member());
    assertArrayEquals(b("c"), z.firstLexAtOrAbove(b("b"), true).member());
    assertArrayEquals(b("d"), z.lastLexAtOrBelow(b("d"), false).member());
    assertArrayEquals(b("c"), z.lastLexAtOrBelow(b("d"), true).member());
    assertNull(z.firstLexAtOrAbove(b("e"), true));
    assertNull(z.lastLexAtOrBelow(b("a"), true));
  }

  @Test
  void encodingFollowsRedisLimitsAndNeverConvertsBack() {
    ZSetValue z = new ZSetValue();
    for (int i = 0; i < ZSetValue.LISTPACK_MAX_ENTRIES; i++) {
      z.put(b("m" + i), i);
    }
    assertEquals("listpack", z.encoding());
    z.put(b("one-more"), 1);
    assertEquals("skiplist", z.encoding());
    z.remove(b("one-more"));
    z.remove(b("m1"));
    assertEquals("skiplist", z.encoding());
    assertEquals("listpack", z.compactIfSmall().encoding());
    ZSetValue longMember = new ZSetValue();
    longMember.put(b("x".repeat(65)), 1);
    assertEquals("skiplist", longMember.encoding());
    assertEquals("skiplist", longMember.compactIfSmall().encoding());
  }

  @Test
  void negativeZeroOnlySurvivesInASkiplist() {
    ZSetValue small = new ZSetValue();
    small.put(b("a"), -0.0);
    assertEquals(0, Double.doubleToRawLongBits(small.score(b("a"))));
    ZSetValue big = new ZSetValue();
    big.put(b("x".repeat(65)), 1);
    big.put(b("a"), -0.0);
    assertTrue(Double.doubleToRawLongBits(big.score(b("a"))) < 0);
    assertFalse(big.put(b("a"), 0.0)); // same score for Redis: the stored one stays
    assertTrue(Double.doubleToRawLongBits(big.score(b("a"))) < 0);
  }
}
