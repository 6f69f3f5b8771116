package io.keyshard.persistence.rdb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.ZSetValue;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The digests redis-server 7.0.15 answered for these values (DEBUG DIGEST-VALUE and DEBUG
 * DIGEST, recorded by hand): the definition in {@link RedisDigest} is right for every type. The
 * node's DebugDigestDifferentialTest compares with a live redis-server over every encoding.
 */
class RedisDigestTest {
  private final RedisDigest digest = new RedisDigest();

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static ListValue list(String... es) {
    ListValue l = new ListValue();
    for (String e : es) {
      l.addLast(b(e));
    }
    return l;
  }

  private static SetValue set(String... ms) {
    SetValue s = new SetValue();
    for (String m : ms) {
      s.add(b(m));
    }
    return s;
  }

  private static ZSetValue zset() {
    ZSetValue z = new ZSetValue();
    z.put(b("a"), 1);
    z.put(b("b"), 2.5);
    z.put(b("c"), Double.NEGATIVE_INFINITY);
    return z;
  }

  private static HashValue hash() {
    HashValue h = new HashValue();
    h.put(b("f1"), b("v1"));
    h.put(b("f2"), b("2"));
    return h;
  }

  private String value(Value v, boolean expires) {
    return RedisDigest.hex(digest.value(v, expires));
  }

  @Test
  void valuesAsRedisDigestsThem() {
    assertEquals("36b23a1456b2dce2c3ed252c456761301dba8060", value(StringValue.of(b("hello")), false));
    assertEquals("981fd62c1655c074205cff40b800bd5a5bfdcd41", value(list("a", "b", "1"), false));
    assertEquals("e8f32bbb1ad9bf537c8867de4f19fec9e001296d", value(set("a", "b", "1"), false));
    assertEquals("f2ad7cda97b68291b8199d655f83d19f6e41e93c", value(zset(), false));
    assertEquals("fc076e867f7dbf566ea58172a151d82d78b8f845", value(hash(), false));
    // Only whether the key expires counts, not when.
    assertEquals("311b17018163335616e089f6b951c82c477335ac", value(StringValue.of(b("v")), true));
  }

  @Test
  void datasetAsRedisDigestsIt() {
    byte[][] parts = new byte[16][];
    parts[0] = new byte[RedisDigest.LENGTH];
    // The keys' order within a database does not matter: XOR.
    RedisDigest.xorInto(parts[0], digest.keyPart(b("h"), hash(), false));
    RedisDigest.xorInto(parts[0], digest.keyPart(b("e"), StringValue.of(b("v")), true));
    RedisDigest.xorInto(parts[0], digest.keyPart(b("s"), StringValue.of(b("hello")), false));
    RedisDigest.xorInto(parts[0], digest.keyPart(b("l"), list("a", "b", "1"), false));
    RedisDigest.xorInto(parts[0], digest.keyPart(b("z"), zset(), false));
    RedisDigest.xorInto(parts[0], digest.keyPart(b("st"), set("a", "b", "1"), false));
    assertEquals("af4f65ce60c67f276e387e5f1888370e2e178e24", RedisDigest.hex(digest.dataset(parts)));
    parts[2] = digest.keyPart(b("x"), StringValue.of(b("y")), false);
    assertEquals("3bcb24e4054e638b85573ba71bec9533f896b9cf", RedisDigest.hex(digest.dataset(parts)));
    assertEquals("0".repeat(40), RedisDigest.hex(digest.dataset(new byte[16][])));
  }
}
