package io.keyshard.persistence.rdb;

import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.ZSetValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Test helpers: values built from text, and a description that compares type, encoding, data. */
final class Values {
  private Values() {}

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static StringValue string(String s) {
    return StringValue.of(b(s));
  }

  static ListValue list(String... elements) {
    ListValue l = new ListValue();
    for (String e : elements) {
      l.addLast(b(e));
    }
    return l;
  }

  static SetValue set(String... members) {
    SetValue s = new SetValue();
    for (String m : members) {
      s.add(b(m));
    }
    return s;
  }

  static HashValue hash(String... fieldsAndValues) {
    HashValue h = new HashValue();
    for (int i = 0; i < fieldsAndValues.length; i += 2) {
      h.put(b(fieldsAndValues[i]), b(fieldsAndValues[i + 1]));
    }
    return h;
  }

  static ZSetValue zset(Object... membersAndScores) {
    ZSetValue z = new ZSetValue();
    for (int i = 0; i < membersAndScores.length; i += 2) {
      z.put(b((String) membersAndScores[i]), ((Number) membersAndScores[i + 1]).doubleValue());
    }
    return z;
  }

  /**
   * Type, encoding and contents; sets sorted (their order is not part of the value), hashes in
   * their iteration order, sorted set scores by their exact bits (so -0 differs from 0).
   */
  static String describe(Value v) {
    StringBuilder sb = new StringBuilder(v.typeName()).append('/').append(v.encoding()).append(':');
    if (v instanceof StringValue s) {
      sb.append(show(s.bytes()));
    } else if (v instanceof ListValue l) {
      for (int i = 0; i < l.size(); i++) {
        sb.append(show(l.get(i))).append(',');
      }
    } else if (v instanceof SetValue s) {
      TreeSet<Bytes> sorted = new TreeSet<>(s.members());
      sorted.forEach(m -> sb.append(show(m.array())).append(','));
    } else if (v instanceof HashValue h) {
      for (Map.Entry<Bytes, byte[]> e : h.fields().entrySet()) {
        sb.append(show(e.getKey().array())).append('=').append(show(e.getValue())).append(',');
      }
    } else if (v instanceof ZSetValue z) {
      for (ZSetValue.Node n = z.first(); n != null; n = n.next()) {
        sb.append(show(n.member())).append('=').append(Double.doubleToRawLongBits(n.score()))
            .append(',');
      }
    }
    return sb.toString();
  }

  /** Hash contents without order, for hashtable-encoded hashes whose order is not kept. */
  static List<String> sortedPairs(HashValue h) {
    List<String> out = new ArrayList<>();
    h.fields().forEach((f, v) -> out.add(show(f.array()) + "=" + show(v)));
    out.sort(null);
    return out;
  }

  private static final String HEX = "0123456789abcdef";

  static String show(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      int c = x & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append("\\x").append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 15));
      }
    }
    return sb.toString();
  }
}
