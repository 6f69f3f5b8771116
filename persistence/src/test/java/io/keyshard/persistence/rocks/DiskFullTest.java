package io.keyshard.persistence.rocks;

import static io.keyshard.persistence.rocks.StoreFixture.append;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A full disk under the store: writes fail with a clear error and never hang, the store resumes
 * by itself once space is freed (no restart), and nothing acknowledged is lost. The directory is
 * a small tmpfs the test mounts (CI runs as root, like the node's JournalDiskFullTest; a test
 * that cannot mount fails and says why).
 */
class DiskFullTest {

  @Test
  @Timeout(120)
  void failsClearlyResumesAfterSpaceIsFreedAndLosesNothingAcknowledged() throws Exception {
    Path mount = TempDirs.create("rocks-disk-full");
    run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount.toString());
    try {
      Path dir = mount.resolve("rocksdb");
      RocksStore store = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
      List<String> acked = new ArrayList<>();
      List<String> bigAcked = new ArrayList<>();
      try {
        for (int i = 0; i < 100; i++) {
          append(store, "before-" + i, 1, 1).get();
          acked.add("before-" + i);
        }
        Path filler = mount.resolve("filler");
        fill(filler);

        // RocksDB preallocates WAL space: write 4 KB events until the disk refuses.
        List<Throwable> errors = new ArrayList<>();
        byte[] big = new byte[4096];
        for (int i = 0; i < 20_000 && errors.size() < 20; i++) {
          String pid = "full-" + i;
          try {
            store.write(new WriteOp.Append(List.of(new WriteOp.Events(pid, 1, 1, List.of(big)))))
                .get(10, TimeUnit.SECONDS);
            bigAcked.add(pid);
          } catch (ExecutionException e) {
            errors.add(e.getCause());
          }
        }
        assertTrue(errors.size() >= 20, "writes fail on a full disk");
        for (Throwable e : errors) {
          assertTrue(e instanceof JournalWriteFailedException
                  || e instanceof JournalUnavailableException, "unexpected: " + e);
          assertTrue(e.getMessage().contains("may or may not have been applied")
              || e.getMessage().contains("was not applied"), e.getMessage());
        }
        System.out.println("disk full: first error: " + errors.get(0).getMessage());

        Files.delete(filler);
        long freedAt = System.nanoTime();
        boolean written = false;
        for (int i = 0; !written; i++) {
          assertTrue(System.nanoTime() - freedAt < 30_000_000_000L, "no write after space was freed");
          String pid = "after-" + i;
          try {
            append(store, pid, 1, 1).get(10, TimeUnit.SECONDS);
            acked.add(pid);
            written = true;
          } catch (ExecutionException e) {
            Thread.sleep(20);
          }
        }
        System.out.printf("disk full: first acknowledged write %d ms after space was freed%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - freedAt));
      } finally {
        store.release();
      }
      RocksStore reopened = RocksStore.acquire(StoreFixture.settings(dir, AppendFsync.ALWAYS));
      try {
        for (String pid : acked) {
          assertEquals(List.of("1=" + pid + "#1"), StoreFixture.events(reopened, pid), pid);
        }
        for (String pid : bigAcked) {
          assertEquals(1, reopened.readHighestSeqNr(pid), pid);
          assertEquals(1, StoreFixture.events(reopened, pid).size(), pid);
        }
      } finally {
        reopened.release();
      }
    } finally {
      run("umount", "-l", mount.toString());
      TempDirs.delete(mount);
    }
  }

  private static void fill(Path filler) {
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException expected) {
      // ENOSPC: the disk is full
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command)
          + " failed (this test needs root to mount a small tmpfs): " + out);
    }
  }
}
