package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestCluster;
import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisMovedDataException;

/**
 * Pub/Sub across two cluster-mode nodes in this JVM on one PostgreSQL journal: a message published
 * on one node reaches the subscribers of the other, in the order it was published, whatever its
 * size (a message of 700 KB crosses Artery's 256 KiB frame in parts); PUBLISH and PUBSUB count per
 * node, as Redis Cluster does; SSUBSCRIBE and SPUBLISH go to the channel's slot (MOVED elsewhere).
 */
@Timeout(240)
class ClusterPubSubTest {
  private static TestCluster cluster;
  private static TestNode a;
  private static TestNode b;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(2);
    a = cluster.node(0);
    b = cluster.node(1);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void messagesCrossNodesInOrderWhateverTheirSize() throws Exception {
    List<byte[]> got = new CopyOnWriteArrayList<>();
    byte[] big = new byte[700 * 1024];
    Arrays.fill(big, (byte) 'x');
    big[big.length - 1] = 'y';
    BinaryJedisPubSub listener =
        new BinaryJedisPubSub() {
          @Override
          public void onMessage(byte[] channel, byte[] message) {
            got.add(message);
            if (new String(message, StandardCharsets.UTF_8).equals("end")) {
              unsubscribe();
            }
          }
        };
    Jedis subscriber = new Jedis("127.0.0.1", b.port(), 60_000);
    Thread t = new Thread(() -> subscriber.subscribe(listener, "news".getBytes(StandardCharsets.UTF_8)));
    t.start();
    List<byte[]> sent = new ArrayList<>();
    try (Jedis onB = new Jedis("127.0.0.1", b.port());
        Jedis onA = new Jedis("127.0.0.1", a.port())) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (onB.pubsubNumSub("news").get("news") == 0) {
        assertTrue(System.nanoTime() < deadline, "never subscribed");
        Thread.sleep(10);
      }
      // Counts are per node, as in Redis Cluster.
      assertEquals(0L, onA.pubsubNumSub("news").get("news"));
      assertEquals(1L, onB.pubsubNumSub("news").get("news"));
      // The relays find each other through the receptionist: wait until a message gets across.
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (got.isEmpty()) {
        assertTrue(System.nanoTime() < deadline, "no message crossed from A to B");
        onA.publish("news", "probe");
        Thread.sleep(100);
      }
      Thread.sleep(300);
      got.clear();
      for (int i = 0; i < 300; i++) {
        byte[] m = (i == 150 ? big : ("m" + i).getBytes(StandardCharsets.UTF_8));
        sent.add(m);
        assertEquals(0L, onA.publish("news".getBytes(StandardCharsets.UTF_8), m), "A has no subscriber of its own");
      }
      sent.add("end".getBytes(StandardCharsets.UTF_8));
      onA.publish("news", "end");
    }
    t.join(TimeUnit.SECONDS.toMillis(60));
    subscriber.close();
    assertEquals(sent.size(), got.size(), "messages received");
    for (int i = 0; i < sent.size(); i++) {
      assertTrue(Arrays.equals(sent.get(i), got.get(i)), "message " + i + " differs (" + got.get(i).length + " bytes)");
    }
  }

  @Test
  void shardChannelsLiveInTheirSlot() throws Exception {
    String channel = "orders";
    int slot = Slots.slot(channel.getBytes(StandardCharsets.UTF_8));
    TestNode owner = null;
    TestNode other = null;
    for (TestNode n : new TestNode[] {a, b}) {
      try (Jedis j = new Jedis("127.0.0.1", n.port())) {
        try {
          j.sendCommand(() -> "SPUBLISH".getBytes(StandardCharsets.UTF_8), channel, "probe");
          owner = n;
        } catch (JedisMovedDataException e) {
          assertEquals(slot, e.getSlot());
          other = n;
        }
      }
    }
    assertTrue(owner != null && other != null, "one node owns slot " + slot + ", the other redirects");
    try (Jedis j = new Jedis("127.0.0.1", other.port())) {
      JedisMovedDataException moved =
          assertThrows(
              JedisMovedDataException.class,
              () -> j.sendCommand(() -> "SSUBSCRIBE".getBytes(StandardCharsets.UTF_8), channel));
      assertEquals(slot, moved.getSlot());
    }
  }

  @Test
  void aShardChannelsSubscribersAreToldWhenItsSlotMovesAway() throws Exception {
    String channel = "moving";
    int slot = Slots.slot(channel.getBytes(StandardCharsets.UTF_8));
    TestNode owner = null;
    TestNode other = null;
    for (TestNode n : new TestNode[] {a, b}) {
      try (Jedis j = new Jedis("127.0.0.1", n.port())) {
        try {
          j.sendCommand(() -> "SPUBLISH".getBytes(StandardCharsets.UTF_8), channel, "probe");
          owner = n;
        } catch (JedisMovedDataException e) {
          other = n;
        }
      }
    }
    assertTrue(owner != null && other != null);
    try (java.net.Socket sub = new java.net.Socket("127.0.0.1", owner.port());
        Jedis admin = new Jedis("127.0.0.1", owner.port(), 30_000);
        Jedis target = new Jedis("127.0.0.1", other.port())) {
      sub.getOutputStream().write(("SSUBSCRIBE " + channel + "\r\n").getBytes(StandardCharsets.UTF_8));
      sub.setSoTimeout(20_000);
      java.io.InputStream in = sub.getInputStream();
      String confirmation = "*3\r\n$10\r\nssubscribe\r\n$6\r\nmoving\r\n:1\r\n";
      assertEquals(confirmation, new String(in.readNBytes(confirmation.length()), StandardCharsets.UTF_8));
      assertEquals(1L, admin.sendCommand(() -> "SPUBLISH".getBytes(StandardCharsets.UTF_8), channel, "before"));
      String message = "*3\r\n$8\r\nsmessage\r\n$6\r\nmoving\r\n$6\r\nbefore\r\n";
      assertEquals(message, new String(in.readNBytes(message.length()), StandardCharsets.UTF_8));
      assertEquals("OK", admin.clusterSetSlotNode(slot, target.clusterMyId()));
      // Redis 7.0 tells a shard channel's subscribers when its slot leaves the node.
      String gone = "*3\r\n$12\r\nsunsubscribe\r\n$6\r\nmoving\r\n:0\r\n";
      assertEquals(gone, new String(in.readNBytes(gone.length()), StandardCharsets.UTF_8));
      List<?> counts = (List<?>) admin.sendCommand(() -> "PUBSUB".getBytes(StandardCharsets.UTF_8), "SHARDNUMSUB", channel);
      assertEquals(0L, counts.get(1), "the subscription is gone from the old owner");
    }
  }
}
