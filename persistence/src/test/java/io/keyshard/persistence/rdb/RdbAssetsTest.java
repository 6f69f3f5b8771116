package io.keyshard.persistence.rdb;

import static io.keyshard.persistence.rdb.Values.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.ZSetValue;
import io.keyshard.protocol.RespWriter;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Values written by old Redis versions, in the encodings 7.0 still loads: the RDB files of
 * Redis's own test suite (src/test/resources/rdb, see its README), with the contents Redis's
 * tests expect from them, framed by RdbFileReader. Each value is read as a DUMP payload would
 * carry it.
 */
class RdbAssetsTest {

  /**
   * The entries of a test file as RdbFileReader frames them, not decoded (some are meant to be
   * refused); the oldest files have no checksum.
   */
  static List<RdbItem.Entry> entries(String file) throws Exception {
    List<RdbItem.Entry> out = new ArrayList<>();
    try (InputStream in = RdbAssetsTest.class.getResourceAsStream("/rdb/" + file)) {
      RdbFileReader reader = new RdbFileReader(
          in, RdbFileReader.Options.DEFAULT.withDecode(false).withRequireChecksum(false));
      for (RdbItem item = reader.next(); item != null; item = reader.next()) {
        if (item instanceof RdbItem.Entry e) {
          out.add(e);
        }
      }
    }
    return out;
  }

  /** Each value read as a DUMP payload would carry it. */
  private static Map<String, Value> load(String file) throws Exception {
    Map<String, Value> out = new LinkedHashMap<>();
    for (RdbItem.Entry e : entries(file)) {
      out.put(new String(e.key(), StandardCharsets.ISO_8859_1),
          DumpPayload.read(DumpPayload.wrap(e.encoded())));
    }
    return out;
  }

  /** What Redis's csvdump shows: hash fields and set members sorted, sorted sets by score. */
  private static String csv(Value v) {
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
      List<String> pairs = new ArrayList<>(Values.sortedPairs(h));
      pairs.forEach(p -> items.addAll(List.of(p.split("=", 2))));
    } else if (v instanceof ZSetValue z) {
      for (ZSetValue.Node n = z.first(); n != null; n = n.next()) {
        items.add(show(n.member()));
        items.add(RespWriter.formatDouble(n.score()));
      }
    }
    return v.typeName() + ":" + String.join(",", items);
  }

  @Test
  void encodingsOfRedis2() throws Exception {
    Map<String, Value> values = load("encodings.rdb");
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("compressible", "string:" + "a".repeat(137));
    expected.put("hash", "hash:a,1,aa,10,aaa,100,b,2,bb,20,bbb,200,c,3,cc,30,ccc,300,ddd,400,eee,5000000000");
    expected.put("hash_zipped", "hash:a,1,b,2,c,3");
    expected.put("list", "list:" + String.join(",", List.of(
        "1,2,3,a,b,c,100000,6000000000", "1,2,3,a,b,c,100000,6000000000",
        "1,2,3,a,b,c,100000,6000000000")));
    expected.put("list_zipped", "list:1,2,3,a,b,c,100000,6000000000");
    expected.put("number", "string:10");
    expected.put("set", "set:1,100000,2,3,6000000000,a,b,c");
    expected.put("set_zipped_1", "set:1,2,3,4");
    expected.put("set_zipped_2", "set:100000,200000,300000,400000");
    expected.put("set_zipped_3", "set:1000000000,2000000000,3000000000,4000000000,5000000000,6000000000");
    expected.put("string", "string:Hello World");
    expected.put("zset", "zset:a,1,b,2,c,3,aa,10,bb,20,cc,30,aaa,100,bbb,200,ccc,300,aaaa,1000,cccc,123456789,bbbb,5000000000");
    expected.put("zset_zipped", "zset:a,1,b,2,c,3");
    assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(values.keySet()));
    for (Map.Entry<String, String> e : expected.entrySet()) {
      assertEquals(e.getValue(), csv(values.get(e.getKey())), e.getKey());
    }
    // Encodings as Redis 7.0 gives them after loading.
    assertEquals("listpack", values.get("hash_zipped").encoding());
    assertEquals("listpack", values.get("zset_zipped").encoding());
    assertEquals("intset", values.get("set_zipped_3").encoding());
    assertEquals("hashtable", values.get("set").encoding());
    assertEquals("quicklist", values.get("list_zipped").encoding());
    assertEquals("int", values.get("number").encoding());
    assertEquals("raw", values.get("compressible").encoding());
  }

  @Test
  void zipmapZiplistAndQuicklistOfZiplists() throws Exception {
    assertEquals("hash:f1,v1,f2,v2", csv(load("hash-zipmap.rdb").get("hash")));
    assertEquals("listpack", load("hash-zipmap.rdb").get("hash").encoding());
    assertEquals("hash:f1,v1,f2,v2", csv(load("hash-ziplist.rdb").get("hash")));
    assertEquals("zset:one,1,two,2", csv(load("zset-ziplist.rdb").get("zset")));
    Map<String, Value> quicklist = load("list-quicklist.rdb");
    assertEquals("list:7", csv(quicklist.get("list")));
    assertEquals("string:7", csv(quicklist.get("x")));
  }

  @Test
  void emptyKeysOfEveryEncodingAreRefused() throws Exception {
    List<RdbItem.Entry> entries = entries("corrupt_empty_keys.rdb");
    assertEquals(9, entries.size(), entries.toString());
    for (RdbItem.Entry e : entries) {
      assertThrows(RdbFormatException.class,
          () -> DumpPayload.read(DumpPayload.wrap(e.encoded())), Values.show(e.key()));
    }
  }
}
