package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Protected mode against redis-server 7.0.15, both listening on this machine's non-loopback
 * address as well as on loopback: a client connecting over the non-loopback address is refused
 * with Redis's DENIED text while the default user has no password; loopback clients are served;
 * CONFIG SET protected-mode no, or a password, lets the outside client in.
 */
class ProtectedModeTest {
  private static String host;
  private static RedisProcess redis;
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    host = nonLoopbackAddress();
    redis = RedisProcess.start("--bind", host, "127.0.0.1");
    node =
        TestNode.start(
            Files.createTempDirectory("keyshard-protected"), Map.of("keyshard.bind", "0.0.0.0"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** An IPv4 address of this machine that is not loopback (the tests need one, as CI has). */
  static String nonLoopbackAddress() throws Exception {
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nif.isUp() || nif.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(nif.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return a.getHostAddress();
        }
      }
    }
    assertNotNull(null, "this machine has no non-loopback IPv4 address to test protected mode");
    return null;
  }

  /** What a client connecting over the outside address reads first, from Redis and Keyshard. */
  private static void compareOutside(String command) throws Exception {
    try (RawClient r = new RawClient(host, redis.port());
        RawClient k = new RawClient(host, node.port())) {
      String theirs = r.call(command);
      String ours = k.call(command);
      assertEquals(theirs, ours, "first reply to an outside client");
    }
  }

  @Test
  void outsideClientsAreDeniedWithRedisTextUntilAPasswordOrProtectedModeNo() throws Exception {
    try (RawClient k = new RawClient(host, node.port())) {
      String denied = k.call("ping");
      assertTrue(denied.startsWith("-DENIED Redis is running in protected mode"), denied);
      assertTrue(k.isClosedByServer());
    }
    compareOutside("ping");
    try (Differential local = new Differential(node.port(), redis.port())) {
      local.check("ping");
      local.check("config", "get", "protected-mode");
      local.check("config", "set", "protected-mode", "maybe");
      local.check("config", "set", "protected-mode", "no");
      local.check("config", "get", "protected-mode");
      compareOutside("ping");
      try (RawClient k = new RawClient(host, node.port())) {
        assertEquals("+PONG", k.call("ping"));
      }
      local.check("config", "set", "protected-mode", "yes");
      compareOutside("ping");
      // A password for the default user: outside clients may connect and must sign in.
      local.check("config", "set", "requirepass", "pm-pass");
      compareOutside("ping");
      try (RawClient k = new RawClient(host, node.port())) {
        assertEquals("-NOAUTH Authentication required.", k.call("ping"));
        assertEquals("+OK", k.call("auth", "pm-pass"));
        assertEquals("+PONG", k.call("ping"));
      }
      local.check("auth", "pm-pass");
      local.check("config", "set", "requirepass", "");
      compareOutside("ping");
      local.assertNoMismatches();
    }
  }

  @Test
  void protectedModeOffInTheConfiguration() throws Exception {
    try (TestNode open =
            TestNode.start(
                Files.createTempDirectory("keyshard-unprotected"),
                Map.of("keyshard.bind", "0.0.0.0", "keyshard.protected-mode", "no"));
        RawClient k = new RawClient(host, open.port());
        RawClient local = new RawClient(open.port())) {
      assertEquals("+PONG", k.call("ping"));
      assertEquals("[\"protected-mode\", \"no\"]", local.call("config", "get", "protected-mode"));
    }
  }
}
