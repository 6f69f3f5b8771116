package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * With a node-wide bound of 2 executing requests, pipelines from several connections still get
 * every reply, in order, with session state (SELECT) applied in order.
 */
class InflightLimitTest {

  @Test
  void pipelinesStayOrderedUnderATightNodeWideBound() throws Exception {
    try (TestNode node =
        TestNode.start(Files.createTempDirectory("keyshard-inflight"), Map.of("keyshard.max-inflight", 2))) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> runs = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        int client = c;
        runs.add(
            pool.submit(
                () -> {
                  try (RawClient raw = new RawClient(node.port())) {
                    ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
                    int n = 150;
                    for (int i = 0; i < n; i++) {
                      int db = i % 3;
                      pipeline.write(inline("SELECT " + db));
                      pipeline.write(inline("SET c" + client + ":" + i + " v" + i));
                      pipeline.write(inline("GET c" + client + ":" + i));
                    }
                    raw.sendRaw(pipeline.toByteArray());
                    for (int i = 0; i < n; i++) {
                      assertEquals("+OK", raw.readReply());
                      assertEquals("+OK", raw.readReply());
                      assertEquals("\"v" + i + "\"", raw.readReply());
                    }
                    // Each key landed in the database selected just before it.
                    assertEquals("+OK", raw.call("SELECT", "1"));
                    assertEquals("\"v4\"", raw.call("GET", "c" + client + ":4"));
                    assertEquals("(nil)", raw.call("GET", "c" + client + ":3"));
                  }
                  return null;
                }));
      }
      for (Future<?> f : runs) {
        f.get();
      }
      pool.shutdown();
    }
  }

  private static byte[] inline(String line) {
    return (line + "\r\n").getBytes(StandardCharsets.UTF_8);
  }
}
