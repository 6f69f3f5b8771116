package io.keyshard.node.commands;

import io.keyshard.node.testing.DifferentialTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SORT and SORT_RO against a real redis-server 7.0.15, reply for reply: types, numeric and ALPHA
 * sorts, LIMIT's edges, BY and GET patterns (hash fields, missing keys, keys in other slots),
 * STORE, the errors, MULTI/EXEC, scripts and RESP3; then random lists, sets and sorted sets with
 * random options. Ties under ALPHA BY are left out: Redis leaves their order to its qsort.
 */
@Timeout(180)
class SortDifferentialTest extends DifferentialTestBase {

  private void data() throws Exception {
    d.both("RPUSH", "l", "3", "1", "2", "10");
    d.both("SADD", "s", "5", "3", "9");
    d.both("SADD", "ss", "b", "a", "c", "d");
    d.both("ZADD", "z", "1", "c", "2", "a", "3", "b");
    d.both("SET", "str", "x");
    d.both("RPUSH", "lb", "a", "b", "", "1e999");
    d.both("SET", "w_3", "1");
    d.both("SET", "w_1", "3");
    d.both("SET", "w_2", "abc");
    d.both("SET", "w_10", "-7");
    d.both("HSET", "h_1", "f", "2");
    d.both("HSET", "h_2", "f", "9");
    d.both("HSET", "h_3", "f", "5");
    d.both("HSET", "h_10", "g", "5");
  }

  @Test
  void basicsAndErrors() throws Exception {
    data();
    String[][] cases = {
      {"SORT", "l"}, {"SORT", "l", "DESC"}, {"SORT", "l", "ASC", "DESC", "ASC"},
      {"SORT", "l", "BY", "nosort"}, {"SORT", "l", "BY", "nosort", "DESC"},
      {"SORT", "l", "BY", "nosort", "LIMIT", "1", "2"}, {"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"},
      {"SORT", "z"}, {"SORT", "z", "ALPHA"}, {"SORT", "z", "ALPHA", "DESC", "LIMIT", "1", "1"},
      {"SORT", "z", "BY", "nosort"}, {"SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5"},
      {"SORT", "z", "BY", "nosort", "LIMIT", "1", "1"},
      {"SORT", "s"}, {"SORT", "s", "DESC"}, {"SORT", "ss", "ALPHA"}, {"SORT", "ss"},
      {"SORT", "str"}, {"SORT_RO", "str"}, {"SORT", "missing"}, {"SORT", "lb"}, {"SORT", "lb", "ALPHA"},
      {"SORT", "l", "LIMIT", "1", "9223372036854775807"}, {"SORT", "l", "LIMIT", "2", "9223372036854775807"},
      {"SORT", "l", "LIMIT", "-5", "2"}, {"SORT", "l", "LIMIT", "10", "2"}, {"SORT", "l", "LIMIT", "1", "-1"},
      {"SORT", "l", "LIMIT", "1", "0"}, {"SORT", "l", "LIMIT", "a", "1"}, {"SORT", "l", "LIMIT", "1"},
      {"SORT", "l", "LIMIT", "-9223372036854775808", "-1"}, {"SORT", "missing", "LIMIT", "0", "1"},
      {"SORT_RO", "l", "STORE", "x"}, {"SORT", "l", "STORE"}, {"SORT", "l", "foo"}, {"SORT", "l", "GET"},
      {"SORT", "l", "BY"}, {"SORT", "str", "foo"}, {"SORT", "l", "LIMIT", "x", "1", "foo"}, {"SORT"},
      {"SORT_RO"},
      {"SORT", "l", "GET", "#", "GET", "k_*", "GET", "h_*->f", "GET", "nostar", "GET", "w_*"},
      {"SORT", "l", "BY", "w_*"}, {"SORT", "l", "BY", "w_*", "ALPHA"}, {"SORT", "l", "BY", "h_*->f"},
      {"SORT", "l", "BY", "h_*->f", "DESC", "LIMIT", "0", "2", "GET", "h_*->f"},
      {"SORT", "l", "BY", "h_*->g"}, {"SORT", "l", "GET", "#", "GET", "w_*->"}, {"SORT", "l", "BY", "w_*->"},
      {"SORT", "l", "GET", "*"}, {"SORT", "l", "GET", "**"}, {"SORT", "s", "BY", "h_*->f"},
      {"SORT_RO", "l", "BY", "h_*->f", "GET", "#", "GET", "w_*"}, {"SORT", "l", "BY", "nosort", "GET", "w_*"},
      {"SORT", "l", "GET", "str"}, {"SORT", "l", "BY", "str"}, {"SORT", "l", "BY", "h_*"},
      {"SORT", "s", "BY", "nosort", "GET", "#"},
    };
    for (String[] c : cases) {
      d.check(c);
    }
  }

