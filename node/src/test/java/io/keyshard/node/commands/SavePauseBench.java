package io.keyshard.node.commands;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * What clients see during BGSAVE, Keyshard against redis-server in the same run: one client
 * SETs random keys one at a time; its latencies before the BGSAVE (p50, p99) and the worst one
 * while it runs. Not part of the suite (run with -Dtest=SavePauseBench -Dkeys=N, under the heavy
 * lock); figures in docs/decisions/2026-12-07-bgsave.md.
 */
class SavePauseBench {
  private static final int KEYS = Integer.getInteger("keys", 100_000);

  @Test
  void pauseDuringBgsave() throws Exception {
    try (RedisProcess redis = RedisProcess.start();
        TestNode node = TestNode.start(Files.createTempDirectory("keyshard-pause"), Map.of())) {
      String r = measure(redis.port(), true);
      String k = measure(node.port(), false);
      System.out.println("SAVE-PAUSE keys=" + KEYS + "\n  redis:    " + r + "\n  keyshard: " + k);
    }
  }

  private static String measure(int port, boolean redis) throws Exception {
    try (RawClient c = new RawClient(port)) {
      for (int from = 0; from < KEYS; from += 1000) {
        List<String> mset = new ArrayList<>(List.of("MSET"));
        for (int i = from; i < Math.min(KEYS, from + 1000); i++) {
          mset.add("key:" + i);
          mset.add("value-" + i);
        }
        c.call(mset.toArray(new String[0]));
      }
    }
    AtomicBoolean saving = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    List<Long> before = new ArrayList<>();
    long[] worstDuring = {0};
    Thread writer =
        new Thread(
            () -> {
              try (RawClient w = new RawClient(port)) {
                while (!stop.get()) {
                  String key = "key:" + ThreadLocalRandom.current().nextInt(KEYS);
                  boolean during = saving.get();
                  long t0 = System.nanoTime();
                  w.call("SET", key, "v");
                  long us = (System.nanoTime() - t0) / 1000;
                  if (during) {
                    worstDuring[0] = Math.max(worstDuring[0], us);
                  } else if (before.size() < 1_000_000) {
                    before.add(us);
                  }
                }
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    writer.start();
    Thread.sleep(2000);
    long t0;
    try (RawClient c = new RawClient(port)) {
      saving.set(true);
      t0 = System.nanoTime();
      c.call("BGSAVE");
      while (SaveTest.info(c, "rdb_bgsave_in_progress").equals("1")) {
        Thread.sleep(5);
      }
    }
    long saveMs = (System.nanoTime() - t0) / 1_000_000;
    Thread.sleep(200);
    saving.set(false);
    stop.set(true);
    writer.join();
    long[] b = before.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(b);
    return String.format(
        "SET p50 %d us, p99 %d us before; worst %d us during BGSAVE (%d ms until done)",
        b[b.length / 2], b[(int) (b.length * 0.99)], worstDuring[0], saveMs);
  }
}
