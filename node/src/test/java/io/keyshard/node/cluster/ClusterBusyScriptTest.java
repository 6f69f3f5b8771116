package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * A CPU-bound script of 10 s on one node of a 3-node cluster: it runs on the node's script
 * thread, never on Pekko's dispatchers, so heartbeats go on and the failure detector never takes
 * the node for dead. The other nodes never list it as failed, and afterwards it still owns its
 * slots and takes writes.
 */
@Timeout(240)
@Tag("alone") // judges the failure detector under a busy core: not beside another test JVM
class ClusterBusyScriptTest {
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(3);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aTenSecondScriptDoesNotGetItsNodeDowned() throws Exception {
    int busy = cluster.node(0).port();
    String before = nodes(cluster.node(1).port());
    String id = myId(busy);
    int owned = slotsOf(before, id);
    assertTrue(owned > 0, "node 0 owns slots: " + before);
    // Lua loops between TIME calls: nearly all of the 10 s is Lua on the script thread.
    String script =
        "local t = redis.call('time') local stop = t[1] * 1000000 + t[2] + 10000000 "
            + "while true do for i = 1, 200000 do end "
            + "local n = redis.call('time') if n[1] * 1000000 + n[2] > stop then break end end return 1";
    long t0 = System.nanoTime();
    CompletableFuture<Object> run =
        CompletableFuture.supplyAsync(
            () -> {
              try (Jedis j = new Jedis("127.0.0.1", busy, 60_000)) {
                return j.eval(script, 0);
              }
            });
    List<String> failed = new ArrayList<>();
    int looks = 0;
    while (!run.isDone()) {
      for (int other : new int[] {cluster.node(1).port(), cluster.node(2).port()}) {
        String view = nodes(other);
        looks++;
        for (String line : view.split("\n")) {
          if (line.startsWith(id) && line.contains("fail")) {
            failed.add(other + ": " + line);
          }
        }
      }
      Thread.sleep(250);
    }
    assertEquals(1L, run.get(1, TimeUnit.SECONDS), "the script ran to its end");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms >= 9_900, "the script ran its 10 s (by the node's TIME): " + ms + " ms");
    assertTrue(looks >= 2, "the cluster was looked at while the script ran: " + looks);
    System.out.println("a " + ms + " ms script on node 0; the two others looked " + looks + " times, never failed");
    assertEquals(List.of(), failed, "no node saw the busy node as failed");
    String after = nodes(cluster.node(2).port());
    assertEquals(owned, slotsOf(after, id), "the busy node kept its slots: " + after);
    try (Jedis j = new Jedis("127.0.0.1", busy, 30_000)) {
      String key = keyOwnedBy(j, id);
      assertEquals("OK", j.set(key, "after"));
      assertEquals("after", j.get(key));
    }
  }

  private static String nodes(int port) {
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      return j.clusterNodes();
    }
  }

  private static String myId(int port) {
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      return j.clusterMyId();
    }
  }

  /** How many slots CLUSTER NODES output {@code nodes} gives node {@code id}. */
  private static int slotsOf(String nodes, String id) {
    return (int) slotStream(nodes, id).count();
  }

  /** A key of a slot that node {@code id} owns. */
  private static String keyOwnedBy(Jedis j, String id) {
    java.util.Set<Integer> owned = new java.util.HashSet<>();
    slotStream(j.clusterNodes(), id).forEach(owned::add);
    for (int i = 0; ; i++) {
      String key = "busy:" + i;
      if (owned.contains((int) j.clusterKeySlot(key))) {
        return key;
      }
    }
  }

  /** The slots node {@code id}'s line of CLUSTER NODES output lists (ranges and single slots). */
  private static java.util.stream.Stream<Integer> slotStream(String nodes, String id) {
    return java.util.Arrays.stream(nodes.split("\n"))
        .filter(line -> line.startsWith(id))
        .flatMap(line -> java.util.Arrays.stream(line.trim().split(" ")).skip(8))
        .filter(f -> !f.startsWith("["))
        .flatMap(
            f -> {
              String[] range = f.split("-");
              int from = Integer.parseInt(range[0]);
              int to = range.length == 1 ? from : Integer.parseInt(range[1]);
              return java.util.stream.IntStream.rangeClosed(from, to).boxed();
            });
  }
}
