package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Slots;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import io.keyshard.node.testing.Recovering;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The embedded RocksDB journal's disk fills up (docs/decisions/2026-11-22-journal-faults.md,
 * ...-rocksdb-default.md). The data
 * directory is a small tmpfs of its own, mounted by the test (CI runs as root; a test that cannot
 * mount fails and says why rather than pretend), filled by a file until the kernel answers
 * ENOSPC. Writes then fail with the journal's errors and never hang, reads of untouched slots go
 * on, and once the file is removed writes succeed again in the same process. Everything
 * acknowledged is there, also after a restart from the directory.
 */
@Timeout(120)
class JournalDiskFullTest {

  @Test
  void writesFailWhileTheDiskIsFullAndWorkAgainOnceSpaceIsFreed() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-diskfull");
    run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", dir.toString());
    try {
      Map<String, String> acked = new LinkedHashMap<>();
      TestNode node = TestNode.start(dir, Map.of());
      Path filler = dir.resolve("filler");
      String value = "x".repeat(2000);
      try (Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
        for (int i = 0; i < 200; i++) {
          j.set("pre:" + i, "v" + i);
          acked.put("pre:" + i, "v" + i);
        }
        int writerSlot = Slots.slot("{full}".getBytes(StandardCharsets.UTF_8));

        fill(filler);
        // Writes now fail, once the space the journal had already claimed is used up (RocksDB
        // preallocates its WAL file in blocks of about 1.1 x a memtable, 16 MB: ~8,000 writes).
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < 50_000 && errors.size() < 20; i++) {
          String key = "{full}" + i;
          long start = System.currentTimeMillis();
          try {
            j.set(key, value);
            acked.put(key, value);
          } catch (JedisDataException e) {
            errors.add(e.getMessage());
          }
          assertTrue(System.currentTimeMillis() - start < 20_000, "a write on a full disk hung");
        }
        assertTrue(errors.size() >= 20, "writes fail on a full disk");
        for (String e : errors) {
          assertTrue(
              e.startsWith("TRYAGAIN journal unavailable")
                  || e.startsWith("TRYAGAIN slot is recovering")
                  || e.startsWith("ERR journal write failed"),
              "unexpected error: " + e);
        }
        // Slots that had no failed write still answer from memory.
        for (int i = 0; i < 200; i++) {
          String key = "pre:" + i;
          if (Slots.slot(key.getBytes(StandardCharsets.UTF_8)) != writerSlot) {
            assertEquals("v" + i, j.get(key));
          }
        }

        Files.delete(filler);
        long freedAt = System.currentTimeMillis();
        String ok = null;
        int n = 0;
        while (ok == null) {
          assertTrue(System.currentTimeMillis() - freedAt < 60_000, "no write succeeded after space was freed");
          String key = "after:" + n++;
          try {
            ok = j.set(key, "a");
            acked.put(key, "a");
          } catch (JedisDataException e) {
            Thread.sleep(50);
          }
        }
        System.out.printf(
            "disk full: %d errors (first: %s); first acknowledged write %d ms after space was freed%n",
            errors.size(), errors.get(0), System.currentTimeMillis() - freedAt);
        for (Map.Entry<String, String> e : acked.entrySet()) {
          assertEquals(e.getValue(), Recovering.get(j, e.getKey()), "acknowledged " + e.getKey());
        }
      } finally {
        node.close();
      }
      // Acknowledged means in the journal on disk: a new node on the directory has all of it.
      TestNode again = TestNode.start(dir, Map.of());
      try (Jedis j = new Jedis("127.0.0.1", again.port(), 30_000)) {
        for (Map.Entry<String, String> e : acked.entrySet()) {
          assertEquals(e.getValue(), j.get(e.getKey()), "after restart: " + e.getKey());
        }
      } finally {
        again.close();
      }
    } finally {
      run("umount", "-l", dir.toString());
    }
  }

  /** Writes into {@code file} until the filesystem has no space left. */
  private static void fill(Path file) throws IOException {
    byte[] block = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException e) {
      assertTrue(
          String.valueOf(e.getMessage()).contains("No space left"), "filling stopped: " + e);
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(
        0,
        p.waitFor(),
        String.join(" ", command) + " failed (this test needs root to mount a small tmpfs): " + out);
  }
}
