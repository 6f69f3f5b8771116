package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** enable-debug-command local: which client addresses (Session.addr) count as local. */
class ProtectedCommandsTest {
  @Test
  void loopbackAddressesAreLocal() {
    assertTrue(ProtectedCommands.isLoopback("127.0.0.1:50000"));
    assertTrue(ProtectedCommands.isLoopback("127.1.2.3:1"));
    assertTrue(ProtectedCommands.isLoopback("0:0:0:0:0:0:0:1:6379"));
    assertFalse(ProtectedCommands.isLoopback("10.0.0.7:50000"));
    assertFalse(ProtectedCommands.isLoopback("0:0:0:0:0:0:0:2:6379"));
    assertFalse(ProtectedCommands.isLoopback("garbage"));
  }
}