  @Test
  void store() throws Exception {
    data();
    d.check("SORT", "l", "BY", "h_*->f", "GET", "h_*->f", "GET", "w_*", "GET", "#", "STORE", "d3");
    d.check("LRANGE", "d3", "0", "-1");
    d.check("SET", "d4", "x");
    d.check("EXPIRE", "d4", "100");
    d.check("SORT", "l", "STORE", "d4");
    d.check("TTL", "d4");
    d.check("TYPE", "d4");
    d.check("SORT", "missing", "STORE", "d4");
    d.check("EXISTS", "d4");
    d.check("SORT", "missing", "STORE", "d4");
    // A set stored BY nosort is sorted first (ALPHA), so replicas and replays agree.
    d.check("SORT", "ss", "BY", "nosort", "STORE", "dst");
    d.check("LRANGE", "dst", "0", "-1");
    d.check("SORT", "ss", "BY", "nosort", "LIMIT", "0", "2", "STORE", "dst");
    d.check("LRANGE", "dst", "0", "-1");
    d.check("SORT", "str", "STORE", "dd");
    d.check("SORT", "l", "ALPHA", "STORE", "l");
    d.check("LRANGE", "l", "0", "-1");
    d.check("SORT", "l", "STORE", "a", "STORE", "{x}b");
    d.check("EXISTS", "a");
    d.check("LRANGE", "{x}b", "0", "-1");
    d.check("SORT", "z", "BY", "nosort", "DESC", "STORE", "zz");
    d.check("LRANGE", "zz", "0", "-1");
    d.check("OBJECT", "ENCODING", "zz");
  }

  @Test
  void multiExecScriptsAndResp3() throws Exception {
    data();
    d.check("MULTI");
    d.check("SORT", "l", "BY", "w_*", "ALPHA", "GET", "h_*->f");
    d.check("SET", "w_10", "0");
    d.check("SORT", "l", "BY", "w_*", "ALPHA", "STORE", "m");
    d.check("SORT_RO", "l", "STORE", "m");
    d.check("LRANGE", "m", "0", "-1");
    d.check("EXEC");
    d.check("EVAL", "return redis.call('sort','ss','by','nosort')", "0");
    d.check("EVAL", "return redis.call('sort','s','by','nosort')", "0");
    d.check("EVAL", "return redis.call('sort', KEYS[1], 'by', 'h_*->f', 'get', 'w_*', 'get', '#')", "1", "l");
    d.check("EVAL", "return redis.call('sort', KEYS[1], 'by', 'h_*->f', 'store', KEYS[2])", "2", "l", "dd");
    d.check("LRANGE", "dd", "0", "-1");
    d.check("EVAL", "return redis.pcall('sort', 'str')", "0");
    d.check("EVAL_RO", "return redis.pcall('sort', 'l')", "0");
    d.check("EVAL_RO", "return redis.pcall('sort_ro', 'l', 'by', 'w_*', 'alpha')", "0");
    d.both("HELLO", "3"); // its reply holds the client id, which differs
    d.check("SORT", "l", "GET", "#", "GET", "w_*", "GET", "nope_*");
    d.check("SORT_RO", "missing");
    d.check("SORT", "l", "STORE", "r3");
    d.check("SORT", "lb");
    d.check("EVAL", "return redis.call('sort', 'l', 'get', 'nope_*')", "0");
    d.check("COMMAND", "GETKEYS", "SORT", "a", "LIMIT", "0", "1", "STORE", "b", "BY", "x", "GET", "y", "STORE", "c");
    d.check("COMMAND", "GETKEYS", "SORT", "a", "GET", "store", "store", "x");
    d.check("COMMAND", "GETKEYS", "SORT_RO", "a", "BY", "x");
  }

