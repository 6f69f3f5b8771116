package io.keyshard.persistence.rdb;

import static io.keyshard.persistence.rdb.Values.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.rdb.RdbFileWriterVsRedisTest.Key;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RdbFileWriter and RdbFileReader without a Redis: round trips, and every way a file can be
 * wrong (a flipped byte anywhere, a cut anywhere, the wrong magic or version, absurd lengths,
 * bytes after the end) refused with a message naming the offset, quickly and without
 * allocating from the lengths it announces.
 */
class RdbFileTest {

  static byte[] file(List<Key> keys) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RdbFileWriterVsRedisTest.write(keys, out,
        RdbFileWriter.Header.now(1000).with("keyshard-cut", "42"));
    return out.toByteArray();
  }

  static List<RdbItem> readAll(byte[] file, RdbFileReader.Options options) throws Exception {
    RdbFileReader reader = new RdbFileReader(new ByteArrayInputStream(file), options);
    List<RdbItem> items = new ArrayList<>();
    for (RdbItem item = reader.next(); item != null; item = reader.next()) {
      items.add(item);
    }
    assertEquals(file.length, reader.offset());
    return items;
  }

  private static String refusal(byte[] file) {
    return refusal(file, RdbFileReader.Options.DEFAULT);
  }

  private static String refusal(byte[] file, RdbFileReader.Options options) {
    RdbFormatException e =
        assertThrows(RdbFormatException.class, () -> readAll(file, options));
    assertTrue(e.getMessage().startsWith("offset ") || e.getMessage().startsWith("key "),
        e.getMessage());
    return e.getMessage();
  }

  /** A small file of every type and encoding, expiries and three databases. */
  private static final List<Key> KEYS = List.of(
      new Key(0, "s", Values.string("hello"), -1),
      new Key(0, "i", Values.string("-12345"), 1_900_000_000_000L),
      new Key(0, "l", Values.list("a", "1", ""), -1),
      new Key(2, "si", Values.set("1", "2", "3"), -1),
      new Key(2, "st", Values.set("a", "b"), 1_800_000_000_000L),
      new Key(2, "h", Values.hash("f", "v", "g", "w"), -1),
      new Key(7, "z", Values.zset("a", 1, "b", 2.5), -1),
      new Key(7, "1234", Values.string("x".repeat(100)), -1));

  @Test
  void whatIsWrittenReadsBackItemByItem() throws Exception {
    byte[] file = file(KEYS);
    List<String> got = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (RdbItem item : readAll(file, RdbFileReader.Options.DEFAULT)) {
      if (item instanceof RdbItem.Aux a) {
        got.add("aux " + a.name());
      } else if (item instanceof RdbItem.DbSize s) {
        got.add("db " + s.db() + " " + s.keys() + " " + s.expires());
      } else if (item instanceof RdbItem.Entry e) {
        got.add(e.db() + " " + new String(e.key(), StandardCharsets.ISO_8859_1) + " "
            + Values.describe(e.value()) + " " + e.expireAtMs());
        // The encoded bytes are a RESTORE payload's body.
        assertEquals(Values.describe(e.value()),
            Values.describe(DumpPayload.read(DumpPayload.wrap(e.encoded()))));
      }
    }
    for (String aux : List.of("redis-ver", "redis-bits", "ctime", "used-mem", "aof-base",
        "keyshard-cut")) {
      expected.add("aux " + aux);
    }
    expected.add("db 0 3 1");
    expected.add("0 s string/embstr:hello -1");
    expected.add("0 i string/int:-12345 1900000000000");
    expected.add("0 l list/quicklist:a,1,, -1");
    expected.add("db 2 3 1");
    expected.add("2 si set/intset:1,2,3, -1");
    expected.add("2 st set/hashtable:a,b, 1800000000000");
    expected.add("2 h hash/listpack:f=v,g=w, -1");
    expected.add("db 7 2 0");
    expected.add("7 z zset/listpack:a=4607182418800017408,b=4612811918334230528, -1");
    expected.add("7 1234 string/raw:" + "x".repeat(100) + " -1");
    assertEquals(expected, got);
  }

  @Test
  void theWriterRefusesWhatNoLoaderTakes() throws Exception {
    RdbFileWriter w = new RdbFileWriter(new ByteArrayOutputStream(), RdbFileWriter.Header.now(0));
    assertThrows(IllegalStateException.class, () -> w.write(b("k"), Values.string("v"), -1));
    w.selectDb(0, 1, 0);
    assertThrows(IllegalArgumentException.class, () -> w.write(b("k"), Values.list(), -1));
    w.write(b("k"), Values.string(""), -1);
    w.finish();
    assertThrows(IllegalStateException.class, () -> w.write(b("k"), Values.string("v"), -1));
  }

  @Test
  void withoutDecodingEntriesCarryTheirBytesOnly() throws Exception {
    byte[] file = file(KEYS);
    List<RdbItem> decoded = readAll(file, RdbFileReader.Options.DEFAULT);
    List<RdbItem> raw = readAll(file, RdbFileReader.Options.DEFAULT.withDecode(false));
    assertEquals(decoded.size(), raw.size());
    for (int i = 0; i < raw.size(); i++) {
      if (raw.get(i) instanceof RdbItem.Entry e) {
        assertEquals(null, e.value());
        assertArrayEquals(((RdbItem.Entry) decoded.get(i)).encoded(), e.encoded());
      }
    }
  }

  @Test
  void everyFlippedByteIsRefused() throws Exception {
    byte[] file = file(KEYS);
    for (int at = 0; at < file.length; at++) {
      for (int bit : new int[] {0x01, 0x80, 0xff}) {
        byte[] bad = file.clone();
        bad[at] ^= (byte) bit;
        String message = refusal(bad);
        assertFalse(message.isEmpty(), "flip at " + at);
      }
    }
    // A flipped byte inside a value is found by the checksum.
    byte[] bad = file.clone();
    int at = indexOf(file, b("hello"));
    bad[at] = 'j';
    assertTrue(refusal(bad).contains("checksum mismatch"), refusal(bad));
  }

  @Test
  void everyCutIsRefused() throws Exception {
    byte[] file = file(KEYS);
    for (int len = 0; len < file.length; len++) {
      String message = refusal(Arrays.copyOf(file, len));
      assertTrue(message.contains("truncated") || message.contains("checksum"),
          len + ": " + message);
    }
  }

  @Test
  void wrongMagicVersionsAndTrailingBytesAreRefused() throws Exception {
    byte[] file = file(KEYS);
    byte[] magic = file.clone();
    magic[0] = 'X';
    assertTrue(refusal(magic).contains("not an RDB file"), refusal(magic));
    for (String version : List.of("0011", "0099", "0000", "00a0", "-001")) {
      byte[] v = file.clone();
      System.arraycopy(b(version), 0, v, 5, 4);
      assertTrue(refusal(v).startsWith("offset 5: RDB version"), refusal(v));
    }
    byte[] v4 = file.clone();
    System.arraycopy(b("0004"), 0, v4, 5, 4);
    assertTrue(refusal(v4).contains("has no checksum"), refusal(v4));
    byte[] longer = Arrays.copyOf(file, file.length + 1);
    assertTrue(refusal(longer).contains("bytes after the end"), refusal(longer));
  }

  @Test
  void aZeroChecksumPassesOnlyWhenAllowed() throws Exception {
    byte[] file = file(KEYS);
    Arrays.fill(file, file.length - 8, file.length, (byte) 0);
    assertTrue(refusal(file).contains("no checksum"), refusal(file));
    RdbFileReader reader = new RdbFileReader(new ByteArrayInputStream(file),
        RdbFileReader.Options.DEFAULT.withRequireChecksum(false));
    int entries = 0;
    for (RdbItem item = reader.next(); item != null; item = reader.next()) {
      entries += item instanceof RdbItem.Entry ? 1 : 0;
    }
    assertEquals(KEYS.size(), entries);
    assertFalse(reader.checksumVerified());
  }

  // ---------------------------------------------------------------- hand-made files

  /** A file of version 10 around {@code body}, with its EOF and a correct checksum. */
  static byte[] around(RdbOutput body) {
    RdbOutput f = new RdbOutput(body.size() + 32);
    f.write(b("REDIS0010"));
    f.write(body.array(), 0, body.size());
    f.writeByte(RdbFileFormat.EOF);
    f.writeLittleEndian(Crc64.of(f.array(), 0, f.size()), 8);
    return Arrays.copyOf(f.array(), f.size());
  }

  private static RdbOutput body() {
    RdbOutput o = new RdbOutput(64);
    o.writeByte(RdbFileFormat.SELECTDB);
    o.writeLen(0);
    return o;
  }

  private static void stringKey(RdbOutput o, String key, String value) {
    o.writeByte(RdbType.STRING);
    o.writeString(b(key));
    o.writeString(b(value));
  }

  @Test
  void absurdLengthsAreRefusedWithoutAllocating() throws Exception {
    // A key announcing 2^62 bytes.
    RdbOutput o = body();
    o.writeByte(RdbType.STRING);
    o.writeLen(1L << 62);
    assertTrue(refusal(around(o)).contains("above the limit"), refusal(around(o)));
    // A value announcing 2 GB, 1 GB, and just past a small limit, with a few bytes there.
    for (long len : new long[] {Integer.MAX_VALUE, 1L << 30, 1001}) {
      o = body();
      o.writeByte(RdbType.STRING);
      o.writeString(b("k"));
      o.writeLen(len);
      o.write(new byte[100]);
      String m = refusal(around(o), RdbFileReader.Options.DEFAULT.withMaxValueBytes(1000));
      assertTrue(m.contains("above the limit") || m.contains("larger than the limit"), m);
    }
    // Without the limit, the same value is truncated where the bytes end: nothing was sized by
    // the announced length.
    o = body();
    o.writeByte(RdbType.STRING);
    o.writeString(b("k"));
    o.writeLen((1L << 30) - 1);
    o.write(new byte[100]);
    assertTrue(refusal(around(o)).contains("truncated"), refusal(around(o)));
    // A list of 2^40 elements holding three.
    o = body();
    o.writeByte(RdbType.LIST);
    o.writeString(b("k"));
    o.writeLen(1L << 40);
    o.writeString(b("a"));
    o.writeString(b("b"));
    o.writeString(b("c"));
    // The EOF opcode and checksum are then read as a fourth element.
    assertTrue(refusal(around(o)).contains("unknown string encoding"), refusal(around(o)));
    // An LZF string announcing 2^40 bytes once decompressed.
    o = body();
    o.writeByte(RdbType.STRING);
    o.writeString(b("k"));
    o.writeByte(0xc3);
    o.writeLen(3);
    o.writeLen(1L << 40);
    o.write(new byte[3]);
    assertTrue(refusal(around(o)).contains("above the limit"), refusal(around(o)));
    // A database number beyond any.
    o = new RdbOutput(16);
    o.writeByte(RdbFileFormat.SELECTDB);
    o.writeLen(1L << 40);
    assertTrue(refusal(around(o)).contains("database number"), refusal(around(o)));
    // A 64-bit length with its top bit set.
    o = body();
    o.writeByte(RdbType.STRING);
    o.write(new byte[] {(byte) 0x81, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0});
    assertTrue(refusal(around(o)).contains("beyond 2^63"), refusal(around(o)));
  }

  @Test
  void valuesThatFrameButDoNotDecodeNameTheirKey() throws Exception {
    RdbOutput o = body();
    o.writeByte(RdbType.SET_INTSET);
    o.writeString(b("bad-intset"));
    o.writeString(new byte[] {2, 0, 0, 0, 5, 0, 0, 0}); // 5 entries announced, none there
    String m = refusal(around(o));
    assertTrue(m.contains("'bad-intset'") && m.startsWith("offset 11:"), m);
    // An empty list, which Redis refuses as an empty key.
    o = body();
    o.writeByte(RdbType.LIST_QUICKLIST_2);
    o.writeString(b("empty"));
    o.writeLen(0);
    assertTrue(refusal(around(o)).contains("empty collection"), refusal(around(o)));
  }

  @Test
  void unknownAndRefusedOpcodes() throws Exception {
    for (int type : new int[] {8, 20, 21, 100, 244}) {
      RdbOutput o = body();
      o.writeByte(type);
      o.writeString(b("k"));
      o.writeString(b("v"));
      assertTrue(refusal(around(o)).contains("unknown opcode or value type " + type),
          refusal(around(o)));
    }
    RdbOutput o = body();
    o.writeByte(RdbType.MODULE);
    o.writeString(b("k"));
    assertTrue(refusal(around(o)).contains("module value of the pre-release format"),
        refusal(around(o)));
  }

  /** A module id: nine characters of the module charset, then a 10-bit encoding version. */
  private static long moduleId(String name, int version) {
    String charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    long id = 0;
    for (char c : name.toCharArray()) {
      id = (id << 6) | charset.indexOf(c);
    }
    return (id << 10) | version;
  }

  /** As a 64-bit length, unsigned: ids of modules named from 'g' on have the top bit set. */
  private static void writeModuleId(RdbOutput o, long id) {
    o.writeByte(0x81);
    for (int shift = 56; shift >= 0; shift -= 8) {
      o.writeByte((int) (id >>> shift));
    }
  }

  @Test
  void modulesAreSteppedOverAndReportedStreamsRead() throws Exception {
    RdbOutput o = body();
    // Module aux data: id, when (UINT tag and value), then one field of every kind and EOF.
    o.writeByte(RdbFileFormat.MODULE_AUX);
    writeModuleId(o, moduleId("ReJSON-RL", 3));
    o.writeLen(RdbFileFormat.MODULE_OPCODE_UINT);
    o.writeLen(2);
    moduleFields(o);
    stringKey(o, "a", "1");
    // A key of a module type.
    o.writeByte(RdbFileFormat.EXPIRETIME_MS);
    o.writeLittleEndian(1_900_000_000_000L, 8);
    o.writeByte(RdbType.MODULE_2);
    o.writeString(b("doc"));
    writeModuleId(o, moduleId("graphdata", 1));
    moduleFields(o);
    stringKey(o, "b", "2");
    // A stream (read since Keyshard has streams): one node, a group with a pending entry.
    io.keyshard.persistence.SlotState st = new io.keyshard.persistence.SlotState();
    st.apply(new io.keyshard.persistence.StreamEvent.Added(0, b("events"), 5, 0, List.of(b("f"), b("v")), true), 0);
    st.apply(new io.keyshard.persistence.StreamEvent.GroupSet(0, b("events"), b("g"), new long[] {5, 0}, 1), 0);
    st.apply(new io.keyshard.persistence.StreamEvent.Assigned(0, b("events"), b("g"), b("c"), new long[] {5, 0},
        new long[] {1_700_000_000_000L}, new long[] {1}), 0);
    o.writeByte(RdbType.STREAM_LISTPACKS_2);
    o.writeString(b("events"));
    StreamRdb.writeBody((io.keyshard.persistence.StreamValue) st.db(0).get(io.keyshard.persistence.Bytes.of("events")).value, o);
    stringKey(o, "c", "3");
    o.writeByte(RdbFileFormat.FUNCTION);
    o.writeString(b("#!lua name=lib\nredis.register_function('f', function() return 1 end)"));

    List<String> got = new ArrayList<>();
    for (RdbItem item : readAll(around(o), RdbFileReader.Options.DEFAULT)) {
      if (item instanceof RdbItem.Entry e) {
        got.add("entry " + new String(e.key()) + " " + e.expireAtMs());
      } else if (item instanceof RdbItem.Unsupported u) {
        got.add(u.kind() + " " + (u.key() == null ? "-" : new String(u.key())) + " "
            + u.detail());
      } else if (item instanceof RdbItem.Function f) {
        got.add("FUNCTION " + f.name() + " " + new String(f.code()));
      }
    }
    assertEquals(List.of(
        "MODULE_AUX - ReJSON-RL (encoding version 3)",
        "entry a -1",
        "MODULE_VALUE doc graphdata (encoding version 1)",
        "entry b -1",
        "entry events -1",
        "entry c -1",
        "FUNCTION lib #!lua name=lib\nredis.register_function('f', function() return 1 end)"), got);
  }

  private static void moduleFields(RdbOutput o) {
    o.writeLen(RdbFileFormat.MODULE_OPCODE_SINT);
    o.writeLen(12);
    o.writeLen(RdbFileFormat.MODULE_OPCODE_FLOAT);
    o.write(new byte[4]);
    o.writeLen(RdbFileFormat.MODULE_OPCODE_DOUBLE);
    o.write(new byte[8]);
    o.writeLen(RdbFileFormat.MODULE_OPCODE_STRING);
    o.writeString(b("module string"));
    o.writeLen(RdbFileFormat.MODULE_OPCODE_EOF);
  }

  @Test
  void oldOpcodesAndHintsAreRead() throws Exception {
    RdbOutput o = body();
    o.writeByte(RdbFileFormat.EXPIRETIME); // seconds, 4 bytes
    o.writeLittleEndian(1_800_000_000L, 4);
    o.writeByte(RdbFileFormat.IDLE);
    o.writeLen(1000);
    stringKey(o, "old", "v");
    o.writeByte(RdbFileFormat.FREQ);
    o.writeByte(5);
    stringKey(o, "lfu", "w");
    List<RdbItem> items = readAll(around(o), RdbFileReader.Options.DEFAULT);
    assertEquals(1_800_000_000_000L, ((RdbItem.Entry) items.get(0)).expireAtMs());
    assertEquals(-1, ((RdbItem.Entry) items.get(1)).expireAtMs());
  }

  @Test
  void aLargeFileStreamsThroughWithoutHoldingIt() throws Exception {
    // 200,000 keys through a pipe-like stream: the reader sees them one by one.
    byte[] value = new byte[100];
    PipedInputStream pipeIn = new PipedInputStream(1 << 16);
    PipedOutputStream pipeOut = new PipedOutputStream(pipeIn);
    int n = 200_000;
    Thread writer = new Thread(() -> {
      try (RdbFileWriter w = new RdbFileWriter(pipeOut, RdbFileWriter.Header.now(0))) {
        w.selectDb(0, n, 0);
        for (int i = 0; i < n; i++) {
          w.write(b("key:" + i), StringValue.of(value), -1);
        }
        w.finish();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    writer.start();
    long count = 0;
    try (InputStream in = pipeIn) {
      RdbFileReader reader = new RdbFileReader(in);
      for (RdbItem item = reader.next(); item != null; item = reader.next()) {
        count += item instanceof RdbItem.Entry ? 1 : 0;
      }
      assertTrue(reader.checksumVerified());
    }
    writer.join();
    assertEquals(n, count);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
