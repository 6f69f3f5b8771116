package io.keyshard.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AddressTest {
  @Test
  void everyFormTheToolsTake() {
    assertEquals(new Address("127.0.0.1", 7000, null, null, null, false), Address.parse("127.0.0.1:7000"));
    assertEquals(new Address("db.example", 6380, "alice", "s3cr:t", 4, true), Address.parse("rediss://alice:s3cr%3At@db.example:6380/4"));
    assertEquals(new Address("h", 1, null, "pw", null, false), Address.parse("redis://pw@h:1"));
    assertEquals(new Address("h", 1, null, "pw", null, false), Address.parse("redis://:pw@h:1"));
    assertEquals(new Address("::1", 6379, null, null, null, false), Address.parse("::1:6379"));
  }

  @Test
  void badAddressesAreNamed() {
    for (String bad : new String[] {"", "host", "host:0", "host:x", "http://h:1", "redis://h", "redis://h:1/16", "redis://h:1/x"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Address.parse(bad), bad);
      assertTrue(e.getMessage().contains("address") || e.getMessage().contains("empty"), e.getMessage());
    }
  }

  @Test
  void thePasswordIsNeverPrinted() {
    assertEquals("h:1", Address.parse("redis://u:secret@h:1").toString());
  }
}
