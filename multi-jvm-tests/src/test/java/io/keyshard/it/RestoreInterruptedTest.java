package io.keyshard.it;

import static io.keyshard.it.BackupRoundTripTest.backup;
import static io.keyshard.it.BackupRoundTripTest.lastOutput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * A restore killed with kill -9 half way (the tool in its own JVM) and run again as it was ends
 * with the backup's data, key by key: RESTORE writes a key whole, the state file beside the
 * archive says up to which entry every key was acknowledged, and the second run goes on from
 * there (writing again, with REPLACE, what the first run sent after its last checkpoint).
 */
@Timeout(600)
class RestoreInterruptedTest {
  @Test
  void aRestoreKilledHalfWayFinishesWhenRunAgain() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "restore-kill-" + System.currentTimeMillis());
    Files.createDirectories(work);
    Path archive = work.resolve("b");
    Map<String, Keyspace.Read> expected;
    try (NodeProcess s = NodeProcess.start(work.resolve("s1"), BackupRoundTripTest.standaloneConfig(work, "s1"), work.resolve("s1.log"));
        Keyspace ks = new Keyspace(s.port())) {
      // Strings only, loaded in pipelines: what matters here is the count, not the types.
      try (Jedis j = new Jedis("127.0.0.1", s.port())) {
        redis.clients.jedis.Pipeline p = j.pipelined();
        for (int i = 0; i < 20_000; i++) {
          p.set("a:" + i, "value-" + i);
          if (i % 4 == 0) {
            p.pexpire("a:" + i, 3_600_000L + i);
          }
        }
        p.sync();
      }
      expected = ks.read(0);
      assertEquals(0, backup("create", "--from", "127.0.0.1:" + s.port(), "--out", archive.toString()), lastOutput);
    }
    try (NodeProcess t = NodeProcess.start(work.resolve("t"), null, work.resolve("t.log"));
        Jedis j = new Jedis("127.0.0.1", t.port())) {
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp", System.getProperty("java.class.path"),
                  "io.keyshard.tools.backup.BackupTool",
                  "restore", archive.toString(), "--to", "127.0.0.1:" + t.port())
              .redirectErrorStream(true)
              .redirectOutput(work.resolve("restore-1.log").toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      long there = 0;
      while (there < expected.size() * 3L / 10 && p.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(10);
        there = j.dbSize();
      }
      assertTrue(p.isAlive(), "the restore finished before it could be killed: " + there + " keys");
      p.destroyForcibly().waitFor(); // SIGKILL
      there = j.dbSize();
      System.out.println("restore killed with " + there + " of " + expected.size() + " keys written");
      assertTrue(there < expected.size(), "killed before the end");

      Path state = work.resolve("b.restore-127.0.0.1_" + t.port() + ".json");
      assertTrue(Files.exists(state), "the killed run left its position in " + state);

      // The same command goes on from the checkpoint, and the state file goes at the end.
      assertEquals(0, backup("restore", archive.toString(), "--to", "127.0.0.1:" + t.port()), lastOutput);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("resuming: (\\d+) of 20000 entries").matcher(lastOutput);
      assertTrue(m.find(), lastOutput);
      long from = Long.parseLong(m.group(1));
      assertTrue(from > 0 && from <= there, "resumed from " + from + " with " + there + " keys on the target");
      assertTrue(lastOutput.contains("restored 20000 keys") && lastOutput.contains("(over 2 runs)"), lastOutput);
      assertTrue(!Files.exists(state), "the state file is removed at the end");
      try (Keyspace restored = new Keyspace(t.port())) {
        assertEquals(List.of(), Keyspace.differences(expected, restored.read(0), 1000));
      }
      // Finished: the same command is refused now (the target holds keys, nothing to resume).
      assertEquals(4, backup("restore", archive.toString(), "--to", "127.0.0.1:" + t.port()), lastOutput);
    }
  }
}
