package io.keyshard.node.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import io.keyshard.tools.backup.Backups;
import io.keyshard.tools.backup.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * keyshard.backup.every: the node takes backup archives on its own, each verified, and keeps
 * only the newest keep (here 2 of at least 3 taken), with the keys written before each, through
 * its own port with its requirepass.
 */
class BackupScheduleTest {
  @Test
  void backupsOnAScheduleAreVerifiedAndPruned() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-schedule");
    try (TestNode node =
            TestNode.start(
                dir,
                Map.of("keyshard.backup.every", "1s", "keyshard.backup.keep", 2, "keyshard.requirepass", "s3cret"));
        Jedis j = new Jedis("127.0.0.1", node.port())) {
      j.auth("s3cret");
      for (int i = 0; i < 100; i++) {
        j.set("k" + i, "v" + i);
      }
      Path backups = dir.resolve("backups");
      TreeSet<String> seen = new TreeSet<>();
      long until = System.currentTimeMillis() + 60_000;
      while (seen.size() < 3 && System.currentTimeMillis() < until) {
        seen.addAll(archives(backups));
        Thread.sleep(100);
      }
      assertTrue(seen.size() >= 3, "backups seen: " + seen);
      Thread.sleep(300); // the latest one's pruning
      List<String> kept = archives(backups);
      assertTrue(kept.size() <= 2, "kept " + kept);
      assertTrue(kept.contains(seen.last()) || kept.stream().anyMatch(k -> k.compareTo(seen.last()) > 0), "the newest is kept: " + kept);
      for (String name : kept) {
        Manifest m = Backups.verify(backups.resolve(name)); // whole, and what its manifest says
        assertTrue(m.keys() <= 100, name);
      }
      // The newest was taken seconds after the writes: all of them.
      assertEquals(100, Backups.verify(backups.resolve(kept.get(kept.size() - 1))).keys());
    }
  }

  private static List<String> archives(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(BackupSchedule.PREFIX) && !n.endsWith(".partial"))
          .sorted()
          .toList();
    }
  }
}
