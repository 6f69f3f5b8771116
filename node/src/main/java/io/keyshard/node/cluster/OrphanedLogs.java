package io.keyshard.node.cluster;

import io.keyshard.node.Futures;
import io.keyshard.node.journal.PersistenceIds;
import io.keyshard.node.tx.ShareRouter;
import io.keyshard.node.tx.TxLog;
import io.keyshard.persistence.TxEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Completes the transactions of nodes that are gone. A committed transaction is completed by
 * its node (at once, or by its recovery at the next start); a node killed and never started
 * again would leave its committed transactions half applied for ever, so this cluster
 * singleton (one at a time, on the oldest member, beside the slot table) looks at the
 * transaction log of every node that is not a member now: it claims the log (from then on the
 * old writer's writes fail), applies each pending share through its slot's current owner
 * ({@link ShareRouter}, so each slot keeps one writer), in log order, and records each
 * transaction completed in that log. A transaction that was never committed left nothing to
 * undo: its tentative events lived only in the dead node's own slot incarnations, and the new
 * owners recover those slots from the journal (docs/decisions/2026-12-06-fencing-every-write.md).
 */
public final class OrphanedLogs {
  private static final Logger LOG = LoggerFactory.getLogger(OrphanedLogs.class);

  private OrphanedLogs() {}

  /** Its own timer and answers only: nothing else sends it anything. */
  public interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** The logs a round looks at (the journal's list, or the known ones). */
  private record Listed(List<String> logs) implements Command {}

  /** A round ended: the logs found settled (nothing pending, their node gone). */
  private record RoundDone(Set<String> settled, Set<String> known) implements Command {}

  private record StopLog(ActorRef<TxLog.Command> log) implements Command {}

  /** How often the singleton looks for logs of nodes that are gone. */
  static final Duration INTERVAL = Duration.ofSeconds(2);

  /** How long one log may take in a round before the round moves on (it is tried again). */
  static final Duration PER_LOG = Duration.ofSeconds(60);

  public static Behavior<Command> create(
      String selfId, ClusterView view, ShareRouter shares, PersistenceIds ids, Duration timeout) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, INTERVAL);
                  return new Rounds(ctx, selfId, view, shares, ids, timeout).idle();
                }));
  }

  private static final class Rounds {
    private final ActorContext<Command> ctx;
    private final ActorSystem<?> system;
    private final ActorRef<Command> self;
    private final ClusterView view;
    private final ShareRouter shares;
    private final PersistenceIds ids;
    private final Duration timeout;
    /** This singleton incarnation's name in the claims it writes. */
    private final String writer;
    /** Logs whose node was gone and which held nothing pending when last looked at. */
    private final Set<String> settled = new HashSet<>();
    /** Logs known from the journal's list (read once per incarnation) and from the table. */
    private final Set<String> known = new HashSet<>();
    private boolean listed;

    Rounds(
        ActorContext<Command> ctx,
        String selfId,
        ClusterView view,
        ShareRouter shares,
        PersistenceIds ids,
        Duration timeout) {
      this.ctx = ctx;
      this.system = ctx.getSystem();
      this.self = ctx.getSelf();
      this.view = view;
      this.shares = shares;
      this.ids = ids;
      this.timeout = timeout;
      this.writer = selfId + "/heir/" + UUID.randomUUID();
    }

    Behavior<Command> idle() {
      return Behaviors.receive(Command.class)
          .onMessage(Tick.class, t -> startRound())
          .onMessage(StopLog.class, this::stopLog)
          .onMessage(RoundDone.class, d -> Behaviors.same())
          .build();
    }

    private Behavior<Command> running() {
      return Behaviors.receive(Command.class)
          .onMessage(Tick.class, t -> Behaviors.same())
          .onMessage(StopLog.class, this::stopLog)
          .onMessage(Listed.class, this::completeOrphans)
          .onMessage(
              RoundDone.class,
              d -> {
                settled.addAll(d.settled());
                known.addAll(d.known());
                listed = true;
                return idle();
              })
          .build();
    }

    private Behavior<Command> stopLog(StopLog s) {
      ctx.stop(s.log());
      return Behaviors.same();
    }

    private Behavior<Command> startRound() {
      if (view.table().nodes().isEmpty()) {
        return Behaviors.same(); // no table yet: every node would look gone
      }
      Set<String> candidates = new HashSet<>(known);
      for (ClusterView.Node n : view.table().nodes()) {
        candidates.add(TxLog.persistenceId(n.id()).id());
      }
      // The journal's list once per incarnation of this singleton (a node forgotten before it
      // started is in no table); afterwards the table's nodes and what was seen are enough.
      CompletionStage<List<String>> all =
          listed ? CompletableFuture.completedFuture(List.copyOf(candidates)) : ids.current();
      ctx.pipeToSelf(
          all,
          (list, t) -> {
            if (t != null) {
              LOG.warn("Listing the journal's transaction logs failed: {}", t.toString());
              return new RoundDone(Set.of(), Set.of());
            }
            return new Listed(list);
          });
      return running();
    }

    private Behavior<Command> completeOrphans(Listed listed) {
      Set<String> live = liveNodes();
      // A log whose node is a member again is its node's: looked at afresh if it goes again.
      settled.removeIf(log -> live.contains(TxLog.nodeOf(log)));
      Set<String> seen = new HashSet<>();
      CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
      Set<String> nowSettled = ConcurrentHashMap.newKeySet();
      for (String log : listed.logs()) {
        String node = TxLog.nodeOf(log);
        if (node == null) {
          continue;
        }
        seen.add(log);
        if (live.contains(node) || settled.contains(log)) {
          continue;
        }
        // Spawned here, on the actor's thread; each log's work runs after the one before.
        ActorRef<TxLog.Command> heir = ctx.spawnAnonymous(TxLog.heir(log, writer));
        chain =
            chain.thenCompose(
                v ->
                    completeLog(log, heir)
                        .handle(
                            (empty, t) -> {
                              self.tell(new StopLog(heir));
                              if (t != null) {
                                LOG.warn("Transactions of {} not completed yet, tried again later: {}", log, t.toString());
                              } else if (empty) {
                                nowSettled.add(log);
                              }
                              return null;
                            }));
      }
      ctx.pipeToSelf(chain, (v, t) -> new RoundDone(nowSettled, seen));
      return Behaviors.same();
    }

    /**
     * Completes every pending transaction of {@code log}, in log order; true if it had none
     * (nothing was written, not even a claim).
     */
    private CompletionStage<Boolean> completeLog(String log, ActorRef<TxLog.Command> heir) {
      long deadline = System.nanoTime() + PER_LOG.toNanos();
      return Futures.plain(
              AskPattern.<TxLog.Command, TxLog.Pending>ask(
                  heir, TxLog.GetPending::new, timeout, system.scheduler()))
          .thenCompose(
              pending -> {
                if (pending.pending().isEmpty()) {
                  return CompletableFuture.completedFuture(true);
                }
                LOG.warn(
                    "Node {} is gone with {} committed transactions not completed: completing them",
                    TxLog.nodeOf(log), pending.pending().size());
                CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
                for (TxEvent.TxPrepared p : pending.pending()) {
                  // In log order, each once all before it are completed: the slots may forget
                  // this log's ids below it.
                  chain =
                      chain
                          .thenCompose(v -> applyAll(log, p, deadline))
                          .thenCompose(
                              v ->
                                  Futures.plain(
                                      AskPattern.<TxLog.Command, Done>ask(
                                          heir,
                                          r -> new TxLog.Complete(p.txId(), r),
                                          timeout,
                                          system.scheduler())))
                          .thenApply(d -> (Void) null);
                }
                return chain.thenApply(
                    v -> {
                      LOG.info(
                          "Completed the {} pending transactions of gone node {}", pending.pending().size(), TxLog.nodeOf(log));
                      return false;
                    });
              });
    }

    private CompletionStage<Void> applyAll(String log, TxEvent.TxPrepared p, long deadline) {
      List<CompletableFuture<Done>> applies = new ArrayList<>();
      for (TxEvent.SlotShare share : p.shares()) {
        applies.add(
            applyWithRetry(share.slot(), log, p.log() != null, p.txId(), share.events(), deadline)
                .toCompletableFuture());
      }
      return CompletableFuture.allOf(applies.toArray(new CompletableFuture[0]));
    }

    /** Retried until the slot's owner applied it (its owner may not be named yet). */
    private CompletionStage<Done> applyWithRetry(
        int slot, String log, boolean named, long txId, List<TxEvent.Nested> events, long deadline) {
      return shares
          .apply(slot, log, named, txId, txId, events)
          .exceptionallyCompose(
              t -> {
                if (System.nanoTime() > deadline) {
                  return CompletableFuture.failedFuture(t);
                }
                return CompletableFuture.supplyAsync(
                        () -> null, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS, Runnable::run))
                    .thenCompose(x -> applyWithRetry(slot, log, named, txId, events, deadline));
              });
    }

    /**
     * The table's nodes that are members now (not downed, not removed): their logs are theirs.
     * A node that is unreachable but not downed yet counts as a member.
     */
    private Set<String> liveNodes() {
      Set<String> addresses = new HashSet<>();
      for (Member m : Cluster.get(system).state().getMembers()) {
        if (m.status() != MemberStatus.down() && m.status() != MemberStatus.removed()) {
          addresses.add(m.address().host().get() + ":" + m.address().port().get());
        }
      }
      Set<String> live = new HashSet<>();
      for (ClusterView.Node n : view.table().nodes()) {
        if (addresses.contains(n.host() + ":" + n.busPort())) {
          live.add(n.id());
        }
      }
      live.add(view.myId());
      return live;
    }
  }
}
