package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.NodeAndRedisTestBase;
import io.keyshard.node.testing.RawClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * client-query-buffer-limit and client-output-buffer-limit against a real redis-server 7.0: the
 * same bytes sent to both, the same outcome on both (closed without a reply, still open, or the
 * reply), and the outcome Redis 7.0.15 was observed to give. Another client is served after each
 * closed one.
 */
class ClientLimitsTest extends NodeAndRedisTestBase {
  private static final int MB = 1024 * 1024;
  private static final String CLOSED = "(closed)";
  private static final String OPEN = "(open)";


  /** A connection that sends raw bytes and tells whether the server closed it. */
  private static final class Conn implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    Conn(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setTcpNoDelay(true);
      out = socket.getOutputStream();
      in = socket.getInputStream();
    }

    /** Sends in 16 KB writes; a server that closes meanwhile makes the rest fail, not the test. */
    Conn send(byte[] bytes) {
      try {
        for (int i = 0; i < bytes.length; i += 16 * 1024) {
          out.write(bytes, i, Math.min(16 * 1024, bytes.length - i));
        }
        out.flush();
      } catch (IOException closedMeanwhile) {
        // outcome() reports it
      }
      return this;
    }

    Conn send(String latin1) {
      return send(latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Whether the last {@link #drain} ended with the server closing the connection. */
    boolean closedByServer;

    /**
     * Reads until the server closes or sends nothing for 1.5 s; returns the bytes it sent and
     * sets {@link #closedByServer}.
     */
    long drain() throws IOException {
      socket.setSoTimeout(1500);
      byte[] buf = new byte[64 * 1024];
      long total = 0;
      closedByServer = true;
      try {
        for (int n; (n = in.read(buf)) >= 0; ) {
          total += n;
        }
      } catch (SocketTimeoutException stillOpen) {
        closedByServer = false;
      } catch (IOException reset) {
        // closed
      }
      return total;
    }

    /** What the server sent within 1.5 s: its bytes, CLOSED (EOF or reset, nothing sent), OPEN. */
    String outcome() throws IOException {
      socket.setSoTimeout(1500);
      byte[] buf = new byte[256];
      try {
        int n = in.read(buf);
        return n < 0 ? CLOSED : new String(buf, 0, n, StandardCharsets.ISO_8859_1);
      } catch (SocketTimeoutException nothing) {
        return OPEN;
      } catch (IOException reset) {
        return CLOSED;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private interface Scenario {
    String run(int port) throws Exception;
  }

  /** Runs a scenario on Redis, then on Keyshard; both must end as {@code expected}. */
  private static void onBoth(String expected, Scenario scenario) throws Exception {
    String onRedis = scenario.run(redis.port());
    String onKeyshard = scenario.run(node.port());
    assertEquals(expected + " / " + expected, onRedis + " / " + onKeyshard, "redis / keyshard");
    for (int port : new int[] {redis.port(), node.port()}) {
      try (RawClient other = new RawClient(port)) {
        assertEquals("+PONG", other.call("PING"), "another client on " + port);
      }
    }
  }

  private static void configSet(String name, String value) throws IOException {
    for (int port : new int[] {redis.port(), node.port()}) {
      try (RawClient admin = new RawClient(port)) {
        assertEquals("+OK", admin.call("CONFIG", "SET", name, value));
      }
    }
  }

  private static byte[] filler(int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) 'x');
    return b;
  }

  private static String setHeader(int valueLength) {
    return "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + valueLength + "\r\n";
  }

  @Test
  void clientOverTheQueryBufferLimitIsClosedWithoutAReply() throws Exception {
    configSet("client-query-buffer-limit", "1mb");
    try {
      // A bulk still arriving: 1.5 MB of a declared 2,000,000 is held, over the 1 MB limit.
      onBoth(CLOSED, port -> {
        try (Conn c = new Conn(port)) {
          return c.send("*1\r\n$2000000\r\n").send(filler(MB + MB / 2)).outcome();
        }
      });
      // The limit is on bytes held, not on the declared length: exactly 1 MB held is fine...
      onBoth(OPEN, port -> {
        try (Conn c = new Conn(port)) {
          return c.send("*1\r\n$2000000\r\n").send(filler(MB)).outcome();
        }
      });
      // ... one byte more is not.
      onBoth(CLOSED, port -> {
        try (Conn c = new Conn(port)) {
          return c.send("*1\r\n$2000000\r\n").send(filler(MB + 1)).outcome();
        }
      });
      // A complete big argument counts with its CRLF before it is parsed: limit - 2 bytes pass...
      onBoth("+OK\r\n", port -> {
        try (Conn c = new Conn(port)) {
          return c.send(setHeader(MB - 2)).send(filler(MB - 2)).send("\r\n").outcome();
        }
      });
      // ... limit - 1 bytes close the client, the value is not set.
      onBoth(CLOSED, port -> {
        try (Conn c = new Conn(port)) {
          return c.send(setHeader(MB - 1)).send(filler(MB - 1)).send("\r\n").outcome();
        }
      });
      // Completed arguments of an unfinished multibulk are not query buffer: 1.5 MB of them.
      onBoth(OPEN, port -> {
        try (Conn c = new Conn(port)) {
          return c.send("*200000\r\n" + "$10\r\n0123456789\r\n".repeat(150_000)).outcome();
        }
      });
    } finally {
      configSet("client-query-buffer-limit", "1gb");
    }
  }

  /** The limit is read when input arrives, so CONFIG SET applies to connections already open. */
  @Test
  void queryBufferLimitChangesForOpenConnections() throws Exception {
    configSet("client-query-buffer-limit", "1mb");
    try (Conn onRedis = new Conn(redis.port());
        Conn onKeyshard = new Conn(node.port())) {
      for (Conn c : new Conn[] {onRedis, onKeyshard}) {
        c.send("*1\r\n$4000000\r\n").send(filler(MB / 2));
      }
      assertEquals(OPEN + " / " + OPEN, onRedis.outcome() + " / " + onKeyshard.outcome());
      configSet("client-query-buffer-limit", "2mb");
      for (Conn c : new Conn[] {onRedis, onKeyshard}) {
        c.send(filler(MB)); // 1.5 MB held
      }
      assertEquals(OPEN + " / " + OPEN, onRedis.outcome() + " / " + onKeyshard.outcome());
      configSet("client-query-buffer-limit", "1mb");
      for (Conn c : new Conn[] {onRedis, onKeyshard}) {
        c.send("x");
      }
      assertEquals(CLOSED + " / " + CLOSED, onRedis.outcome() + " / " + onKeyshard.outcome());
    } finally {
      configSet("client-query-buffer-limit", "1gb");
    }
  }

  /** proto-max-bulk-len is checked on the declared length, before any payload is held. */
  @Test
  void declaredBulkOverProtoMaxBulkLenIsRefusedAtOnce() throws Exception {
    configSet("client-query-buffer-limit", "1mb");
    configSet("proto-max-bulk-len", "1mb");
    try {
      onBoth("-ERR Protocol error: invalid bulk length\r\n", port -> {
        try (Conn c = new Conn(port)) {
          return c.send("*1\r\n$2000000\r\n").outcome();
        }
      });
    } finally {
      configSet("proto-max-bulk-len", "512mb");
      configSet("client-query-buffer-limit", "1gb");
    }
  }

  private static final String OBUF_DEFAULT =
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

  @Test
  void configGetAndSetOfClientOutputBufferLimitAreRedis() throws Exception {
    try (Differential d = new Differential(node.port(), redis.port())) {
      d.check("config", "get", "client-output-buffer-limit");
      for (String value :
          List.of(
              "normal 1mb 512kb 10", "replica 1 2 3", "slave 1gb 2k 3 PUBSUB 4 5 6",
              "master 1 2 3", "foo 1 2 3", "normal 1 2", "", "normal x 2 3", "normal 1 2 -3",
              "normal 1 2 3x", "normal  1 2 3", " normal 1 2 3", "normal 1 2 3 ", "Normal 1 2 3",
              "normal 1 2 3 normal 4 5 6", "normal 1 2 3 foo 4 5 6", "normal x 2 3 foo 1 2 3",
              "normal 18446744073709551615 99999999999999999999999 4294967296",
              "normal 1 1 2147483648", "normal 1 1 4294967295", "normal 1 1 2147483647",
              "normal 1 1 -0", "normal 1 1 ", "normal 1 1 3 x", "normal 1k 1KB 1",
              "normal 1 1 +3", "normal 1 1 00012", "normal 1 -1 1", "normal 1.5mb 1 1",
              "pubsub 0 0 0")) {
        d.check("config", "set", "client-output-buffer-limit", value);
        d.check("config", "get", "client-output-buffer-limit");
      }
      d.check("config", "set", "client-output-buffer-limit", "normal 0 0 0",
          "client-output-buffer-limit", "normal 1 1 1");
      d.check("config", "set", "client-output-buffer-limit", "normal 2 2 2", "timeout", "x");
      d.check("config", "get", "client-output*");
      d.check("config", "set", "client-output-buffer-limit", OBUF_DEFAULT);
      d.check("config", "get", "client-output-buffer-limit");
      d.assertNoMismatches();
    }
  }

  /**
   * Redis counts only what does not fit its 16 KB reply buffer: with a hard limit of one byte, a
   * reply of 16,379 bytes is sent and one of 16,389 closes the client.
   */
  @Test
  void outputLimitCountsRepliesBeyondTheReplyBuffer() throws Exception {
    for (int port : new int[] {redis.port(), node.port()}) {
      try (RawClient setup = new RawClient(port)) {
        setup.call("SET", "v16", "a".repeat(16_370));
        setup.call("SET", "v17", "a".repeat(16_380));
      }
    }
    configSet("client-output-buffer-limit", "normal 1 1 0");
    try {
      onBoth("$16370\r\n", port -> {
        try (Conn c = new Conn(port)) {
          return c.send("GET v16\r\n").outcome().substring(0, 8);
        }
      });
      onBoth(CLOSED, port -> {
        try (Conn c = new Conn(port)) {
          return c.send("GET v17\r\n").outcome();
        }
      });
    } finally {
      configSet("client-output-buffer-limit", OBUF_DEFAULT);
    }
  }

  /**
   * A client that pipelines GETs of a 1 MB value and does not read: with no limit (Redis's
   * default) it is kept and gets every reply once it reads; with "normal 4mb 0 0" it is closed
   * before it has its replies, on Redis (whose output buffer grows) and on Keyshard (where the
   * replies wait in the connection's stream), while other clients are served.
   */
  @Test
  void clientThatDoesNotReadIsClosedAtTheHardOutputLimit() throws Exception {
    byte[] get = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".getBytes(StandardCharsets.US_ASCII);
    long reply = ("$" + MB + "\r\n").length() + MB + 2;
    for (int port : new int[] {redis.port(), node.port()}) {
      try (RawClient setup = new RawClient(port)) {
        assertEquals("+OK", setup.call("SET".getBytes(StandardCharsets.US_ASCII),
            "big".getBytes(StandardCharsets.US_ASCII), filler(MB)));
      }
    }
    // No limit: 20 replies wait while the client does not read, and all arrive.
    for (int port : new int[] {redis.port(), node.port()}) {
      try (Conn c = new Conn(port)) {
        c.send(repeat(get, 20));
        Thread.sleep(1000);
        assertEquals(20 * reply, c.drain(), "all 20 replies on " + port);
        assertEquals(false, c.closedByServer, "still open on " + port);
      }
    }
    configSet("client-output-buffer-limit", "normal 4mb 0 0");
    try {
      for (int port : new int[] {redis.port(), node.port()}) {
        try (Conn c = new Conn(port)) {
          c.send(repeat(get, 100));
          Thread.sleep(1000);
          long got = c.drain();
          assertTrue(c.closedByServer && got < 100 * reply,
              "closed before its 100 replies on " + port + " (read " + got + " bytes)");
        }
        try (RawClient other = new RawClient(port)) {
          assertEquals("+PONG", other.call("PING"));
          assertEquals(":" + MB, other.call("STRLEN", "big"));
        }
      }
    } finally {
      configSet("client-output-buffer-limit", OBUF_DEFAULT);
    }
  }

  private static byte[] repeat(byte[] b, int times) {
    byte[] out = new byte[b.length * times];
    for (int i = 0; i < times; i++) {
      System.arraycopy(b, 0, out, i * b.length, b.length);
    }
    return out;
  }
}
