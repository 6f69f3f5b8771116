package io.keyshard.node.commands;

import io.keyshard.node.testing.Differential;
import java.util.ArrayList;
import java.util.List;

/** Test data: every type in each of Redis 7.0's encodings, built by the same commands on both. */
final class EveryType {
  private EveryType() {}

  /** Fills the selected database with every type and encoding; returns the keys made. */
  static List<String> fill(Differential d, String prefix) throws Exception {
    List<String> keys = new ArrayList<>();
    // Strings: int, embstr, raw, empty, binary-ish, integer-looking but not canonical.
    String[][] strings = {
      {"int", "12345"}, {"neg", "-7"}, {"big", "9223372036854775807"}, {"embstr", "hello"},
      {"raw", "x".repeat(100)}, {"empty", ""}, {"zeros", "007"}, {"float", "1.5"},
      {"bin", "\u00e9\u0000\u00ff"}
    };
    for (String[] s : strings) {
      d.check("SET", prefix + "s:" + s[0], s[1]);
      keys.add(prefix + "s:" + s[0]);
    }
    d.check("APPEND", prefix + "s:appended", "12");
    keys.add(prefix + "s:appended");
    d.check("INCRBYFLOAT", prefix + "s:incrfloat", "2.5");
    keys.add(prefix + "s:incrfloat");
    // Lists: small, with integers, and one over several quicklist nodes.
    d.check("RPUSH", prefix + "l:small", "a", "b", "1", "-2", "", "a");
    d.check("LPUSH", prefix + "l:pushed", "x", "y", "z");
    List<String> big = new ArrayList<>(List.of("RPUSH", prefix + "l:big"));
    for (int i = 0; i < 1500; i++) {
      big.add("element-" + i);
    }
    d.check(big.toArray(new String[0]));
    keys.addAll(List.of(prefix + "l:small", prefix + "l:pushed", prefix + "l:big"));
    // Sets: intset, listpack-sized strings (hashtable in 7.0), a large intset, a hashtable.
    d.check("SADD", prefix + "st:ints", "1", "-5", "300", "70000", "5000000000");
    d.check("SADD", prefix + "st:strs", "a", "b", "c");
    List<String> many = new ArrayList<>(List.of("SADD", prefix + "st:many"));
    for (int i = 0; i < 600; i++) {
      many.add(Integer.toString(i * 3));
    }
    d.check(many.toArray(new String[0]));
    d.check("SADD", prefix + "st:mixed", "1", "2", "x");
    keys.addAll(List.of(prefix + "st:ints", prefix + "st:strs", prefix + "st:many", prefix + "st:mixed"));
    // Hashes: listpack, hashtable by a long value, hashtable by many fields.
    d.check("HSET", prefix + "h:small", "f1", "v1", "f2", "2", "f3", "");
    d.check("HSET", prefix + "h:long", "f", "v".repeat(100));
    List<String> fields = new ArrayList<>(List.of("HSET", prefix + "h:many"));
    for (int i = 0; i < 600; i++) {
      fields.add("field-" + i);
      fields.add(Integer.toString(i));
    }
    d.check(fields.toArray(new String[0]));
    keys.addAll(List.of(prefix + "h:small", prefix + "h:long", prefix + "h:many"));
    // Sorted sets: listpack and skiplist, integer, fractional, infinite, tiny/huge scores, -0.
    d.check("ZADD", prefix + "z:small", "1", "a", "2.5", "b", "-inf", "c", "+inf", "d", "0.1", "e",
        "1e300", "f", "-3e-12", "g", "-0", "h", "4611686018427387904", "i");
    d.check("ZADD", prefix + "z:long", "1", "m".repeat(100), "-0", "negzero", "3.3", "x");
    List<String> members = new ArrayList<>(List.of("ZADD", prefix + "z:many"));
    for (int i = 0; i < 200; i++) {
      members.add(Double.toString(i / 7.0));
      members.add("member-" + i);
    }
    d.check(members.toArray(new String[0]));
    keys.addAll(List.of(prefix + "z:small", prefix + "z:long", prefix + "z:many"));
    return keys;
  }
}
