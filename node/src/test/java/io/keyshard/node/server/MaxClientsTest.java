package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * maxclients as Redis 7.0 enforces it: with the limit reached, a new connection is told
 * "-ERR max number of clients reached" and closed, the connected clients keep working, and a
 * connection is accepted again once one closed. Compared with a real redis-server.
 */
class MaxClientsTest {

  @Test
  void aClientBeyondMaxclientsIsRefusedAsByRedis() throws Exception {
    try (RedisProcess redis = RedisProcess.start()) {
      TestNode node = TestNode.start(Files.createTempDirectory("keyshard-maxclients"), Map.of());
      try {
        assertEquals(behaviour(redis.port()), behaviour(node.port()));
        assertEquals(
            List.of("+PONG", "+PONG", "+PONG", "-ERR max number of clients reached|closed", "+PONG", "+PONG"),
            behaviour(node.port()));
      } finally {
        node.close();
      }
    }
  }

  /**
   * Sets maxclients to the clients connected now plus three (the server or the test may hold
   * connections of its own), fills it, tries one more, then frees one and tries again.
   */
  private static List<String> behaviour(int port) throws Exception {
    List<String> seen = new ArrayList<>();
    List<Socket> open = new ArrayList<>();
    try (Jedis admin = new Jedis("127.0.0.1", port, 5000)) {
      // A connection closed just before (a readiness probe, say) may still be counted for a
      // moment: wait until only the admin connection is, so the limit is not one too high.
      long connected = connectedClients(admin);
      for (int attempt = 0; attempt < 100 && connected > 1; attempt++) {
        Thread.sleep(100);
        connected = connectedClients(admin);
      }
      // The admin connection stays open: it is among those counted.
      admin.configSet("maxclients", Long.toString(connected + 3));
      try {
        fill(port, seen, open);
      } finally {
        for (Socket s : open) {
          s.close();
        }
        open.clear();
        admin.configSet("maxclients", "10000");
      }
      return seen;
    }
  }

  private static long connectedClients(Jedis admin) {
    for (String line : admin.info("clients").split("\r\n")) {
      if (line.startsWith("connected_clients:")) {
        return Long.parseLong(line.substring("connected_clients:".length()).trim());
      }
    }
    throw new AssertionError("INFO clients has no connected_clients line");
  }

  private static void fill(int port, List<String> seen, List<Socket> open) throws Exception {
    {
      for (int i = 0; i < 3; i++) {
        Socket s = new Socket("127.0.0.1", port);
        open.add(s);
        seen.add(ping(s));
      }
      try (Socket extra = new Socket("127.0.0.1", port)) {
        extra.setSoTimeout(10_000);
        extra.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        String reply = line(extra.getInputStream());
        String after;
        try {
          after = extra.getInputStream().read() == -1 ? "closed" : "open";
        } catch (IOException reset) {
          after = "closed"; // closed with our PING unread: a reset
        }
        seen.add(reply + "|" + after);
      }
      seen.add(ping(open.get(0)));
      open.remove(2).close();
      // The freed place is taken again (the server may need a moment to see the close).
      String again = "";
      for (int attempt = 0; attempt < 50 && !again.equals("+PONG"); attempt++) {
        try (Jedis j = new Jedis("127.0.0.1", port, 5000)) {
          again = "+" + j.ping();
        } catch (RuntimeException refused) {
          Thread.sleep(100);
        }
      }
      seen.add(again);
    }
  }

  private static String ping(Socket s) throws Exception {
    s.setSoTimeout(10_000);
    s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
    return line(s.getInputStream());
  }

  private static String line(InputStream in) throws Exception {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\r') {
      sb.append((char) c);
    }
    if (c == '\r') {
      in.read(); // \n
    }
    return sb.toString();
  }
}
