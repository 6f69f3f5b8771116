package io.keyshard.node.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Ports for in-process cluster-mode nodes. */
public final class ClusterPorts {
  private ClusterPorts() {}

  /** Ports handed out in this JVM: a node started later in a test must not get one again. */
  private static final java.util.Set<Integer> GIVEN = new java.util.HashSet<>();

  /**
   * A port whose cluster bus port (+10000) is free too, both below Linux's ephemeral range
   * (32768 and up): an outgoing connection of any process may take a port there between this
   * check and the node's bind (seen in CI). Ports come from [10000, 20000), so their bus ports,
   * [20000, 30000), are never another node's port (a 5-node cluster once got a port that was
   * another of its nodes' bus port), and no port is handed out twice in one JVM (each check
   * closes its socket, so two calls before the nodes bind could otherwise agree). Test JVMs run
   * two at a time (the module's surefire forks): each takes its ports from its own half.
   */
  public static synchronized int next() throws Exception {
    int fork = Integer.getInteger("keyshard.test.fork", 1);
    int base = 10000 + Math.floorMod(fork - 1, 2) * 5000;
    while (true) {
      int p = base + ThreadLocalRandom.current().nextInt(5000);
      if (GIVEN.contains(p)) {
        continue;
      }
      try (ServerSocket a = new ServerSocket(p);
          ServerSocket b = new ServerSocket(p + 10000)) {
        GIVEN.add(p);
        return p;
      } catch (java.io.IOException busy) {
        // try another
      }
    }
  }
}
