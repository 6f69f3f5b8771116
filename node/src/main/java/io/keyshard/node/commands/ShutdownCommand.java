package io.keyshard.node.commands;

import io.keyshard.node.cluster.ClusterMembership;
import io.keyshard.node.server.Router;
import io.keyshard.node.server.Session;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Every write is already in the journal, so there
 * is nothing to save. In a cluster the node first hands its slots off (to its replica, or evenly
 * to the other primaries), unless NOW; if that fails, Redis's error, unless FORCE. Then, as
 * Redis, the connection closes without a reply and the node stops (it leaves the cluster
 * cleanly).
 */
public final class ShutdownCommand {
  private static final Logger log = LoggerFactory.getLogger(ShutdownCommand.class);

  /** How long the hand-off may take before the node stops anyway. */
  private static final Duration DRAIN_LIMIT = Duration.ofSeconds(15);

  private ShutdownCommand() {}

  private record Options(boolean now, boolean force, boolean abort) {}

  /**
   * @param membership null standalone (nothing to hand off)
   * @param shutdown set once this node stops for good (no further incarnation, see NodeRunner)
   */
  public static CompletionStage<Reply> shutdownCommand(
      ActorSystem<?> system,
      ClusterMembership membership,
      Router router,
      AtomicBoolean shutdown,
      Session s,
      byte[][] argv) {
    Options o = parse(argv);
    if (o == null) {
      return CompletableFuture.completedFuture(Err.SYNTAX);
    }
    if (o.abort()) {
      return CompletableFuture.completedFuture(Err.err("No shutdown in progress."));
    }
    boolean drain = membership != null && !o.now();
    return CompletableFuture.supplyAsync(
        () -> {
          if (drain) {
            try {
              drain(membership, router);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
              log.warn("SHUTDOWN: handing the slots off failed: {}", e.getMessage());
              if (!o.force()) {
                return Err.err("Errors trying to SHUTDOWN. Check logs.");
              }
            }
          }
          log.info("SHUTDOWN: stopping");
          shutdown.set(true);
          s.kill(); // as Redis: no reply, the connection closes
          CoordinatedShutdown.get(system.classicSystem())
              .run(CoordinatedShutdown.clusterLeavingReason());
          return Reply.OK;
        });
  }

  /** The options, or null for a syntax error (two save flags, an unknown word, ABORT with more). */
  private static Options parse(byte[][] argv) {
    boolean now = false;
    boolean force = false;
    boolean abort = false;
    int saveFlags = 0;
    for (int i = 1; i < argv.length; i++) {
      String a = new String(argv[i], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
      switch (a) {
        case "nosave", "save" -> saveFlags++;
        case "now" -> now = true;
        case "force" -> force = true;
        case "abort" -> abort = true;
        default -> saveFlags = 99;
      }
    }
    if (saveFlags > 1 || (abort && argv.length > 2)) {
      return null;
    }
    return new Options(now, force, abort);
  }

  /** Hands this node's slots off; throws if the table refuses. */
  private static void drain(ClusterMembership membership, Router router) throws InterruptedException {
    membership.drain();
    // Stop only once the new owners took over: this node's table names none of the slots, and
    // requests parked during the hand-off went on (to MOVED).
    long until = System.nanoTime() + DRAIN_LIMIT.toNanos();
    while (System.nanoTime() < until
        && (!membership.view().table().ranges(membership.view().myId()).isEmpty()
            || IntStream.range(0, 16384).anyMatch(router::isMoving))) {
      Thread.sleep(50);
    }
  }
}
