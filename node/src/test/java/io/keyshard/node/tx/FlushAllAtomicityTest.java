package io.keyshard.node.tx;

import static io.keyshard.node.tx.TxTesting.jedis;
import static io.keyshard.node.tx.TxTesting.keysInDistinctSlots;
import static io.keyshard.node.tx.TxTesting.runAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * FLUSHALL and FLUSHDB are atomic with respect to other clients: an MGET over keys in ten slots
 * racing them sees all ten keys or none, never some slots flushed and others not.
 */
class FlushAllAtomicityTest {

  @Test
  void readersNeverSeeAHalfFlushedKeyspace() throws Exception {
    List<String> keys = keysInDistinctSlots("fa", 10);
    String[] kv = new String[20];
    for (int i = 0; i < 10; i++) {
      kv[2 * i] = keys.get(i);
      kv[2 * i + 1] = "v";
    }
    try (TestNode node = TestNode.start(Files.createTempDirectory("keyshard-flushall"), Map.of())) {
      long deadline = System.currentTimeMillis() + 4_000;
      AtomicLong flushes = new AtomicLong();
      AtomicLong reads = new AtomicLong();
      ConcurrentLinkedQueue<String> mixed = new ConcurrentLinkedQueue<>();
      Callable<Void> flusher =
          () -> {
            try (Jedis c = jedis(node.port())) {
              for (int i = 0; System.currentTimeMillis() < deadline; i++) {
                c.mset(kv);
                if (i % 2 == 0) {
                  c.flushAll();
                } else {
                  c.flushDB();
                }
                flushes.incrementAndGet();
              }
            }
            return null;
          };
      Callable<Void> reader =
          () -> {
            try (Jedis c = jedis(node.port())) {
              while (System.currentTimeMillis() < deadline) {
                List<String> values = c.mget(keys.toArray(new String[0]));
                if (new HashSet<>(values).size() > 1) {
                  mixed.add(values.toString());
                }
                reads.incrementAndGet();
              }
            }
            return null;
          };
      runAll(List.of(flusher, reader, reader), 120);
      assertTrue(flushes.get() > 0 && reads.get() > 0, "no flush or no read ran");
      assertTrue(
          mixed.isEmpty(),
          mixed.size() + " of " + reads + " MGETs saw a half-flushed keyspace, e.g. " + mixed.peek());
    }
  }
}
