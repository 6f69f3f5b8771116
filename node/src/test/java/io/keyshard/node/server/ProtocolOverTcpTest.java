package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.NodeAndRedisTestBase;
import io.keyshard.node.testing.RawClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Raw bytes over a socket to Keyshard and to redis-server: the same bytes must give the same
 * replies, and a protocol error must close the connection on both. Each case ends with a PING
 * probe that tells whether the server kept the connection open.
 */
@Timeout(60)
class ProtocolOverTcpTest extends NodeAndRedisTestBase {

  private static final byte[] PROBE = bytes("*1\r\n$4\r\nPING\r\n");

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Sends {@code input}, reads {@code replies} replies, then probes: "open" or "(closed)". */
  static List<String> transcript(int port, byte[] input, int replies) throws IOException {
    try (RawClient c = new RawClient(port)) {
      c.sendRaw(input);
      List<String> out = new ArrayList<>();
      for (int i = 0; i < replies; i++) {
        out.add(readOrClosed(c));
      }
      out.add(probe(c));
      return out;
    }
  }

  static String readOrClosed(RawClient c) {
    try {
      return c.readReply();
    } catch (IOException e) {
      return "(closed)";
    }
  }

  static String probe(RawClient c) {
    try {
      c.sendRaw(PROBE);
      String r = c.readReply();
      return r.equals("+PONG") ? "open" : r;
    } catch (IOException e) {
      return "(closed)";
    }
  }

  /** Runs the case on both servers; checks Redis gives {@code expected}, then Keyshard the same. */
  static void same(String input, int replies, String... expected) throws IOException {
    same(bytes(input), replies, expected);
  }

  static void same(byte[] input, int replies, String... expected) throws IOException {
    List<String> want = List.of(expected);
    String shown = new String(input, 0, Math.min(input.length, 60), StandardCharsets.ISO_8859_1)
        .replace("\r", "\\r").replace("\n", "\\n");
    assertEquals(want, transcript(redis.port(), input, replies), "redis on " + shown);
    assertEquals(want, transcript(node.port(), input, replies), "keyshard on " + shown);
  }

  @Test
  void expectedDollarGotColon() throws Exception {
    same("*1\r\n:1\r\n", 1, "-ERR Protocol error: expected '$', got ':'", "(closed)");
    same("*2\r\n$4\r\nECHO\r\nx\r\n", 1, "-ERR Protocol error: expected '$', got 'x'",
        "(closed)");
    same("*1\r\n\r\n\r\n", 1, "-ERR Protocol error: expected '$', got ' '", "(closed)");
  }

  @Test
  void invalidLengths() throws Exception {
    same("*abc\r\n", 1, "-ERR Protocol error: invalid multibulk length", "(closed)");
    same("*3000000000\r\n", 1, "-ERR Protocol error: invalid multibulk length", "(closed)");
    same("*+1\r\n", 1, "-ERR Protocol error: invalid multibulk length", "(closed)");
    same("*1\r\n$-1\r\n", 1, "-ERR Protocol error: invalid bulk length", "(closed)");
    same("*1\r\n$abc\r\n", 1, "-ERR Protocol error: invalid bulk length", "(closed)");
    same("*1\r\n$\r\n", 1, "-ERR Protocol error: invalid bulk length", "(closed)");
    same("*1\r\n$600000000\r\n", 1, "-ERR Protocol error: invalid bulk length", "(closed)");
    same("*1\r\n$99999999999999999999\r\n", 1, "-ERR Protocol error: invalid bulk length",
        "(closed)");
    // Empty and negative multibulk counts are skipped, not errors.
    same("*0\r\n*-1\r\n*-5\r\nPING\r\n", 1, "+PONG", "open");
  }

  @Test
  void tooBigHeaders() throws Exception {
    same("a".repeat(70_000), 1, "-ERR Protocol error: too big inline request", "(closed)");
    same("*" + "1".repeat(70_000), 1, "-ERR Protocol error: too big mbulk count string",
        "(closed)");
    same("*1\r\n$" + "1".repeat(70_000), 1, "-ERR Protocol error: too big bulk count string",
        "(closed)");
  }

