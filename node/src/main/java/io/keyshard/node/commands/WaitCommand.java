package io.keyshard.node.commands;

import io.keyshard.node.server.Session;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * WAIT numreplicas timeout, with Redis 7.0's replies (docs/decisions/2026-12-08-wait.md): how
 * many replicas of this node have applied every write this connection sent, waiting up to
 * timeout ms (0: until there are enough, or the connection is gone) for numreplicas of them.
 * Writes are acknowledged once journaled whatever WAIT says; WAIT only counts the replicas'
 * warm copies. Without replicas (standalone) it counts 0. It runs after every earlier request
 * of the connection has its reply (a connection command that does not answer in order).
 */
public final class WaitCommand {
  public static final String ON_REPLICA =
      "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a"
          + " replica is configured to be writable (which is not the default) writes to replicas"
          + " are just local and are not propagated.";

  /** Who counts: none in standalone; the cluster's replicas of this node in cluster mode. */
  public interface Replicas {
    /** This node is a replica now (WAIT is refused there, as in Redis). */
    boolean thisIsAReplica();

    /**
     * Completes with how many replicas have applied every write of s so far, once at least
     * needed have or when waitMs passes (never waits for 0; Long.MAX_VALUE: until s closes).
     */
    CompletionStage<Integer> applied(Session s, long needed, long waitMs);
  }

  /** Standalone: a node without replicas. */
  static final Replicas NONE =
      new Replicas() {
        @Override
        public boolean thisIsAReplica() {
          return false;
        }

        @Override
        public CompletionStage<Integer> applied(Session s, long needed, long waitMs) {
          return CompletableFuture.completedFuture(0);
        }
      };

  private volatile Replicas replicas = NONE;

  /** Cluster mode: the replicas of this node, from the cluster package. */
  public void setReplicas(Replicas replicas) {
    this.replicas = replicas;
  }

  /** A parsed WAIT, or its error. */
  private record Parsed(long needed, long timeoutMs, Reply error) {}

  /** numreplicas first, then the timeout, as Redis parses them (their errors differ). */
  private Parsed parse(byte[][] a) {
    if (replicas.thisIsAReplica()) {
      return new Parsed(0, 0, Err.err(ON_REPLICA));
    }
    Long needed = Args.parseLongOrNull(a[1]);
    if (needed == null) {
      return new Parsed(0, 0, Err.err("value is not an integer or out of range"));
    }
    Long timeout = Args.parseLongOrNull(a[2]);
    if (timeout == null) {
      return new Parsed(0, 0, Err.err("timeout is not an integer or out of range"));
    }
    if (timeout < 0) {
      return new Parsed(0, 0, Err.err("timeout is negative"));
    }
    return new Parsed(needed, timeout, null);
  }

  CompletionStage<Reply> run(Session s, byte[][] a) {
    Parsed p = parse(a);
    if (p.error() != null) {
      return CompletableFuture.completedFuture(p.error());
    }
    if (p.needed() <= 0) {
      // Enough already, whatever the replicas say: the count as it is now.
      return counted(replicas.applied(s, 0, 0));
    }
    if (replicas == NONE && p.timeoutMs() == 0) {
      // Never enough replicas: the reply would never come (Redis's client waits until it closes).
      return new CompletableFuture<>();
    }
    if (replicas == NONE) {
      CompletableFuture<Reply> later = new CompletableFuture<>();
      CompletableFuture.delayedExecutor(p.timeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS)
          .execute(() -> later.complete(Reply.integer(0)));
      return later;
    }
    long waitMs = p.timeoutMs() == 0 ? Long.MAX_VALUE : p.timeoutMs();
    return counted(replicas.applied(s, p.needed(), waitMs));
  }

  /** The count as a reply; if it could not be established, an error rather than a guess. */
  private static CompletionStage<Reply> counted(CompletionStage<Integer> applied) {
    return applied.handle(
        (n, t) -> t == null ? Reply.integer(n) : Err.err("WAIT could not count the replicas: " + rootMessage(t)));
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }

  /** Inside MULTI/EXEC: never blocks, as in Redis; the count as it is now. */
  CompletionStage<Reply> inTransaction(Session s, byte[][] a) {
    Parsed p = parse(a);
    if (p.error() != null) {
      return CompletableFuture.completedFuture(p.error());
    }
    return counted(replicas.applied(s, 0, 0));
  }
}
