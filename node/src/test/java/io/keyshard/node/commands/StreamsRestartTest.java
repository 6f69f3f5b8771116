package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.BinaryClient;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Streams survive a restart exactly: entries, the node layout (radix-tree-keys, what an
 * approximate trim removes next), counters, groups, pending entries with their delivery times
 * and counts, consumers with their seen times, and the ids XADD * assigned. Once replayed from
 * the journal alone, once from snapshots plus the events after them.
 */
@Timeout(180)
class StreamsRestartTest {

  private static final List<String> KEYS = List.of("s", "{s}auto", "{s}empty");

  private static void write(BinaryClient c) throws Exception {
    c.call("CONFIG", "SET", "stream-node-max-entries", "5");
    for (int i = 1; i <= 40; i++) {
      c.call("XADD", "s", i + "-0", "f", "v" + i, i % 2 == 0 ? "n" : "m", Integer.toString(i));
    }
    c.call("XDEL", "s", "3-0", "17-0", "18-0", "19-0", "20-0", "16-0");
    c.call("XTRIM", "s", "MAXLEN", "=", "30");
    c.call("XGROUP", "CREATE", "s", "g", "0");
    c.call("XGROUP", "CREATE", "s", "other", "$", "ENTRIESREAD", "3");
    c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "4", "STREAMS", "s", ">");
    c.call("XREADGROUP", "GROUP", "g", "bob", "COUNT", "6", "STREAMS", "s", ">");
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0");
    c.call("XCLAIM", "s", "g", "carol", "0", "12-0", "13-0", "TIME", "1700000000000", "RETRYCOUNT", "9");
    c.call("XACK", "s", "g", "11-0");
    c.call("XGROUP", "CREATECONSUMER", "s", "other", "dave");
    c.call("XSETID", "s", "60-0", "ENTRIESADDED", "70");
    for (int i = 0; i < 5; i++) {
      c.call("XADD", "{s}auto", "*", "i", Integer.toString(i));
    }
    c.call("XGROUP", "CREATE", "{s}empty", "g", "$", "MKSTREAM");
    c.call("CONFIG", "SET", "stream-node-max-entries", "100");
  }

  private static List<String> state(BinaryClient c) throws Exception {
    List<String> out = new ArrayList<>();
    for (String k : KEYS) {
      out.add(BinaryClient.show(c.call("XINFO", "STREAM", k, "FULL", "COUNT", "0")));
      out.add(BinaryClient.show(c.call("XINFO", "GROUPS", k)));
      out.add(BinaryClient.show(c.call("XRANGE", k, "-", "+")));
    }
    out.add(BinaryClient.show(c.call("XPENDING", "s", "g")));
    return out;
  }

  private void survives(Map<String, Object> settings) throws Exception {
    Path dir = Files.createTempDirectory("keyshard-streams");
    List<String> before;
    String trimmed;
    String left;
    try (TestNode node = TestNode.start(dir, settings);
        BinaryClient c = new BinaryClient(node.port())) {
      write(c);
      before = state(c);
      assertTrue(before.get(0).contains("\"radix-tree-keys\""), before.get(0));
      // What an approximate trim removes depends on the node layout: probe it on a copy.
      c.call("COPY", "s", "{s}probe");
      trimmed = BinaryClient.show(c.call("XTRIM", "{s}probe", "MAXLEN", "~", "20"));
      left = BinaryClient.show(c.call("XLEN", "{s}probe"));
      c.call("DEL", "{s}probe");
    }
    try (TestNode node = TestNode.start(dir, settings);
        BinaryClient c = new BinaryClient(node.port())) {
      assertEquals(before, state(c));
      // The layout came back too: the next approximate trim removes the same whole nodes.
      assertTrue(!trimmed.equals(":0"), "the probe trimmed nothing: " + trimmed);
      assertEquals(trimmed, BinaryClient.show(c.call("XTRIM", "s", "MAXLEN", "~", "20")));
      assertEquals(left, BinaryClient.show(c.call("XLEN", "s")));
    }
  }

  @Test
  void fromTheJournal() throws Exception {
    survives(Map.of());
  }

  @Test
  void fromSnapshotsAndEvents() throws Exception {
    survives(Map.of("keyshard.snapshot-every", 7));
  }
}