  @Test
  void inlineCommands() throws Exception {
    same("PING\r\n", 1, "+PONG", "open");
    same("PING\n", 1, "+PONG", "open");
    same("ping hello\r\n", 1, "\"hello\"", "open");
    same("SET a \"b c\"\r\nGET a\r\n", 2, "+OK", "\"b c\"", "open");
    same("SET a 'x\\'y'\r\nGET a\r\n", 2, "+OK", "\"x'y\"", "open");
    same("SET a \"\\x41\\t\\\"z\"\r\nGET a\r\n", 2, "+OK", "\"A\t\"z\"", "open");
    same("ECHO \"\"\r\n", 1, "\"\"", "open");
    same("   SET   a    b   \r\nGET a\r\n", 2, "+OK", "\"b\"", "open");
    same("\r\n\r\n   \r\n\nPING\r\n", 1, "+PONG", "open");
    same("FOO bar\r\n", 1, "-ERR unknown command 'FOO', with args beginning with: 'bar' ",
        "open");
    same("GET\r\n", 1, "-ERR wrong number of arguments for 'get' command", "open");
    same("PING\r\n*1\r\n$4\r\nPING\r\nPING\r\n", 3, "+PONG", "+PONG", "+PONG", "open");
  }

  @Test
  void unbalancedQuotes() throws Exception {
    same("SET a \"b\r\n", 1, "-ERR Protocol error: unbalanced quotes in request", "(closed)");
    same("SET a 'b\r\n", 1, "-ERR Protocol error: unbalanced quotes in request", "(closed)");
    same("SET a \"b\"c\r\n", 1, "-ERR Protocol error: unbalanced quotes in request", "(closed)");
    same("PING\r\nECHO \"x\r\nPING\r\n", 2, "+PONG",
        "-ERR Protocol error: unbalanced quotes in request", "(closed)");
  }

  @Test
  void quitEndsThePipeline() throws Exception {
    same("PING\r\nQUIT\r\nPING\r\n", 2, "+PONG", "+OK", "(closed)");
    same("*1\r\n$4\r\nQUIT\r\n", 1, "+OK", "(closed)");
  }

  @Test
  void quirksKeptFromRedis() throws Exception {
    // The two bytes after a bulk payload are skipped unchecked.
    same("*1\r\n$4\r\nPINGxx", 1, "+PONG", "open");
    same("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", 1, "\"\"", "open");
  }

  @Test
  void requestsBeforeAnErrorAreServed() throws Exception {
    same("PING\r\n*1\r\n:1\r\nPING\r\n", 2, "+PONG",
        "-ERR Protocol error: expected '$', got ':'", "(closed)");
    same("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$x\r\n", 2, "+OK",
        "-ERR Protocol error: invalid bulk length", "(closed)");
    for (int port : new int[] {node.port(), redis.port()}) {
      try (RawClient c = new RawClient(port)) {
        assertEquals("\"v\"", c.call("GET", "k"), "the SET before the error was applied");
      }
    }
  }

  @Test
  void byteAtATime() throws Exception {
    byte[] req = bytes("*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$12\r\nhello\r\nworld\r\nGET split\r\n");
    for (int port : new int[] {node.port(), redis.port()}) {
      try (RawClient c = new RawClient(port)) {
        for (byte b : req) {
          c.sendRaw(new byte[] {b});
        }
        assertEquals("+OK", c.readReply());
        assertEquals("\"hello\r\nworld\"", c.readReply());
      }
    }
  }

  @Test
  void otherClientsAreServedAfterAProtocolError() throws Exception {
    try (RawClient before = new RawClient(node.port());
        RawClient bad = new RawClient(node.port())) {
      assertEquals("+OK", before.call("SET", "k", "v"));
      bad.sendRaw(bytes("*1\r\n:1\r\n"));
      assertEquals("-ERR Protocol error: expected '$', got ':'", bad.readReply());
      assertEquals(true, bad.isClosedByServer(), "the bad connection is closed");
      assertEquals("\"v\"", before.call("GET", "k"));
      try (RawClient after = new RawClient(node.port())) {
        assertEquals("\"v\"", after.call("GET", "k"));
      }
      // And after many broken connections in a row.
      for (int i = 0; i < 50; i++) {
        try (RawClient b = new RawClient(node.port())) {
          b.sendRaw(bytes(i % 2 == 0 ? "*1\r\n$-5\r\n" : "SET \"x\r\n"));
          b.readReply();
        }
      }
      assertEquals("+PONG", before.call("PING"));
    }
  }

  @Test
  void largeBulkInSmallWrites() throws Exception {
    byte[] value = new byte[300_000];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) i;
    }
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    req.write(bytes("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + value.length + "\r\n"));
    req.write(value);
    req.write(bytes("\r\n"));
    byte[] all = req.toByteArray();
    for (int port : new int[] {node.port(), redis.port()}) {
      try (RawClient c = new RawClient(port)) {
        for (int off = 0; off < all.length; off += 7_777) {
          int n = Math.min(7_777, all.length - off);
          byte[] part = new byte[n];
          System.arraycopy(all, off, part, 0, n);
          c.sendRaw(part);
        }
        assertEquals("+OK", c.readReply());
        assertEquals(":300000", c.call("STRLEN", "big"));
      }
    }
  }
}
