package io.keyshard.persistence.rdb;

import static io.keyshard.persistence.rdb.Values.show;

import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.ZSetValue;
import io.keyshard.protocol.RespWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper: a key's type and contents as one text, from a Keyshard value or from what a real
 * redis-server answers for the key, so the two compare with one assertEquals. Sets and hash
 * fields sorted (their order is no part of the value), lists and sorted sets in order, scores as
 * Redis prints them.
 */
final class RedisContents {
  private RedisContents() {}

  static String of(Value v) {
    List<String> items = new ArrayList<>();
    if (v instanceof StringValue s) {
      items.add(show(s.bytes()));
    } else if (v instanceof ListValue l) {
      for (int i = 0; i < l.size(); i++) {
        items.add(show(l.get(i)));
      }
    } else if (v instanceof SetValue s) {
      s.members().forEach(m -> items.add(show(m.array())));
      items.sort(null);
    } else if (v instanceof HashValue h) {
      items.addAll(Values.sortedPairs(h));
    } else if (v instanceof ZSetValue z) {
      for (ZSetValue.Node n = z.first(); n != null; n = n.next()) {
        items.add(show(n.member()) + "=" + RespWriter.formatDouble(n.score()));
      }
    }
    return v.typeName() + ":" + String.join(",", items);
  }

  /** The same for a key of the connection's selected database. */
  @SuppressWarnings("unchecked")
  static String of(RedisServer r, byte[] key) throws IOException {
    String type = ((String) r.call("TYPE", key)).substring(1);
    List<String> items = new ArrayList<>();
    switch (type) {
      case "string" -> items.add(show((byte[]) r.call("GET", key)));
      case "list" -> ((List<byte[]>) r.call("LRANGE", key, 0, -1)).forEach(e -> items.add(show(e)));
      case "set" -> {
        ((List<byte[]>) r.call("SMEMBERS", key)).forEach(e -> items.add(show(e)));
        items.sort(null);
      }
      case "hash" -> {
        List<byte[]> flat = (List<byte[]>) r.call("HGETALL", key);
        for (int i = 0; i < flat.size(); i += 2) {
          items.add(show(flat.get(i)) + "=" + show(flat.get(i + 1)));
        }
        items.sort(null);
      }
      case "zset" -> {
        List<byte[]> flat = (List<byte[]>) r.call("ZRANGE", key, 0, -1, "WITHSCORES");
        for (int i = 0; i < flat.size(); i += 2) {
          items.add(show(flat.get(i)) + "=" + new String(flat.get(i + 1)));
        }
      }
      default -> items.add("?");
    }
    return type + ":" + String.join(",", items);
  }

  static String encoding(RedisServer r, byte[] key) throws IOException {
    return new String((byte[]) r.call("OBJECT", "ENCODING", key));
  }
}
