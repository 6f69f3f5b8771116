package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.NodeAndRedisTestBase;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Pub/Sub against a real redis-server 7.0.15, byte for byte on the wire: subscribe, psubscribe and
 * ssubscribe confirmations and counts, messages and pattern messages in order, RESP2's
 * subscribed context (what is refused, PING's shape), RESP3 push messages beside replies, RESET,
 * PUBSUB's introspection; then a subscriber that does not read, closed at the pubsub output
 * limit while the node goes on.
 */
class PubSubDifferentialTest extends NodeAndRedisTestBase {
  /**
   * A subscriber's commands, then a publisher's; both sides' bytes from each server. With {@code
   * like} (redis-server's three parts), each read waits until it has at least as much as redis
   * sent (HELLO's reply compared as a placeholder), at most 10 s: a journaled SET under load can
   * take longer than the quiet time that ends a read (a flaky failure at 300 ms).
   */
  private static List<String> session(int port, String subscriber, String publisher, List<String> like)
      throws Exception {
    try (Socket sub = new Socket("127.0.0.1", port);
        Socket pub = new Socket("127.0.0.1", port)) {
      sub.getOutputStream().write(subscriber.getBytes(StandardCharsets.UTF_8));
      String subscribed = read(sub, 300, like == null ? 0 : hello(like.get(0)).length());
      String published = "";
      if (publisher != null) {
        pub.getOutputStream().write(publisher.getBytes(StandardCharsets.UTF_8));
        published = read(pub, 300, like == null ? 0 : hello(like.get(1)).length());
      }
      return List.of(subscribed, published, read(sub, 300, like == null ? 0 : hello(like.get(2)).length()));
    }
  }

  /**
   * Everything the server sends until it is quiet for {@code quietMs}, once it sent at least
   * {@code atLeast} characters (HELLO's reply as a placeholder) or 10 s passed.
   */
  private static String read(Socket s, int quietMs, int atLeast) throws Exception {
    s.setSoTimeout(quietMs);
    InputStream in = s.getInputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[65536];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        int n = in.read(buf);
        if (n <= 0) {
          break;
        }
        out.write(buf, 0, n);
      } catch (SocketTimeoutException quiet) {
        if (hello(out.toString(StandardCharsets.UTF_8)).length() >= atLeast || System.nanoTime() > deadline) {
          break;
        }
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Connections of an earlier exchange are closed, and their subscriptions gone (asynchronously). */
  private static void noSubscribersLeft(int port) throws Exception {
    try (Jedis j = new Jedis("127.0.0.1", port)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!(j.pubsubChannels().isEmpty() && j.pubsubNumPat() == 0L && j.pubsubShardChannels().isEmpty())) {
        assertTrue(System.nanoTime() < deadline, "subscriptions of closed connections are still counted");
        Thread.sleep(10);
      }
    }
  }

  /** HELLO's reply names the server and the connection's id: compared as a placeholder. */
  private static List<String> hello(List<String> replies) {
    return replies.stream().map(PubSubDifferentialTest::hello).toList();
  }

  private static String hello(String reply) {
    return reply.replaceAll("(?s)%7\r\n\\$6\r\nserver.*?\\*0\r\n", "HELLO");
  }

  private static void same(String subscriber, String publisher) throws Exception {
    noSubscribersLeft(redis.port());
    noSubscribersLeft(node.port());
    List<String> fromRedis = session(redis.port(), subscriber, publisher, null);
    List<String> expected = hello(fromRedis);
    List<String> actual = hello(session(node.port(), subscriber, publisher, fromRedis));
    assertTrue(!expected.get(0).isEmpty(), "redis answered nothing");
    assertEquals(expected, actual, subscriber + " / " + publisher);
  }

  @Test
  void resp2SubscriberSeesWhatRedisSends() throws Exception {
    same(
        "SUBSCRIBE a b\r\nGET x\r\nCONFIG GET maxmemory\r\nPING\r\nPING hi\r\nPSUBSCRIBE h*llo n?x\r\nSSUBSCRIBE sh\r\n",
        "PUBLISH a m1\r\nPUBLISH hello m2\r\nPUBLISH hallo m3\r\nSPUBLISH sh m4\r\nPUBLISH b m5\r\nPUBLISH nobody x\r\n"
            + "PUBSUB NUMSUB a b c\r\nPUBSUB NUMPAT\r\nPUBSUB SHARDNUMSUB sh\r\nPUBSUB CHANNELS a\r\nPUBSUB SHARDCHANNELS\r\n");
    same(
        "SUBSCRIBE a\r\nUNSUBSCRIBE a b\r\nPING\r\nUNSUBSCRIBE\r\nPUNSUBSCRIBE x\r\nSUNSUBSCRIBE\r\nSUBSCRIBE c\r\nRESET\r\nGET x\r\n",
        "PUBLISH a lost\r\nPUBLISH c lost\r\nPUBSUB NUMSUB a c\r\n");
    same("PUBSUB NOSUCH\r\nPUBSUB CHANNELS a b\r\nSUBSCRIBE\r\nPUBLISH a\r\nPUBSUB HELP\r\n", null);
  }

  @Test
  void resp3PushesComeBesideReplies() throws Exception {
    same(
        "HELLO 3\r\nSUBSCRIBE a\r\nSET k v\r\nGET k\r\nPSUBSCRIBE *\r\nPING\r\n",
        "PUBLISH a one\r\nPUBLISH other two\r\n");
  }

  @Test
  void messagesArriveInOrderAndConfirmationsFirst() throws Exception {
    List<String> got = new CopyOnWriteArrayList<>();
    JedisPubSub listener =
        new JedisPubSub() {
          @Override
          public void onMessage(String channel, String message) {
            got.add(message);
            if (message.equals("999")) {
              unsubscribe();
            }
          }
        };
    Thread t = new Thread(() -> new Jedis("127.0.0.1", node.port(), 30_000).subscribe(listener, "ordered"));
    t.start();
    // Generous timeouts: 1,000 pipelined PUBLISHes outlasted Jedis's 2 s on a loaded machine.
    try (Jedis pub = new Jedis("127.0.0.1", node.port(), 30_000)) {
      while (pub.pubsubNumSub("ordered").get("ordered") == 0) {
        Thread.sleep(10);
      }
      var p = pub.pipelined();
      for (int i = 0; i < 1000; i++) {
        p.publish("ordered", Integer.toString(i));
      }
      p.sync();
    }
    t.join(TimeUnit.SECONDS.toMillis(30));
    List<String> want = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      want.add(Integer.toString(i));
    }
    assertEquals(want, got);
  }

  @Test
  void aSubscriberThatDoesNotReadIsClosedAtThePubsubLimit() throws Exception {
    try (Jedis admin = new Jedis("127.0.0.1", node.port())) {
      admin.configSet("client-output-buffer-limit", "pubsub 256kb 0 0");
      try (Socket slow = new Socket("127.0.0.1", node.port())) {
        slow.setReceiveBufferSize(4096);
        slow.getOutputStream().write("SUBSCRIBE flood\r\n".getBytes(StandardCharsets.UTF_8));
        while (admin.pubsubNumSub("flood").get("flood") == 0) {
          Thread.sleep(10);
        }
        byte[] big = new byte[64 * 1024];
        long sent = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (admin.pubsubNumSub("flood").get("flood") > 0 && System.nanoTime() < deadline) {
          admin.publish("flood".getBytes(StandardCharsets.UTF_8), big);
          sent += big.length;
        }
        assertEquals(0L, admin.pubsubNumSub("flood").get("flood"), "the slow subscriber is still there after " + sent + " bytes");
        assertTrue(sent < 64L * 1024 * 1024, "closed only after " + sent + " bytes");
        assertEquals("PONG", admin.ping());
      } finally {
        admin.configSet("client-output-buffer-limit", "pubsub 32mb 8mb 60");
      }
    }
  }

  @Test
  void channelsAndCountsFollowSubscribers() throws Exception {
    List<Jedis> subs = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<JedisPubSub> listeners = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 3; i++) {
      JedisPubSub l = new JedisPubSub() {};
      listeners.add(l);
      Jedis j = new Jedis("127.0.0.1", node.port());
      subs.add(j);
      Thread t = new Thread(() -> j.subscribe(l, "room"));
      t.start();
      threads.add(t);
    }
    try (Jedis pub = new Jedis("127.0.0.1", node.port())) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (pub.pubsubNumSub("room").get("room") < 3 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(3L, pub.publish("room", "hello"));
      subs.get(0).close(); // a closed connection is no longer counted
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (pub.pubsubNumSub("room").get("room") != 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(2L, pub.publish("room", "again"));
      assertTrue(pub.pubsubChannels("r*").contains("room"));
    } finally {
      for (int i = 1; i < 3; i++) {
        listeners.get(i).unsubscribe();
      }
      for (Thread t : threads) {
        t.join(5000);
      }
      subs.forEach(Jedis::close);
    }
  }
}
