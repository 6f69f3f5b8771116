package io.keyshard.tools.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live import's pieces that need no server: key positions, the feed's order, the spool. */
class LivePartsTest {
  private static byte[][] argv(String... a) {
    byte[][] out = new byte[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].getBytes(StandardCharsets.UTF_8);
    }
    return out;
  }

  private static List<String> text(List<byte[]> keys) {
    return keys.stream().map(k -> new String(k, StandardCharsets.UTF_8)).collect(Collectors.toList());
  }

  private final List<String> askedForKeys = new ArrayList<>();

  private final KeySpecs specs =
      new KeySpecs(
          Map.of(
              "set", new KeySpecs.Spec("set", 1, 1, 1, false, true, false),
              "mset", new KeySpecs.Spec("mset", 1, -1, 2, false, true, false),
              "del", new KeySpecs.Spec("del", 1, -1, 1, false, true, false),
              "zunionstore", new KeySpecs.Spec("zunionstore", 1, 1, 1, true, true, false),
              "xgroup", new KeySpecs.Spec("xgroup", 0, 0, 0, false, false, true),
              "xgroup|create", new KeySpecs.Spec("xgroup|create", 2, 2, 1, false, true, false),
              "function", new KeySpecs.Spec("function", 0, 0, 0, false, false, true),
              "function|load", new KeySpecs.Spec("function|load", 0, 0, 0, false, true, false)),
          a -> {
            askedForKeys.add(new String(a[0], StandardCharsets.UTF_8));
            return List.of(a[1], a[3]);
          });

  @Test
  void keysComeFromTheSourcesCommandTable() {
    assertEquals(List.of("k"), text(specs.keys(specs.spec(argv("SET", "k", "v")), argv("SET", "k", "v"))));
    byte[][] mset = argv("MSET", "a", "1", "b", "2", "c", "3");
    assertEquals(List.of("a", "b", "c"), text(specs.keys(specs.spec(mset), mset)));
    byte[][] del = argv("del", "x", "y");
    assertEquals(List.of("x", "y"), text(specs.keys(specs.spec(del), del)));
    byte[][] group = argv("XGROUP", "CREATE", "stream", "g", "$");
    assertEquals("xgroup|create", specs.spec(group).name(), "a subcommand's own spec");
    assertEquals(List.of("stream"), text(specs.keys(specs.spec(group), group)));
    byte[][] union = argv("ZUNIONSTORE", "dst", "1", "src");
    assertEquals(List.of("dst", "src"), text(specs.keys(specs.spec(union), union)));
    assertEquals(List.of("ZUNIONSTORE"), askedForKeys, "movable keys: the source is asked");
    byte[][] load = argv("FUNCTION", "LOAD", "#!lua name=x");
    assertEquals(List.of(), specs.keys(specs.spec(load), load));
    assertEquals(true, specs.spec(load).write(), "a keyless write: the live import stops on it");
    assertNull(specs.spec(argv("NOSUCH", "k")), "unknown, not keyless");
  }

  @Test
  void theFeedGathersKeysOnceAndKeepsBarriersInOrder() throws Exception {
    LiveFeed feed = new LiveFeed();
    LiveFeed.Position p1 = new LiveFeed.Position("id", 10, 0);
    feed.touch(0, "a".getBytes(), p1);
    feed.touch(0, "a".getBytes(), new LiveFeed.Position("id", 20, 0));
    feed.touch(2, "a".getBytes(), new LiveFeed.Position("id", 30, 2));
    feed.barrier(new LiveFeed.Flush(0, new LiveFeed.Position("id", 40, 0)));
    feed.touch(0, "b".getBytes(), new LiveFeed.Position("id", 50, 0));
    feed.moved(new LiveFeed.Position("id", 60, 0)); // a PING after it
    assertEquals(3, feed.pendingKeys());
    LiveFeed.Keys first = assertInstanceOf(LiveFeed.Keys.class, feed.take(0));
    assertEquals(2, first.keys.size(), "a written twice is copied once; db 2's a is another key");
    assertEquals(30, first.at.offset());
    LiveFeed.Flush flush = assertInstanceOf(LiveFeed.Flush.class, feed.take(0));
    assertEquals(40, flush.at().offset());
    LiveFeed.Keys after = assertInstanceOf(LiveFeed.Keys.class, feed.take(0));
    assertEquals(1, after.keys.size());
    assertEquals(60, after.at.offset(), "the stream moved on past the last write");
    assertNull(feed.take(10));
    assertEquals(60, feed.received().offset());
  }

  @Test
  void aBatchClosesAtItsSize() throws Exception {
    LiveFeed feed = new LiveFeed();
    for (int i = 0; i < LiveFeed.BATCH + 5; i++) {
      feed.touch(0, ("k" + i).getBytes(), new LiveFeed.Position("id", i, 0));
    }
    assertEquals(LiveFeed.BATCH, ((LiveFeed.Keys) feed.take(0)).keys.size());
    LiveFeed.Keys rest = (LiveFeed.Keys) feed.take(0);
    assertEquals(5, rest.keys.size());
    assertEquals(LiveFeed.BATCH + 4, rest.at.offset());
  }

  @Test
  void aSpoolReadsBackAndAnIncompleteOneIsRefused(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("spool");
    try (Spool.Writer w = new Spool.Writer(file)) {
      w.add(new Spool.Entry(0, "k".getBytes(), -1, 0, new byte[] {1, 2, 3}));
      w.add(new Spool.Entry(3, new byte[] {0, (byte) 0xff}, 1_800_000_000_000L, 18, new byte[70_000]));
      w.finish();
      assertEquals(2, w.entries);
    }
    try (Spool.Reader r = new Spool.Reader(file)) {
      Spool.Entry a = r.next();
      assertArrayEquals("k".getBytes(), a.key());
      assertEquals(-1, a.expireAt());
      assertArrayEquals(new byte[] {1, 2, 3}, a.payload());
      Spool.Entry b = r.next();
      assertEquals(3, b.db());
      assertEquals(18, b.rdbType());
      assertEquals(1_800_000_000_000L, b.expireAt());
      assertEquals(70_000, b.payload().length);
      assertNull(r.next());
    }
    Path cut = dir.resolve("cut");
    byte[] whole = Files.readAllBytes(file);
    Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 4)); // no end mark
    try (Spool.Reader r = new Spool.Reader(cut)) {
      r.next();
      r.next();
      assertThrows(IOException.class, r::next);
    }
  }
}
