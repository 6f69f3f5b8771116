package io.keyshard.node.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a stop that Pekko 1.7.0 would never end when the cluster bus runs over TLS.
 *
 * <p>Artery waits without a bound for every remoting stream to complete before it closes its
 * transport (apache/pekko#3247; bounded only in 2.0.0-M4 by #3317). Over TLS it opens its
 * connections with {@code IgnoreComplete}, so an outbound stream whose own side has ended still
 * waits for the peer to close the connection, and a peer that keeps running does not: the actor
 * system then never terminates (ClusterTlsTest: 4 stops of 54 hung, docs/decisions/
 * 2026-12-06-clean-stop.md). Once the last phase before termination has run (the node has left
 * the cluster, its actors are stopped) and Artery's flush is over, only such connections can be
 * left: their TCP actors are stopped, which closes the sockets and lets termination finish.
 */
public final class TlsTransportStop {
  private static final Logger log = LoggerFactory.getLogger(TlsTransportStop.class);

  private TlsTransportStop() {}

  /**
   * From the start of the last shutdown phase, allows {@code grace} (Artery's flush and the
   * termination of the remaining actors) before the transport's connections are closed.
   */
  public static void install(ActorSystem<?> system, Duration grace) {
    CompletableFuture<Done> terminated = system.getWhenTerminated().toCompletableFuture();
    CoordinatedShutdown.get(system.classicSystem())
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "keyshard-tls-transport-stop",
            () -> {
              Thread watcher =
                  new Thread(
                      () -> closeIfStuck(system, terminated, grace), "keyshard-tls-transport-stop");
              watcher.setDaemon(true);
              watcher.start();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
  }

  private static void closeIfStuck(
      ActorSystem<?> system, CompletableFuture<Done> terminated, Duration grace) {
    try {
      terminated.get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException stuck) {
      log.warn(
          "The cluster bus has not closed its TLS connections {} ms after the node left the"
              + " cluster (apache/pekko#3247): closing them",
          grace.toMillis());
      system
          .classicSystem()
          .actorSelection("/system/IO-TCP/selectors/*/*")
          .tell(PoisonPill.getInstance(), ActorRef.noSender());
    } catch (Exception ended) {
      // Terminated with a failure or interrupted: nothing is left to close.
    }
  }
}
