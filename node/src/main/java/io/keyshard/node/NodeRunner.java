package io.keyshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node and its later incarnations in this JVM (docs/decisions/2026-11-22-failover.md). A Pekko
 * node joins a cluster once, so when the cluster downs this node (it was cut off, or paused too
 * long) a new incarnation starts and rejoins the members it knew; after CLUSTER RESET a new,
 * unjoined incarnation starts (RESET HARD: with a new node id). Closing the runner stops it.
 */
public final class NodeRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeRunner.class);

  private final Config config;
  private final boolean clustered;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private volatile KeyshardNode current;
  private volatile boolean closing;

  private NodeRunner(Config config, KeyshardNode first) {
    this.config = config;
    this.clustered = config.getBoolean("keyshard.cluster.enabled");
    this.current = first;
  }

  public static NodeRunner start(Config config) throws Exception {
    NodeRunner runner = new NodeRunner(config, KeyshardNode.start(config));
    runner.watch(runner.current);
    return runner;
  }

  /** The node's current incarnation. */
  public KeyshardNode current() {
    return current;
  }

  /** Completes when the node stopped for good (closed, or a standalone node's system ended). */
  public CompletableFuture<Void> whenStopped() {
    return stopped;
  }

  private void watch(KeyshardNode node) {
    node.system()
        .getWhenTerminated()
        .thenRun(
            () -> {
              Thread t = new Thread(() -> next(node), "keyshard-next-incarnation");
              t.setDaemon(false);
              t.start();
            });
  }

  private void next(KeyshardNode node) {
    if (closing || !clustered || node.shutdownRequested()) {
      try {
        node.close(); // releases what the stopped system leaves (lease, bindings); idempotent
      } catch (Exception ignored) {
        // stopping anyway
      }
      stopped.complete(null);
      return;
    }
    KeyshardNode.Reset reset = node.resetRequested();
    if (reset == null) {
      log.warn("This node left the cluster (downed): starting a new incarnation that rejoins it");
    } else {
      log.warn("CLUSTER RESET {}: starting a new incarnation outside any cluster", reset.hard() ? "HARD" : "SOFT");
    }
    try {
      node.close();
    } catch (Exception ignored) {
      // Its system is gone already; what remains is released.
    }
    Config again;
    try {
      again = nextConfig(reset);
    } catch (Exception e) {
      log.error("Cannot start a new incarnation", e);
      stopped.complete(null);
      return;
    }
    for (int attempt = 1; !closing; attempt++) {
      try {
        KeyshardNode started = KeyshardNode.start(again);
        current = started;
        if (closing) {
          started.close();
          break;
        }
        watch(started);
        return;
      } catch (Exception e) {
        log.warn("Starting a new incarnation failed (attempt {}): {}", attempt, e.toString());
        try {
          Thread.sleep(Math.min(10_000, 1000L * attempt));
        } catch (InterruptedException interrupted) {
          break;
        }
      }
    }
    stopped.complete(null);
  }

  private Config nextConfig(KeyshardNode.Reset reset) throws Exception {
    if (reset == null) {
      return ConfigFactory.parseMap(Map.of("keyshard.cluster.rejoin", true)).withFallback(config);
    }
    // RESET: forget the members (and, HARD, the node id); wait for CLUSTER MEET.
    Path dir = Path.of(config.getString("keyshard.dir"));
    Files.deleteIfExists(dir.resolve("cluster.seeds"));
    if (reset.hard()) {
      Files.deleteIfExists(dir.resolve("node.id"));
    }
    return ConfigFactory.parseMap(
            Map.of(
                "keyshard.cluster.seeds", List.of(),
                "keyshard.cluster.init", "manual",
                "keyshard.cluster.rejoin", false,
                "keyshard.cluster.replica", false))
        .withFallback(config);
  }

  /** Stops the node for good. */
  @Override
  public void close() throws Exception {
    closing = true;
    try {
      current.close();
    } finally {
      stopped.complete(null);
    }
  }
}
