package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * DirectDecoder answers what Jackson answers, or nothing: on the golden files, on random events
 * and snapshots, and on damaged bytes (a flipped, dropped or inserted byte, a cut).
 */
class DirectDecoderTest {
  private final KeyshardSerializer serializer = new KeyshardSerializer();

  private static final long[] TIMES = {0, 1, -1, 23, 24, 255, 256, 65535, 65536, 1767225600123L,
      Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE};

  @Test
  void goldenFilesDecodeDirectlyToWhatJacksonReads() throws Exception {
    int direct = 0;
    try (Stream<Path> files = Files.list(Path.of("src/test/resources/golden"))) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        String manifest = name.substring(0, name.indexOf('.'));
        byte[] bytes = Files.readAllBytes(file);
        Object viaDirect = DirectDecoder.decode(manifest, bytes, 1, bytes.length - 1);
        if (viaDirect != null) {
          direct++;
          assertArrayEquals(bytes, serializer.toBinary(viaDirect), name);
          assertSame(jackson(manifest, bytes), viaDirect, name);
        }
      }
    }
    // ValueSet and the snapshots of string keys (one with applied transactions named by their
    // logs); snapshots holding other types go to Jackson.
    assertEquals(3, direct);
  }

  @Test
  void randomEventsAndSnapshotsDecodeDirectly() throws Exception {
    Random random = new Random(15);
    for (int i = 0; i < 3000; i++) {
      Object sample = i % 2 == 0 ? valueSet(random) : snapshot(random);
      byte[] bytes = serializer.toBinary(sample);
      String manifest = serializer.manifest(sample);
      Object viaDirect = DirectDecoder.decode(manifest, bytes, 1, bytes.length - 1);
      assertNotNull(viaDirect, () -> "not taken: " + sample);
      assertArrayEquals(bytes, serializer.toBinary(viaDirect));
      assertSame(jackson(manifest, bytes), viaDirect, "sample " + i);
    }
  }

  @Test
  void damagedBytesDecodeAsJacksonReadsThemOrNotAtAll() throws Exception {
    Random random = new Random(6);
    int taken = 0;
    for (int i = 0; i < 5000; i++) {
      Object sample = i % 2 == 0 ? valueSet(random) : snapshot(random);
      String manifest = serializer.manifest(sample);
      byte[] bytes = damage(serializer.toBinary(sample), random);
      if (bytes.length < 2) {
        continue;
      }
      Object viaDirect = DirectDecoder.decode(manifest, bytes, 1, bytes.length - 1);
      if (viaDirect == null) {
        continue;
      }
      taken++;
      Object viaJackson;
      try {
        viaJackson = jackson(manifest, bytes);
      } catch (Exception e) {
        fail("taken directly, refused by Jackson (" + e + "): " + hex(bytes));
        return;
      }
      assertSame(viaJackson, viaDirect, hex(bytes));
    }
    // Many damages still leave a valid value (a changed byte of a key or a number).
    if (taken < 250) {
      fail("only " + taken + " damaged inputs were taken: the test tests little");
    }
  }

  @Test
  void whatItDoesNotTakeGoesToJackson() throws Exception {
    // An unknown field (a newer writer's), a value of another type, a type id not first.
    byte[] unknown = cbor("01 bf 62 64 62 03 63 6e 65 77 01 ff"); // {db: 3, new: 1}
    assertNull(DirectDecoder.decode("ValueSet", unknown, 1, unknown.length - 1));
    assertEquals(3, ((SlotEvent.ValueSet) serializer.fromBinary(unknown, "ValueSet")).db());
    HashValue hash = new HashValue();
    hash.put(b("f"), b("v"));
    SlotSnapshot withHash =
        new SlotSnapshot(List.of(new SlotSnapshot.DbEntries(0, List.of(new SlotSnapshot.Entry(b("h"), hash, 0)))));
    byte[] bytes = serializer.toBinary(withHash);
    assertNull(DirectDecoder.decode("SlotSnapshot", bytes, 1, bytes.length - 1));
    assertArrayEquals(bytes, serializer.toBinary(serializer.fromBinary(bytes, "SlotSnapshot")));
    // {dbs: [{db: 0, entries: [{key: h'6b', value: {bytes: h'76', t: "str"}, expireAt: 0}]}]}
    byte[] typeLast =
        cbor("01 bf 63 64 62 73 81 bf 62 64 62 00 67 65 6e 74 72 69 65 73 81 bf 63 6b 65 79 41 6b"
            + " 65 76 61 6c 75 65 bf 65 62 79 74 65 73 41 76 61 74 63 73 74 72 ff"
            + " 68 65 78 70 69 72 65 41 74 00 ff ff ff");
    assertNull(DirectDecoder.decode("SlotSnapshot", typeLast, 1, typeLast.length - 1));
    SlotSnapshot read = (SlotSnapshot) serializer.fromBinary(typeLast, "SlotSnapshot");
    assertArrayEquals(b("v"), ((StringValue) read.dbs().get(0).entries().get(0).value()).bytes());
  }

  /** Equal as stored: the same bytes when written again. */
  private void assertSame(Object expected, Object actual, String what) {
    assertArrayEquals(serializer.toBinary(expected), serializer.toBinary(actual), what);
  }

  private Object jackson(String manifest, byte[] bytes) throws Exception {
    return serializer.withJackson(KeyshardSerializer.typeOf(manifest), manifest, bytes, 0, bytes.length);
  }

  private static SlotEvent.ValueSet valueSet(Random r) {
    return new SlotEvent.ValueSet(
        r.nextInt(16), bytes(r), bytes(r), time(r), r.nextBoolean() ? null : r.nextInt(4) - 1);
  }

  private static SlotSnapshot snapshot(Random r) {
    List<SlotSnapshot.DbEntries> dbs = new ArrayList<>();
    for (int db = 0; db < 16; db++) {
      if (r.nextInt(4) == 0) {
        List<SlotSnapshot.Entry> entries = new ArrayList<>();
        int n = r.nextInt(30);
        for (int i = 0; i < n; i++) {
          entries.add(
              new SlotSnapshot.Entry(
                  bytes(r),
                  new StringValue(bytes(r), r.nextBoolean(), r.nextBoolean() ? null : r.nextInt(3)),
                  time(r)));
        }
        dbs.add(new SlotSnapshot.DbEntries(db, entries));
      }
    }
    List<Long> applied = null;
    if (r.nextBoolean()) {
      applied = new ArrayList<>();
      for (int i = r.nextInt(5); i > 0; i--) {
        applied.add(time(r));
      }
    }
    List<SlotSnapshot.LogTx> byLog = null;
    if (r.nextInt(3) == 0) {
      byLog = new ArrayList<>();
      for (int i = r.nextInt(3); i > 0; i--) {
        List<Long> ids = new ArrayList<>();
        for (int j = 1 + r.nextInt(3); j > 0; j--) {
          ids.add(time(r));
        }
        byLog.add(new SlotSnapshot.LogTx("txlog-" + Long.toHexString(r.nextLong()), ids));
      }
    }
    return new SlotSnapshot(dbs, applied, byLog);
  }

  private static byte[] bytes(Random r) {
    int n = switch (r.nextInt(4)) {
      case 0 -> r.nextInt(3);
      case 1 -> 23 + r.nextInt(3);
      case 2 -> r.nextInt(300);
      default -> r.nextInt(20);
    };
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static long time(Random r) {
    return r.nextInt(3) == 0 ? r.nextLong() : TIMES[r.nextInt(TIMES.length)];
  }

  private static byte[] damage(byte[] b, Random r) {
    int at = 1 + r.nextInt(b.length - 1);
    return switch (r.nextInt(4)) {
      case 0 -> {
        byte[] c = b.clone();
        c[at] = (byte) r.nextInt(256);
        yield c;
      }
      case 1 -> {
        byte[] c = new byte[b.length - 1];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(b, at + 1, c, at, b.length - at - 1);
        yield c;
      }
      case 2 -> {
        byte[] c = new byte[b.length + 1];
        System.arraycopy(b, 0, c, 0, at);
        c[at] = (byte) r.nextInt(256);
        System.arraycopy(b, at, c, at + 1, b.length - at);
        yield c;
      }
      default -> Arrays.copyOf(b, at);
    };
  }

  private static byte[] cbor(String hex) {
    String[] parts = hex.trim().split("\\s+");
    byte[] out = new byte[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    return out;
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(String.format("%02x ", x));
    }
    return s.toString();
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
