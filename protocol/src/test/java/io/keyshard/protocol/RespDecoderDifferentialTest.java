package io.keyshard.protocol;

import static io.keyshard.protocol.RespDecoderTest.b;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sends the same raw bytes to a real redis-server and to RespDecoder, and compares what the client
 * would see: the replies to the requests decoded (only PING and ECHO, whose replies are easy to
 * predict), then the protocol error, then whether the connection is closed.
 */
class RespDecoderDifferentialTest {
  private static RealRedis open;
  private static RealRedis locked;

  @BeforeAll
  static void startRedis() throws Exception {
    open = RealRedis.start();
    locked = RealRedis.start("--requirepass", "secret");
  }

  @AfterAll
  static void stopRedis() {
    if (open != null) open.close();
    if (locked != null) locked.close();
  }

  private static final String X70K = "x".repeat(70_000);

  /** Inputs Redis answers with a protocol error and a close, or by waiting. */
  private static final List<String> INPUTS = List.of(
      "*1\r\n:1\r\n",
      "*1\r\n\r\n",
      "*1\r\n\n\r\n",
      "*1\r\n\u00ff\r\n",
      "*1\r\n\u0001\r\n",
      "*\r\n",
      "*+1\r\n$4\r\nPING\r\n",
      "* 1\r\n",
      "*01\r\n",
      "*-0\r\n",
      "*1x\r\n",
      "*2147483647\r\n",
      "*2147483648\r\n",
      "*-9223372036854775808\r\nPING\r\n",
      "*99999999999999999999\r\n",
      "*1\n$4\r\nPING\r\n",
      "*1\r\n$\r\n",
      "*1\r\n$-1\r\n",
      "*1\r\n$+4\r\nPING\r\n",
      "*1\r\n$ 4\r\nPING\r\n",
      "*1\r\n$04\r\nPING\r\n",
      "*1\r\n$536870912\r\n",
      "*1\r\n$536870913\r\n",
      "*1\r\n$4\r\nPINGxxPING\r\n",
      "*1\rX$4\r\nPING\r\n",
      "*1\r\n$4\rxPING\r\n",
      "*0\r\n*-1\r\n*-5\r\nPING\r\n",
      "PING\r\n\"x\n",
      "ECHO \"a\"b\n",
      "ECHO 'a\n",
      "ECHO \"x\\\n",
      "ECHO \"a\\x41\\x4g\\n\"\n",
      "ECHO 'a\\'b\\n'\n",
      "ECHO a\"b c\"\n",
      "ECHO \u000bab\u000bc\n",
      "ECHO \"\\q\\\"\\a\"\n",
      "ECHO\r\rfoo\r\n",
      "ECHO a\r\r\n",
      "\r\n\n  \t\r\n\u000b\u000cPING\r\n",
      "ECHO \"\\xAB\" \u00ff\n",
      "*1\r\n$4\r\nPING\r\n*1\r\n:1\r\nPING\r\n",
      "PI\0NG\r\nPING\r\n",
      "*1\0\r\n$4\r\nPING\r\n",
      "*1\r\n$4\0\r\nPING\r\n",
      "PING " + X70K,
      "*" + X70K,
      "*1\r\n$" + X70K,
      "PI\0NG\r\n" + X70K);

  @Test
  void sameAnswersAsRedis() throws Exception {
    for (String input : INPUTS) {
      compare(open, input, false);
    }
  }

  /** Before AUTH Redis limits counts and lengths, and answers NOAUTH to every request. */
  @Test
  void sameAnswersAsRedisBeforeAuth() throws Exception {
    for (String input : List.of("*10\r\n", "*11\r\n", "*2147483648\r\n", "*1\r\n$16384\r\n",
        "*1\r\n$16385\r\n", "*1\r\n$536870913\r\n", "*-1\r\n*1\r\n$4\r\nPING\r\n",
        "PING a b c d e f g h i j k l\r\n")) {
      compare(locked, input, true);
    }
  }

  private static void compare(RealRedis redis, String input, boolean authRequired)
      throws Exception {
    byte[] in = b(input);
    boolean[] closed = new boolean[1];
    byte[] actual = redis.exchange(in, 300, closed);

    List<Decoded> decoded = new ArrayList<>();
    RespDecoder d = new RespDecoder(new DecoderLimits().setAuthenticated(!authRequired));
    d.feed(in, 0, in.length, decoded);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (Decoded x : decoded) expected.writeBytes(replyOf(x, authRequired));

    String label = printable(input);
    assertEquals(printable(new String(expected.toByteArray(), ISO_8859_1)),
        printable(new String(actual, ISO_8859_1)), label);
    assertEquals(closed[0], d.failed(), "closed after " + label);
  }

  /** Redis's reply to what the decoder produced, for the few commands these inputs use. */
  private static byte[] replyOf(Decoded x, boolean authRequired) {
    if (x instanceof Decoded.ProtocolError e) {
      return RespWriter.encode(Reply.error(e.text()), 2); // an echoed byte comes back as itself
    }
    byte[][] argv = ((Decoded.Request) x).argv();
    if (authRequired) return b("-NOAUTH Authentication required.\r\n");
    String name = new String(argv[0], ISO_8859_1).toLowerCase();
    if (name.equals("ping") && argv.length == 1) return b("+PONG\r\n");
    if ((name.equals("ping") || name.equals("echo")) && argv.length == 2) {
      return RespWriter.encode(new Reply.Bulk(argv[1]), 2);
    }
    if (name.equals("echo") || name.equals("ping")) {
      return b("-ERR wrong number of arguments for '" + name + "' command\r\n");
    }
    throw new AssertionError("input decoded to a command this test cannot predict: " + x);
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c >= 0x20 && c < 0x7F) sb.append(c);
      else sb.append(String.format("\\x%02x", (int) c));
    }
    if (sb.length() > 200) return sb.substring(0, 200) + "...(" + s.length() + " chars)";
    return sb.toString();
  }
}