  @Test
  void randomListsSetsAndSortedSets() throws Exception {
    Random rnd = new Random(20261208);
    String[] sources = {"rl", "rs", "rz", "{rl}w", "none"};
    for (int round = 0; round < 60; round++) {
      d.both("FLUSHALL");
      int n = rnd.nextInt(25);
      boolean numeric = rnd.nextInt(3) > 0;
      List<String> elements = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        elements.add(numeric ? Integer.toString(rnd.nextInt(40) - 10) : "e" + rnd.nextInt(50));
      }
      List<String> list = new ArrayList<>(List.of("RPUSH", "rl"));
      list.addAll(elements);
      List<String> set = new ArrayList<>(List.of("SADD", "rs"));
      set.addAll(elements);
      List<String> zset = new ArrayList<>(List.of("ZADD", "rz"));
      for (String e : elements) {
        zset.add(Integer.toString(rnd.nextInt(10)));
        zset.add(e);
      }
      if (n > 0) {
        d.both(list.toArray(new String[0]));
        d.both(set.toArray(new String[0]));
        d.both(zset.toArray(new String[0]));
        d.both("SET", "{rl}w", "not a list");
      }
      // Weights: distinct for every element (ALPHA BY has no ties), some missing for numeric BY.
      List<String> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(elements));
      java.util.Collections.shuffle(distinct, rnd);
      for (int i = 0; i < distinct.size(); i++) {
        String e = distinct.get(i);
        d.both("SET", "w_" + e, "v" + (1000 + i));
        if (rnd.nextInt(4) > 0) {
          d.both("SET", "n_" + e, Integer.toString(rnd.nextInt(20)));
        }
        d.both("HSET", "h_" + e, "f", Integer.toString(rnd.nextInt(100)), "g", "x" + (1000 + i));
      }
      for (int q = 0; q < 15; q++) {
        String name = rnd.nextInt(4) == 0 ? "SORT_RO" : "SORT";
        String src = sources[rnd.nextInt(sources.length)];
        // Option groups, each with its arguments, shuffled: SORT takes them in any order.
        List<List<String>> groups = new ArrayList<>();
        boolean alpha = !numeric || rnd.nextInt(3) == 0;
        switch (rnd.nextInt(6)) {
          case 0 -> groups.add(List.of("BY", alpha ? "w_*" : "n_*"));
          case 1 -> groups.add(List.of("BY", alpha ? "h_*->g" : "h_*->f"));
          // BY nosort: a set's own order is Redis's hash order unless it is an intset.
          case 2 -> {
            if (!src.equals("rs") || numeric) {
              groups.add(List.of("BY", "nosort"));
            }
          }
          default -> {}
        }
        if (alpha) {
          groups.add(List.of("ALPHA"));
        }
        if (rnd.nextBoolean()) {
          groups.add(List.of(rnd.nextBoolean() ? "DESC" : "ASC"));
        }
        if (rnd.nextInt(3) == 0) {
          groups.add(List.of("LIMIT", Integer.toString(rnd.nextInt(30) - 5), Integer.toString(rnd.nextInt(30) - 5)));
        }
        String[] patterns = {"#", "w_*", "h_*->f", "n_*", "missing_*", "nostar"};
        for (int g = rnd.nextInt(4); g > 0; g--) {
          groups.add(List.of("GET", patterns[rnd.nextInt(patterns.length)]));
        }
        String dest = rnd.nextBoolean() ? "dest" : "{rl}dest";
        boolean store = name.equals("SORT") && rnd.nextInt(3) == 0;
        if (store) {
          groups.add(List.of("STORE", dest));
        }
        java.util.Collections.shuffle(groups, rnd);
        List<String> a = new ArrayList<>(List.of(name, src));
        groups.forEach(a::addAll);
        d.check(a.toArray(new String[0]));
        if (store) {
          d.check("LRANGE", dest, "0", "-1");
          d.check("EXISTS", dest);
        }
      }
    }
  }
}
