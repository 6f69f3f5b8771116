package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.rdb.RdbFileReader;
import io.keyshard.persistence.rdb.RdbItem;
import io.keyshard.protocol.Slots;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cut of BGSAVE and SAVE is consistent: while a client runs, in a loop, a MULTI/EXEC over
 * keys of several slots and two databases and a cross-slot MSET, every dump.rdb holds each
 * transaction wholly or not at all (all counters equal, the list as long as the counter).
 */
class SaveConsistencyTest {
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(Files.createTempDirectory("keyshard-save-cut"), Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void everySnapshotHoldsEachTransactionWhollyOrNotAtAll() throws Exception {
    // Keys in different slots (checked), so the transactions really span slots.
    String[] keys = {"a", "b", "c", "l", "x", "y", "z"};
    assertTrue(Slots.slot("a".getBytes()) != Slots.slot("b".getBytes()));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong done = new AtomicLong();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try (RawClient c = new RawClient(node.port())) {
                c.call("FLUSHALL");
                for (long i = 1; !stop.get(); i++) {
                  String v = Long.toString(i);
                  c.call("MULTI");
                  c.call("SET", "a", v);
                  c.call("SET", "b", v);
                  c.call("RPUSH", "l", v);
                  c.call("SELECT", "2");
                  c.call("SET", "c", v);
                  c.call("SELECT", "0");
                  String exec = c.call("EXEC");
                  if (!exec.startsWith("[")) {
                    throw new AssertionError("EXEC answered " + exec);
                  }
                  String mset = c.call("MSET", "x", v, "y", v, "z", v);
                  if (!mset.equals("+OK")) {
                    throw new AssertionError("MSET answered " + mset);
                  }
                  done.set(i);
                }
              } catch (Throwable t) {
                failed.set(t);
              }
            });
    writer.start();
    try (RawClient c = new RawClient(node.port())) {
      while (done.get() < 20) {
        Thread.sleep(5);
      }
      for (int round = 0; round < 12; round++) {
        if (round % 3 == 2) {
          assertEquals("+OK", c.call("SAVE"));
        } else {
          assertEquals("+Background saving started", c.call("BGSAVE"));
          assertEquals("ok", SaveTest.awaitBgsave(c));
        }
        Map<String, Object> saved = read(node.dir().resolve("dump.rdb"));
        long a = counter(saved, "0:a");
        assertEquals(a, counter(saved, "0:b"), "round " + round + ": " + saved);
        assertEquals(a, counter(saved, "2:c"), "round " + round + ": " + saved);
        assertEquals(a, ((ListValue) saved.get("0:l")).size(), "round " + round);
        assertEquals(Long.toString(a), new String(((ListValue) saved.get("0:l")).get((int) a - 1)));
        long x = counter(saved, "0:x");
        assertEquals(x, counter(saved, "0:y"), "round " + round);
        assertEquals(x, counter(saved, "0:z"), "round " + round);
        // The MSET of round i follows its EXEC: the file is between the two or after both.
        assertTrue(x == a || x == a - 1, "a=" + a + " x=" + x);
        Thread.sleep(20);
      }
    } finally {
      stop.set(true);
      writer.join();
    }
    if (failed.get() != null) {
      throw new AssertionError("writer failed", failed.get());
    }
    assertTrue(done.get() > 20, "the writer ran " + done.get() + " rounds");
  }

  private static long counter(Map<String, Object> saved, String dbKey) {
    Object v = saved.get(dbKey);
    assertNotNull(v, dbKey + " in " + saved.keySet());
    return Long.parseLong(new String(((StringValue) v).bytes(), StandardCharsets.UTF_8));
  }

  /** "db:key" to value, read with the production reader (checksum required). */
  private static Map<String, Object> read(Path file) throws Exception {
    Map<String, Object> out = new HashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      RdbFileReader r = new RdbFileReader(in);
      for (RdbItem item = r.next(); item != null; item = r.next()) {
        if (item instanceof RdbItem.Entry e) {
          out.put(e.db() + ":" + new String(e.key(), StandardCharsets.UTF_8), e.value());
        }
      }
      assertTrue(r.checksumVerified());
    }
    return out;
  }
}
