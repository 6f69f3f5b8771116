package io.keyshard.protocol;

import static io.keyshard.protocol.RespDecoderTest.b;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SlotsTest {

  /** Slots answered by CLUSTER KEYSLOT on Redis 7.0.15; keys are Latin-1 text. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''|0",
      "a|15495",
      "foo|12182",
      "bar|5061",
      "123456789|12739",
      "{user1000}.following|3443",
      "{user1000}.followers|3443",
      "foo{}{bar}|8363",
      "foo{{bar}}zap|4015",
      "foo{bar}{zap}|5061",
      "{}|15257",
      "{a}b|15495",
      "a{b}c{d}|3300",
      "{{a}}|10276",
      "}{|12793",
      "{|4092",
      "}|12090",
      "{}a|10875",
      "a{}|6082",
      "{a|10276",
      "x{y}|12222",
      "{y}x|12222",
      "hello world|15332",
      "\u00ff\u00fe|3374",
      "{\u00ff}x|7920"})
  void knownSlots(String key, int slot) {
    assertEquals(slot, Slots.slot(b(key)), key);
  }

  @Test
  void knownSlotsOfKeysWithNul() {
    assertEquals(0, Slots.slot(new byte[] {0}));
    assertEquals(0, Slots.slot(new byte[] {'{', 0, '}'}));
    assertEquals(8383, Slots.slot(new byte[] {'a', 0, 'b'}));
  }

  @Test
  void crc16IsXmodem() {
    // The check value of CRC-16/XMODEM.
    assertEquals(0x31C3, Slots.crc16(b("123456789"), 0, 9));
  }

  @Test
  void sliceOverloadSeesOnlyTheSlice() {
    byte[] framed = b("xx{a}b}yy");
    assertEquals(Slots.slot(b("{a}b}")), Slots.slot(framed, 2, 5));
    assertEquals(Slots.slot(b("}{a")), Slots.slot(b("{}{a}"), 1, 3));
  }

  @Test
  void agreesWithClusterKeyslot() throws Exception {
    List<byte[]> keys = new ArrayList<>();
    for (String k : List.of("", "{}", "{a}b", "a{b}c{d}", "{{a}}", "}{", "{", "}", "{}{}",
        "{}{a}", "a{}b{c}", "{a}{b}", "{a}}", "{{}}", "{ }", "user:{123}:profile", "{123}")) {
      keys.add(b(k));
    }
    Random r = new Random(11);
    byte[] alphabet = b("{}ab\0\u00ff ");
    while (keys.size() < 400) {
      byte[] k = new byte[r.nextInt(12)];
      if (r.nextBoolean()) {
        r.nextBytes(k);
      } else {
        for (int i = 0; i < k.length; i++) k[i] = alphabet[r.nextInt(alphabet.length)];
      }
      keys.add(k);
    }
    try (RealRedis redis = RealRedis.start("--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf");
        Socket s = new Socket(InetAddress.getLoopbackAddress(), redis.port)) {
      s.setSoTimeout(10_000);
      for (byte[] k : keys) {
        Object slot = RealRedis.call(s, "CLUSTER", "KEYSLOT", k);
        assertEquals(slot, (long) Slots.slot(k), () -> java.util.Arrays.toString(k));
      }
    }
  }
}
