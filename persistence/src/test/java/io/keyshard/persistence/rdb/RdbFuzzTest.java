package io.keyshard.persistence.rdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.ZSetValue;
import io.keyshard.protocol.FuzzRun;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * The DUMP payload codec under hostile input: random bytes after every type byte, and valid
 * payloads (of random values, and of old Redis's test files) mutated by bit flips, cuts,
 * insertions and lengths overwritten with huge ones. Each must read as a value or be refused
 * with RdbFormatException, in bounded time and memory (FuzzRun fails a try that hangs); a
 * random value must come back as it went. 160,000 inputs in every build, ten times as many with
 * -Pfuzz-long.
 */
@AddLifecycleHook(value = FuzzRun.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
class RdbFuzzTest {

  /** Reads a payload; a value or RdbFormatException, nothing else. */
  private static void readsOrRefuses(byte[] body) {
    byte[] payload = Payloads.wrap(body);
    try {
      Value v = DumpPayload.read(payload);
      // Whatever was read must be writable again.
      assertTrue(DumpPayload.verify(DumpPayload.of(v)));
    } catch (RdbFormatException expected) {
      // refused: fine
    }
  }

  @Provide
  Arbitrary<byte[]> randomBodies() {
    // Half the time a type Keyshard reads, so the bytes after it are read as that type.
    Arbitrary<Integer> type =
        Arbitraries.oneOf(
            Arbitraries.of(0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 16, 17, 18),
            Arbitraries.integers().between(0, 255));
    Arbitrary<byte[]> rest = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    return Combinators.combine(type, rest)
        .as(
            (t, r) -> {
              byte[] b = new byte[r.length + 1];
              b[0] = (byte) (int) t;
              System.arraycopy(r, 0, b, 1, r.length);
              return b;
            });
  }

  @Property(tries = 100_000)
  void randomBytesAreAValueOrBadData(@ForAll("randomBodies") byte[] body) {
    readsOrRefuses(body);
  }

  @Provide
  Arbitrary<Value> values() {
    return Arbitraries.longs().map(RdbFuzzTest::randomValue);
  }

  @Property(tries = 10_000)
  void everyValueComesBackAsItWent(@ForAll("values") Value v) throws Exception {
    Value back = DumpPayload.read(DumpPayload.of(v));
    assertEquals(expectedAfterRestore(v), Values.describe(back));
  }

  @Provide
  Arbitrary<byte[]> mutatedBodies() {
    return Arbitraries.longs().map(RdbFuzzTest::mutated);
  }

  @Property(tries = 50_000)
  void mutatedPayloadsAreAValueOrBadData(@ForAll("mutatedBodies") byte[] body) {
    readsOrRefuses(body);
  }

  // ------------------------------------------------------------------------------------------

  private static final List<byte[]> ASSET_BODIES = assetBodies();

  private static List<byte[]> assetBodies() {
    List<byte[]> out = new ArrayList<>();
    for (String f : List.of("encodings.rdb", "hash-zipmap.rdb", "hash-ziplist.rdb",
        "list-quicklist.rdb", "zset-ziplist.rdb", "corrupt_empty_keys.rdb")) {
      try {
        for (RdbItem.Entry e : RdbAssetsTest.entries(f)) {
          out.add(e.encoded());
        }
      } catch (Exception e) {
        throw new IllegalStateException(f, e);
      }
    }
    return out;
  }

  /** A valid body (a random value's, or an old one's), then a few random mutations. */
  static byte[] mutated(long seed) {
    Random r = new Random(seed);
    byte[] b =
        r.nextInt(3) == 0
            ? ASSET_BODIES.get(r.nextInt(ASSET_BODIES.size())).clone()
            : Payloads.body(DumpPayload.of(randomValue(r.nextLong())));
    int mutations = 1 + r.nextInt(4);
    for (int m = 0; m < mutations && b.length > 0; m++) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(6)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[at] = (byte) r.nextInt(256);
        case 2 -> b = Arrays.copyOf(b, at);
        case 3 -> {
          byte[] longer = new byte[b.length + 1];
          System.arraycopy(b, 0, longer, 0, at);
          longer[at] = (byte) r.nextInt(256);
          System.arraycopy(b, at, longer, at + 1, b.length - at);
          b = longer;
        }
        case 4 -> {
          // A length or count made huge: a 32-bit or 64-bit length marker with big values.
          byte[] huge = r.nextBoolean()
              ? new byte[] {(byte) 0x80, (byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}
              : new byte[] {(byte) 0x81, 0, 0, 0, 1, 0, 0, 0, 0};
          byte[] out = Arrays.copyOf(b, Math.max(b.length, at + huge.length));
          System.arraycopy(huge, 0, out, at, huge.length);
          b = out;
        }
        default -> {
          // A little-endian 32-bit field (listpack, ziplist, intset headers) made huge.
          if (at + 4 <= b.length) {
            b[at] = (byte) 0xff;
            b[at + 1] = (byte) 0xff;
            b[at + 2] = (byte) 0xff;
            b[at + 3] = (byte) 0x7f;
          }
        }
      }
    }
    return b;
  }

  /** A value of any type and encoding, with the edge cases of each (sizes around the limits). */
  static Value randomValue(long seed) {
    Random r = new Random(seed);
    switch (r.nextInt(5)) {
      case 0:
        return StringValue.of(element(r));
      case 1: {
        ListValue l = new ListValue();
        int n = 1 + size(r, 300);
        for (int i = 0; i < n; i++) {
          l.addLast(element(r));
        }
        return l;
      }
      case 2: {
        SetValue s = new SetValue();
        int n = 1 + size(r, 600);
        boolean ints = r.nextBoolean();
        while (s.size() < n) {
          s.add(ints ? Long.toString(r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(70_000) - 35_000).getBytes() : element(r));
        }
        return s;
      }
      case 3: {
        HashValue h = new HashValue();
        int n = 1 + size(r, 600);
        while (h.size() < n) {
          h.put(element(r), element(r));
        }
        return h;
      }
      default: {
        ZSetValue z = r.nextInt(4) == 0 ? ZSetValue.newSkiplist() : new ZSetValue();
        int n = 1 + size(r, 200);
        while (z.size() < n) {
          z.put(element(r), score(r));
        }
        return z;
      }
    }
  }

  private static int size(Random r, int max) {
    return r.nextInt(3) == 0 ? r.nextInt(max) : r.nextInt(8);
  }

  private static byte[] element(Random r) {
    switch (r.nextInt(6)) {
      case 0:
        return Long.toString(r.nextLong() >> r.nextInt(64)).getBytes();
      case 1:
        return new byte[0];
      case 2: {
        byte[] b = new byte[60 + r.nextInt(10)];
        r.nextBytes(b);
        return b;
      }
      case 3: {
        byte[] b = new byte[r.nextInt(2000)];
        r.nextBytes(b);
        return b;
      }
      default: {
        byte[] b = new byte[r.nextInt(12)];
        for (int i = 0; i < b.length; i++) {
          b[i] = (byte) (r.nextBoolean() ? '0' + r.nextInt(10) : r.nextInt(256));
        }
        return b;
      }
    }
  }

  private static double score(Random r) {
    switch (r.nextInt(8)) {
      case 0:
        return Double.POSITIVE_INFINITY;
      case 1:
        return Double.NEGATIVE_INFINITY;
      case 2:
        return -0.0;
      case 3:
        return r.nextInt(1000) - 500;
      case 4:
        return Double.longBitsToDouble(r.nextLong() & 0x7fefffffffffffffL) * (r.nextBoolean() ? 1 : -1);
      default:
        return r.nextDouble() * 1000;
    }
  }

  /**
   * What Redis's DUMP and RESTORE make of a value: the same data; a set, hash or sorted set back
   * in its compact form when it is small enough (RESTORE rebuilds, it does not remember), and a
   * compact sorted set holds -0 as 0.
   */
  static String expectedAfterRestore(Value v) {
    Value rebuilt = v;
    if (v instanceof SetValue s) {
      rebuilt = SetValue.of(s.members());
    } else if (v instanceof HashValue h && !h.encoding().equals("listpack")) {
      HashValue fresh = new HashValue();
      h.fields().forEach((f, val) -> fresh.put(f.array(), val));
      rebuilt = fresh;
    } else if (v instanceof ZSetValue z && z.encoding().equals("skiplist")) {
      int longest = 0;
      for (ZSetValue.Node n = z.first(); n != null; n = n.next()) {
        longest = Math.max(longest, n.member().length);
      }
      if (ZSetValue.fitsListpack(z.size(), longest)) {
        ZSetValue fresh = new ZSetValue();
        for (ZSetValue.Node n = z.first(); n != null; n = n.next()) {
          fresh.put(n.member(), n.score());
        }
        rebuilt = fresh;
      }
    }
    return Values.describe(rebuilt);
  }
}
