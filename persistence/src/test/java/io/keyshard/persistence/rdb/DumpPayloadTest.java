package io.keyshard.persistence.rdb;

import static io.keyshard.persistence.rdb.Payloads.hex;
import static io.keyshard.persistence.rdb.Payloads.wrap;
import static io.keyshard.persistence.rdb.Values.b;
import static io.keyshard.persistence.rdb.Values.describe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.ZSetValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DumpPayloadTest {

  private static Value roundTrip(Value v) throws RdbFormatException {
    byte[] p = DumpPayload.of(v);
    assertTrue(DumpPayload.verify(p));
    return DumpPayload.read(p);
  }

  private static void assertRoundTrip(Value v) throws RdbFormatException {
    assertEquals(describe(v), describe(roundTrip(v)));
  }

  @Test
  void dumpOfTheIntegerTenIsRedisDocumentedPayload() {
    // Redis's DUMP documentation: SET mykey 10, DUMP mykey.
    assertArrayEquals(hex("00c00a0a006e9f57450eae63bb"), DumpPayload.of(Values.string("10")));
  }

  @Test
  void stringsKeepTheirBytesAndTheirEncodingAfterARoundTrip() throws Exception {
    for (String s : List.of("", "a", "hello", "0", "-1", "127", "128", "-128", "-129", "32767",
        "32768", "-32768", "2147483647", "2147483648", "-2147483648", "-2147483649",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "007", "-0", "+1",
        " 1", "1 ", "x".repeat(44), "x".repeat(45), "y".repeat(20_000), "\0\r\n\u00ff")) {
      assertRoundTrip(Values.string(s));
    }
  }

  @Test
  void shortIntegerStringsUseTheIntegerEncodings() {
    assertArrayEquals(hex("00c0ff"), Payloads.body(DumpPayload.of(Values.string("-1"))));
    assertArrayEquals(hex("00c18000"), Payloads.body(DumpPayload.of(Values.string("128"))));
    assertArrayEquals(hex("00c200800000"), Payloads.body(DumpPayload.of(Values.string("32768"))));
    // Beyond 32 bits, or not canonical: as characters.
    assertArrayEquals(hex("000a") , Arrays.copyOf(Payloads.body(DumpPayload.of(Values.string("2147483648"))), 2));
    assertArrayEquals(hex("0003303037"), Payloads.body(DumpPayload.of(Values.string("007"))));
  }

  @Test
  void anIncrbyfloatResultThatLooksLikeAnIntegerComesBackAsAnInteger() throws Exception {
    StringValue embstr = StringValue.of(b("10")).with(StringValue.NOT_INT);
    assertEquals("embstr", embstr.encoding());
    assertEquals("int", roundTrip(embstr).encoding());
  }

  @Test
  void listsOfAnySizeAndElement() throws Exception {
    assertRoundTrip(Values.list("a"));
    assertRoundTrip(Values.list("", "1", "-4096", "4095", "4096", "-4097", "127", "128",
        "32767", "-32768", "8388607", "-8388608", "8388608", "2147483647", "-2147483649",
        "9223372036854775807", "-9223372036854775808", "01", "x".repeat(63), "x".repeat(64),
        "x".repeat(4095), "x".repeat(4096), "z".repeat(70_000)));
    ListValue big = new ListValue();
    for (int i = 0; i < 10_000; i++) {
      big.addLast(b("element-" + i));
    }
    assertRoundTrip(big);
    assertEquals(RdbType.LIST_QUICKLIST_2, DumpPayload.of(big)[0]);
  }

  @Test
  void aListIsSplitIntoNodesOfAbout8Kb() throws Exception {
    ListValue l = new ListValue();
    for (int i = 0; i < 3000; i++) {
      l.addLast(b("0123456789"));
    }
    byte[] p = DumpPayload.of(l);
    RdbInput in = new RdbInput(p, 1, p.length - 10);
    int nodes = (int) in.readLen();
    assertTrue(nodes > 3 && nodes < 10, "nodes: " + nodes);
    for (int i = 0; i < nodes; i++) {
      assertEquals(RdbType.CONTAINER_PACKED, in.readLen());
      assertTrue(in.readString().length <= RdbValueWriter.NODE_BYTES);
    }
  }

  @Test
  void setsAsIntsetOrTable() throws Exception {
    SetValue small = Values.set("3", "-2", "100000", "1");
    assertEquals(RdbType.SET_INTSET, DumpPayload.of(small)[0]);
    assertEquals("intset", roundTrip(small).encoding());
    assertRoundTrip(small);
    SetValue wide = Values.set("9223372036854775807", "-9223372036854775808", "0");
    assertRoundTrip(wide);
    SetValue words = Values.set("a", "", "1");
    assertEquals(RdbType.SET, DumpPayload.of(words)[0]);
    assertRoundTrip(words);
    SetValue many = new SetValue();
    for (int i = 0; i < 513; i++) {
      many.add(b(Integer.toString(i)));
    }
    assertEquals("hashtable", many.encoding());
    assertRoundTrip(many);
    // A table that shrank back to few integers is written in full, read back as an intset,
    // as Redis's DUMP and RESTORE do.
    SetValue shrunk = Values.set("a", "1", "2");
    shrunk.remove(b("a"));
    assertEquals("hashtable", shrunk.encoding());
    assertEquals("intset", roundTrip(shrunk).encoding());
  }

  @Test
  void hashesAsListpackOrTable() throws Exception {
    HashValue small = Values.hash("f", "v", "", "", "1", "-12", "long", "x".repeat(64));
    assertEquals(RdbType.HASH_LISTPACK, DumpPayload.of(small)[0]);
    assertRoundTrip(small);
    HashValue wide = Values.hash("f", "x".repeat(65));
    assertEquals(RdbType.HASH, DumpPayload.of(wide)[0]);
    assertRoundTrip(wide);
    HashValue many = new HashValue();
    for (int i = 0; i < 600; i++) {
      many.put(b("f" + i), b(Integer.toString(i)));
    }
    assertRoundTrip(many);
  }

  @Test
  void sortedSetsAsListpackOrSkiplistWithExactScores() throws Exception {
    ZSetValue small = Values.zset("a", 1, "b", 1.5, "c", -0.0, "d", Double.POSITIVE_INFINITY,
        "e", Double.NEGATIVE_INFINITY, "f", 0.1, "g", 1e300, "h", -4.9e-324, "i", 4.7e18,
        "j", -3, "", 7);
    assertEquals(RdbType.ZSET_LISTPACK, DumpPayload.of(small)[0]);
    assertRoundTrip(small);
    ZSetValue skiplist = ZSetValue.newSkiplist();
    skiplist.put(b("neg-zero"), -0.0);
    skiplist.put(b("m".repeat(65)), 2.5);
    assertEquals(RdbType.ZSET_2, DumpPayload.of(skiplist)[0]);
    // Kept as -0 in a skiplist; a long member keeps it a skiplist.
    assertRoundTrip(skiplist);
    ZSetValue many = new ZSetValue();
    for (int i = 0; i < 200; i++) {
      many.put(b("m" + i), i * 0.5);
    }
    assertRoundTrip(many);
    // Small enough again: Redis's loader makes it a listpack, and -0 becomes 0.
    ZSetValue few = ZSetValue.newSkiplist();
    few.put(b("z"), -0.0);
    Value back = roundTrip(few);
    assertEquals("listpack", back.encoding());
    assertEquals(0L, Double.doubleToRawLongBits(((ZSetValue) back).first().score()));
  }

  @Test
  void verifyChecksVersionAndChecksum() {
    byte[] p = DumpPayload.of(Values.string("hello"));
    assertTrue(DumpPayload.verify(p));
    for (int i = 0; i < p.length; i++) {
      byte[] bad = p.clone();
      bad[i] ^= 1;
      assertFalse(DumpPayload.verify(bad), "bit flipped at " + i);
    }
    assertFalse(DumpPayload.verify(new byte[9]));
    assertFalse(DumpPayload.verify(Arrays.copyOf(p, p.length - 1)));
    byte[] body = Payloads.body(p);
    assertTrue(DumpPayload.verify(wrap(body, 9)));
    assertTrue(DumpPayload.verify(wrap(body, 0)));
    assertFalse(DumpPayload.verify(wrap(body, 11)));
  }

  @Test
  void typesKeyshardDoesNotHaveAreBadData() {
    for (int type : new int[] {6, 7, 8, 15, 19, 20, 100, 255}) {
      byte[] p = wrap(new byte[] {(byte) type, 0, 0, 0});
      assertThrows(RdbFormatException.class, () -> DumpPayload.read(p), "type " + type);
    }
  }

  @Test
  void emptyCollectionsDuplicatesAndNanAreBadData() {
    List<String> bad = new ArrayList<>();
    bad.add("0100"); // list of 0
    bad.add("0200"); // set of 0
    bad.add("0400"); // hash of 0
    bad.add("0500"); // zset of 0
    bad.add("0e00"); // quicklist of 0 nodes
    bad.add("1200"); // quicklist 2 of 0 nodes
    bad.add("02020161 0161"); // set with "a" twice
    bad.add("0402 016101 62 016101 63"); // hash with field "a" twice
    bad.add("050101 61 000000000000f87f"); // zset with a NaN score (binary)
    bad.add("030101 61 fd"); // zset with a NaN score (string form)
    bad.add("0b08 02000000 00000000"); // intset of 0 members
    bad.add("0b0c 02000000 02000000 0200 0100"); // intset out of order
    bad.add("0b0c 03000000 01000000 0100 0000"); // intset width 3
    bad.add("1201 03 01 00"); // quicklist 2 node of container 3
    bad.add("1201 02 00"); // quicklist 2 with an empty node
    bad.add("00 c3 01 ff 61"); // LZF announcing 255 bytes from 1
    bad.add("00 c4"); // unknown string encoding
    bad.add("00 82 00000005 61"); // 64-bit length marker 0x82
    bad.add("00 80 7fffffff 61"); // a length far beyond the bytes
    bad.add("02 81 00000000ffffffff 61"); // a count far beyond the bytes
    for (String h : bad) {
      byte[] p = wrap(hex(h));
      assertThrows(RdbFormatException.class, () -> DumpPayload.read(p), h);
    }
  }

  @Test
  void everyTruncationOfAValueIsBadDataNeverAnotherError() throws Exception {
    Value[] values = {
      Values.string("hello world"), Values.list("a", "1", "x".repeat(100)),
      Values.set("1", "2"), Values.set("a", "b"), Values.hash("f", "v"),
      Values.hash("f", "x".repeat(70)), Values.zset("a", 1.5, "b", 2)
    };
    for (Value v : values) {
      byte[] body = Payloads.body(DumpPayload.of(v));
      for (int n = 0; n < body.length; n++) {
        byte[] p = wrap(Arrays.copyOf(body, n));
        assertThrows(RdbFormatException.class, () -> DumpPayload.read(p), describe(v) + " cut at " + n);
      }
    }
  }

  @Test
  void oldEncodingsFromTheirDocumentedExamples() throws Exception {
    // The ziplist of "2" and "5" from ziplist.c's description, as a list and with a node.
    String ziplist = "0f000000 0c000000 0200 00f3 02f6 ff";
    assertEquals("list/quicklist:2,5,", describe(DumpPayload.read(wrap(hex("0a 0f" + ziplist)))));
    assertEquals("list/quicklist:2,5,", describe(DumpPayload.read(wrap(hex("0e 01 0f" + ziplist)))));
    // The zipmap of zipmap.c's description: foo => bar, hello => world.
    byte[] zipmap = b("\u0002\u0003foo\u0003\u0000bar\u0005hello\u0005\u0000world\u00ff");
    byte[] body = new byte[zipmap.length + 2];
    body[0] = RdbType.HASH_ZIPMAP;
    body[1] = (byte) zipmap.length;
    System.arraycopy(zipmap, 0, body, 2, zipmap.length);
    assertEquals("hash/listpack:foo=bar,hello=world,", describe(DumpPayload.read(wrap(body))));
    // LZF: "aaaaaaaaaa" as one literal "a", then 9 bytes copied from 1 back (long form).
    assertEquals("string/embstr:aaaaaaaaaa",
        describe(DumpPayload.read(wrap(hex("00 c3 05 0a 00 61 e0 00 00")))));
    // A sorted set with scores as text (RDB before 8).
    assertEquals(describe(Values.zset("a", 1.5, "b", Double.NEGATIVE_INFINITY)),
        describe(DumpPayload.read(wrap(hex("03 02 0161 03 312e35 0162 ff")))));
  }
}
