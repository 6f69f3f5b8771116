package io.keyshard.persistence.rdb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Crc64Test {
  @Test
  void redisTestVectors() {
    // The two checks of Redis's crc64.c; the second includes the string's terminating NUL.
    byte[] digits = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertEquals(0xe9c6d914c4b8d9caL, Crc64.of(digits, 0, digits.length));
    String lorem =
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor"
            + " incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud"
            + " exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute"
            + " irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla"
            + " pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia"
            + " deserunt mollit anim id est laborum.\0";
    byte[] l = lorem.getBytes(StandardCharsets.US_ASCII);
    assertEquals(0xc7794709e69683b3L, Crc64.of(l, 0, l.length));
  }

  @Test
  void eightBytesAtATimeAgreesWithOneAtATime() {
    Random r = new Random(7);
    for (int n = 0; n < 300; n++) {
      byte[] b = new byte[n];
      r.nextBytes(b);
      long slow = 0;
      for (byte x : b) {
        slow = Crc64.update(slow, new byte[] {x}, 0, 1);
      }
      assertEquals(slow, Crc64.of(b, 0, n), "length " + n);
      // And in two pieces, split anywhere.
      int cut = n == 0 ? 0 : r.nextInt(n);
      assertEquals(slow, Crc64.update(Crc64.of(b, 0, cut), b, cut, n - cut));
    }
  }
}
