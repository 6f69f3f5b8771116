package io.keyshard.node.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Ports for in-process cluster-mode nodes. */
public final class ClusterPorts {
  private ClusterPorts() {}

  /**
   * A port whose cluster bus port (+10000) is free too, both below Linux's ephemeral range
   * (32768 and up): an outgoing connection of any process may take a port there between this
   * check and the node's bind (seen in CI).
   */
  public static int next() throws Exception {
    while (true) {
      int p = 10000 + ThreadLocalRandom.current().nextInt(12000);
      try (ServerSocket a = new ServerSocket(p);
          ServerSocket b = new ServerSocket(p + 10000)) {
        return p;
      } catch (IOException busy) {
        // try another
      }
    }
  }
}
