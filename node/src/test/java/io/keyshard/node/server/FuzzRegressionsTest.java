package io.keyshard.node.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.NodeAndRedisTestBase;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Divergences from Redis 7.0 that the fuzz tests found, kept as fixed cases: each pipeline is
 * sent to Keyshard and to redis-server, and the replies must be the same bytes.
 */
@Timeout(60)
class FuzzRegressionsTest extends NodeAndRedisTestBase {

  /** Redis echoes a name or argument that is not UTF-8 byte for byte (Keyshard sent U+FFFD). */
  @Test
  void errorsEchoBinaryBytes() throws Exception {
    same(3, "*2\r\n$5\r\npingx\r\n$1\r\n\u00ff\r\n", "\u00fe\u00ff x\r\n",
        "*2\r\n$6\r\nCONFIG\r\n$2\r\n\u00e9\u00ff\r\n");
    same(1, "*1\r\n\u00ff\r\n");
  }

  /** Redis compares options as C strings: a NUL ends them, so "xx\0" is XX (Keyshard: syntax). */
  @Test
  void optionsEndAtNul() throws Exception {
    same(6, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
        "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nw\r\n$3\r\nxx\0\r\n",
        "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nz\r\n$5\r\nNX\0ab\r\n",
        "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
        "*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\na\r\n",
        "*5\r\n$6\r\nZRANGE\r\n$1\r\nz\r\n$1\r\n0\r\n$2\r\n-1\r\n$11\r\nwithscores\0\r\n");
  }

  /** Sends the requests in one write to both servers and compares {@code replies} replies. */
  private static void same(int replies, String... requests) throws Exception {
    byte[] bytes = String.join("", requests).getBytes(ISO_8859_1);
    assertEquals(transcript(redis.port(), bytes, replies), transcript(node.port(), bytes, replies),
        NetworkFuzzTest.shown(bytes));
  }

  private static List<String> transcript(int port, byte[] bytes, int replies) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(bytes);
      InputStream in = new BufferedInputStream(s.getInputStream());
      List<String> out = new ArrayList<>();
      for (int i = 0; i < replies; i++) out.add(NetworkFuzzTest.shown(NetworkFuzzTest.readReply(in)));
      return out;
    }
  }
}
