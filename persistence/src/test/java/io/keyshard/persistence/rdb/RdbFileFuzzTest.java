package io.keyshard.persistence.rdb;

import static org.junit.jupiter.api.Assertions.fail;

import io.keyshard.persistence.rdb.RdbFileWriterVsRedisTest.Key;
import io.keyshard.protocol.FuzzRun;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * RdbFileReader under hostile input: valid files (of random values, and Redis's own test files)
 * mutated by bit flips, cuts, insertions and huge lengths. Each must read to its end or be
 * refused with RdbFormatException, in bounded time (FuzzRun fails a try that hangs) and memory
 * (a 1 MB value limit: nothing is sized from an announced length); a mutation must never get a
 * file through with its checksum required. Random files must read back as they were written.
 */
@AddLifecycleHook(value = FuzzRun.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
class RdbFileFuzzTest {

  private static final RdbFileReader.Options LIMITED =
      RdbFileReader.Options.DEFAULT.withMaxValueBytes(1 << 20);

  private static final List<byte[]> ASSET_FILES = assetFiles();

  private static List<byte[]> assetFiles() {
    List<byte[]> out = new ArrayList<>();
    for (String f : List.of("encodings.rdb", "hash-zipmap.rdb", "hash-ziplist.rdb",
        "list-quicklist.rdb", "zset-ziplist.rdb")) {
      try (InputStream in = RdbFileFuzzTest.class.getResourceAsStream("/rdb/" + f)) {
        out.add(in.readAllBytes());
      } catch (Exception e) {
        throw new IllegalStateException(f, e);
      }
    }
    return out;
  }

  /** A few random keys of any type, in up to three databases, some expiring. */
  static List<Key> randomKeys(Random r) {
    List<Key> keys = new ArrayList<>();
    int n = 1 + r.nextInt(5);
    for (int i = 0; i < n; i++) {
      keys.add(new Key(r.nextInt(3), "key" + i, RdbFuzzTest.randomValue(r.nextLong()),
          r.nextBoolean() ? -1 : 1_700_000_000_000L + r.nextInt(1_000_000_000)));
    }
    return keys;
  }

  static byte[] randomFile(Random r) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RdbFileWriterVsRedisTest.write(randomKeys(r), out, RdbFileWriter.Header.now(r.nextInt()));
    return out.toByteArray();
  }

  /** Reads to the end or refuses; answers whether it read to the end. */
  private static boolean readsOrRefuses(byte[] file, RdbFileReader.Options options) {
    try {
      RdbFileReader reader = new RdbFileReader(new ByteArrayInputStream(file), options);
      for (RdbItem item = reader.next(); item != null; item = reader.next()) {
        if (item instanceof RdbItem.Entry e && e.value() != null) {
          // Whatever was read must be writable again.
          DumpPayload.of(e.value());
        }
      }
      return true;
    } catch (RdbFormatException refused) {
      return false;
    } catch (Exception e) {
      throw new AssertionError("not a refusal: " + e, e);
    }
  }

  @Provide
  Arbitrary<Long> seeds() {
    return Arbitraries.longs();
  }

  @Property(tries = 1_000)
  void randomFilesReadBackAsWritten(@ForAll("seeds") long seed) throws Exception {
    Random r = new Random(seed);
    List<Key> keys = randomKeys(r);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RdbFileWriterVsRedisTest.write(keys, out, RdbFileWriter.Header.now(0));
    List<String> expected = new ArrayList<>();
    keys.stream().sorted((a, c) -> Integer.compare(a.db(), c.db())).forEach(k ->
        expected.add(k.db() + " " + k.name() + " " + RdbFuzzTest.expectedAfterRestore(k.value())
            + " " + k.expireAtMs()));
    List<String> got = new ArrayList<>();
    for (RdbItem item : RdbFileTest.readAll(out.toByteArray(), RdbFileReader.Options.DEFAULT)) {
      if (item instanceof RdbItem.Entry e) {
        got.add(e.db() + " " + new String(e.key()) + " " + Values.describe(e.value()) + " "
            + e.expireAtMs());
      }
    }
    // Compared as a whole only when different, so a failure names the first differing key.
    for (int i = 0; i < Math.max(expected.size(), got.size()); i++) {
      String e = i < expected.size() ? expected.get(i) : "(none)";
      String g = i < got.size() ? got.get(i) : "(none)";
      if (!e.equals(g)) {
        fail("key " + i + " of seed " + seed + ": expected " + abbreviate(e) + " but got "
            + abbreviate(g));
      }
    }
  }

  @Property(tries = 10_000)
  void mutatedFilesAreReadOrRefused(@ForAll("seeds") long seed) throws Exception {
    Random r = new Random(seed);
    boolean asset = r.nextInt(4) == 0;
    byte[] original = asset
        ? ASSET_FILES.get(r.nextInt(ASSET_FILES.size())).clone()
        : randomFile(r);
    byte[] b = mutate(original, r);
    boolean read = readsOrRefuses(b, asset ? LIMITED.withRequireChecksum(false) : LIMITED);
    if (!asset && read && !Arrays.equals(b, original)) {
      throw new AssertionError("a changed file got through its checksum");
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "... (" + s.length() + " chars)";
  }

  static byte[] mutate(byte[] original, Random r) {
    byte[] b = original.clone();
    int mutations = 1 + r.nextInt(3);
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
          byte[] huge = r.nextBoolean()
              ? new byte[] {(byte) 0x80, (byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}
              : new byte[] {(byte) 0x81, 0, 0, 0, 1, 0, 0, 0, 0};
          byte[] out = Arrays.copyOf(b, Math.max(b.length, at + huge.length));
          System.arraycopy(huge, 0, out, at, huge.length);
          b = out;
        }
        default -> {
          // An opcode dropped in: expiry, aux, select, module aux, function, stream type.
          int[] ops = {252, 253, 250, 254, 251, 247, 245, 248, 249, 15, 19, 7};
          b[at] = (byte) ops[r.nextInt(ops.length)];
        }
      }
    }
    return b;
  }
}
