package io.keyshard.node.commands;

import io.keyshard.node.testing.DifferentialTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random sequences of sorted-set commands (a fixed seed, so a failure repeats) against Keyshard
 * and a real redis-server, every reply compared. Sets grow past the listpack limits and shrink
 * again, so both encodings and the transitions are exercised; the multi-key forms run with keys
 * in one slot and in several. Lex ranges only run on a set whose
 * scores are all equal: with differing scores a skiplist's answer depends on its random levels.
 */
@Timeout(180)
class ZSetsRandomDifferentialTest extends DifferentialTestBase {

  /** Keys in one slot, then keys in three slots (the cross-slot path of the multi-key forms). */
  private static final String[] ONE_SLOT = {"{r}a", "{r}b", "{r}c"};

  private static final String[] THREE_SLOTS = {"ra", "rb", "rc"};

  private String[] keys = ONE_SLOT;
  private static final String LEX = "{r}lex";

  private Random rnd;

  private String member() {
    int n = rnd.nextInt(200);
    // A few long members push a set to the skiplist encoding.
    return rnd.nextInt(60) == 0 ? "long-" + "x".repeat(64) + n : "m" + n;
  }

  private String score() {
    return switch (rnd.nextInt(12)) {
      case 0 -> "inf";
      case 1 -> "-inf";
      case 2 -> Double.toString(rnd.nextInt(100) / 10.0);
      case 3 -> "-" + rnd.nextInt(10);
      default -> Integer.toString(rnd.nextInt(40));
    };
  }

  private String bound() {
    String s = rnd.nextBoolean() ? score() : Integer.toString(rnd.nextInt(40));
    return rnd.nextInt(3) == 0 ? "(" + s : s;
  }

  private String lexBound() {
    return switch (rnd.nextInt(6)) {
      case 0 -> "-";
      case 1 -> "+";
      default -> (rnd.nextBoolean() ? "[" : "(") + "m" + rnd.nextInt(200);
    };
  }

  private String key() {
    return keys[rnd.nextInt(keys.length)];
  }

  private String idx() {
    return Integer.toString(rnd.nextInt(60) - 30);
  }

  private String[] next() {
    String k = key();
    List<String> a = new ArrayList<>();
    switch (rnd.nextInt(24)) {
      case 0, 1, 2, 3 -> {
        a.add("ZADD");
        a.add(k);
        String[] flags = {"NX", "XX", "GT", "LT", "CH"};
        for (String f : flags) {
          if (rnd.nextInt(6) == 0) {
            a.add(f);
          }
        }
        int pairs = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 60 : 5);
        for (int i = 0; i < pairs; i++) {
          a.add(score());
          a.add(member());
        }
      }
      case 4 -> a.addAll(List.of("ZINCRBY", k, score(), member()));
      case 5 -> {
        a.addAll(List.of("ZREM", k));
        for (int i = 0; i < 1 + rnd.nextInt(6); i++) {
          a.add(member());
        }
      }
      case 6 -> a.addAll(List.of("ZRANGE", k, idx(), idx(), "WITHSCORES"));
      case 7 -> a.addAll(List.of(rnd.nextBoolean() ? "ZRANK" : "ZREVRANK", k, member()));
      case 8 -> {
        a.addAll(List.of(rnd.nextBoolean() ? "ZRANGEBYSCORE" : "ZREVRANGEBYSCORE", k, bound(), bound(), "WITHSCORES"));
        if (rnd.nextBoolean()) {
          a.addAll(List.of("LIMIT", Integer.toString(rnd.nextInt(8) - 1), Integer.toString(rnd.nextInt(8) - 2)));
        }
      }
      case 9 -> a.addAll(List.of("ZCOUNT", k, bound(), bound()));
      case 10 -> a.addAll(List.of(rnd.nextBoolean() ? "ZPOPMIN" : "ZPOPMAX", k, Integer.toString(rnd.nextInt(4))));
      case 11 -> a.addAll(List.of("ZREMRANGEBYRANK", k, idx(), idx()));
      case 12 -> a.addAll(List.of("ZREMRANGEBYSCORE", k, bound(), bound()));
      case 13 -> a.addAll(List.of("ZMSCORE", k, member(), member()));
      case 14 -> a.addAll(List.of("ZCARD", k));
      case 15 -> a.addAll(List.of("OBJECT", "ENCODING", k));
      case 16 -> {
        String[] ops = {"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"};
        a.addAll(List.of(ops[rnd.nextInt(3)], key(), "2", key(), key()));
        if (!a.get(0).equals("ZDIFFSTORE") && rnd.nextBoolean()) {
          a.addAll(List.of("WEIGHTS", Integer.toString(rnd.nextInt(5) - 2), "1"));
          a.addAll(List.of("AGGREGATE", List.of("SUM", "MIN", "MAX").get(rnd.nextInt(3))));
        }
      }
      case 17 -> {
        String[] ops = {"ZUNION", "ZINTER", "ZDIFF"};
        a.addAll(List.of(ops[rnd.nextInt(3)], "3", key(), key(), key(), "WITHSCORES"));
      }
      case 18 -> a.addAll(List.of("ZRANGESTORE", key(), k, bound(), bound(), "BYSCORE", "LIMIT", "0", Integer.toString(rnd.nextInt(200))));
      case 19 -> a.addAll(List.of("ZMPOP", "2", key(), key(), rnd.nextBoolean() ? "MIN" : "MAX", "COUNT", Integer.toString(1 + rnd.nextInt(3))));
      case 20 -> a.addAll(List.of("ZADD", LEX, "0", member(), "0", member()));
      case 21 -> a.addAll(List.of(rnd.nextBoolean() ? "ZRANGEBYLEX" : "ZREVRANGEBYLEX", LEX, lexBound(), lexBound(), "LIMIT", Integer.toString(rnd.nextInt(3)), Integer.toString(rnd.nextInt(10) - 1)));
      case 22 -> a.addAll(List.of("ZLEXCOUNT", LEX, lexBound(), lexBound()));
      default -> a.addAll(List.of("ZREMRANGEBYLEX", LEX, lexBound(), lexBound()));
    }
    return a.toArray(new String[0]);
  }

  @Test
  void randomCommandSequences() throws Exception {
    for (long seed = 1; seed <= 4; seed++) {
      rnd = new Random(seed);
      keys = seed <= 2 ? ONE_SLOT : THREE_SLOTS;
      d.both("FLUSHALL");
      for (int i = 0; i < 1500; i++) {
        d.check(next());
      }
      for (String k : keys) {
        d.check("ZRANGE", k, "0", "-1", "WITHSCORES");
        d.check("OBJECT", "ENCODING", k);
      }
      d.check("ZRANGE", LEX, "0", "-1", "WITHSCORES");
    }
  }
}
