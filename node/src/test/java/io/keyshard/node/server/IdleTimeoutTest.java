package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The "timeout" setting closes idle clients, as Redis's does; active ones stay. */
class IdleTimeoutTest {

  @Test
  void idleClientsAreClosedAfterTimeout() throws Exception {
    try (TestNode node =
            TestNode.start(Files.createTempDirectory("keyshard-idle"), Map.of("keyshard.timeout", 1));
        RawClient idle = new RawClient(node.port());
        RawClient active = new RawClient(node.port())) {
      assertEquals("+PONG", idle.call("PING"));
      long deadline = System.currentTimeMillis() + 4000;
      while (System.currentTimeMillis() < deadline) {
        assertEquals("+PONG", active.call("PING"));
        Thread.sleep(200);
      }
      assertTrue(idle.isClosedByServer(), "idle client still open after 4 s with timeout 1");
      assertEquals("+PONG", active.call("PING"));
    }
  }
}
