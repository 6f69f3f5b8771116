package io.keyshard.node.cluster;

import io.keyshard.node.Futures;
import io.keyshard.node.journal.PersistenceIds;
import io.keyshard.node.slot.PendingShares;
import io.keyshard.node.tx.TxLog;
import io.keyshard.persistence.TxEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's {@link PendingShares}: the transaction logs of every node the slot table names
 * (and of every node whose log the journal held when this node started: a node forgotten
 * before). Asks are gathered into rounds, and a round starts only after every ask it answers
 * arrived (a slot's answer is read after its recovery): after a takeover, thousands of slots
 * start together and cost a few rounds. A round reads as little of the journal as it can
 * (docs/decisions/2026-12-07-shares-before-serving.md):
 *
 * <ul>
 *   <li>a running node's log is asked of that node's own log actor, from memory: which
 *       transactions are pending, on which slots; only if one touches a slot of the round is the
 *       log read from the journal (the shares themselves may be larger than a remote message);
 *   <li>a log whose node is not running (downed, gone, forgotten) is read from the journal, and
 *       once it holds nothing pending it is not read again until its node runs again: nothing
 *       else adds to it (its heir only completes).
 * </ul>
 */
public final class LogShares implements PendingShares {
  private static final Logger LOG = LoggerFactory.getLogger(LogShares.class);

  interface Command {}

  private record Find(int slot, CompletableFuture<List<Share>> answer) implements Command {}

  private record Listed(Set<String> logs) implements Command {}

  /** What a round read of one log: the shares found, and whether the log is settled for good. */
  private record LogRead(String log, Map<Integer, List<Share>> bySlot, boolean settled) {}

  private record RoundRead(List<LogRead> reads, Throwable failure) implements Command {}

  private final ActorRef<Command> reader;

  /** A round that took this long is logged. */
  static final long SLOW_ROUND_MS = 500;

  /**
   * How long a running node's log actor has to answer from memory (milliseconds when it can)
   * before its log is read from the journal instead: the receptionist may still list the actor
   * of a node's earlier incarnation, which never answers.
   */
  static final Duration ASK_RUNNING = Duration.ofSeconds(1);

  public LogShares(ActorRef<Command> reader) {
    this.reader = reader;
  }

  @Override
  public CompletionStage<List<Share>> of(int slot) {
    CompletableFuture<List<Share>> answer = new CompletableFuture<>();
    reader.tell(new Find(slot, answer));
    return answer;
  }

  public static Behavior<Command> create(ClusterView view, PersistenceIds ids, Duration timeout) {
    return Behaviors.setup(ctx -> new Rounds(ctx, view, timeout).start(ids));
  }

  private static final class Rounds {
    private final ActorContext<Command> ctx;
    private final ActorSystem<?> system;
    private final ClusterView view;
    private final Duration timeout;
    /** Logs the journal held at this node's start; null until listed. */
    private Set<String> listed;
    /** Logs of nodes that are not running, found with nothing pending: not read again. */
    private final Set<String> settled = new HashSet<>();
    /** Asks the round in flight answers, and those that wait for the next one. */
    private List<Find> current = new ArrayList<>();
    private List<Find> next = new ArrayList<>();
    private boolean reading;
    private long roundStarted;
    private final AtomicLong readers = new AtomicLong();

    Rounds(ActorContext<Command> ctx, ClusterView view, Duration timeout) {
      this.ctx = ctx;
      this.system = ctx.getSystem();
      this.view = view;
      this.timeout = timeout;
    }

    Behavior<Command> start(PersistenceIds ids) {
      ctx.pipeToSelf(
          ids.current(),
          (all, t) -> {
            Set<String> logs = new TreeSet<>();
            if (t != null) {
              // The table's nodes are still read; a log of a node forgotten earlier is left to
              // the heir (cluster/OrphanedLogs), which lists the journal again.
              LOG.warn("Listing the journal's transaction logs failed: {}", t.toString());
            } else {
              for (String id : all) {
                if (TxLog.nodeOf(id) != null) {
                  logs.add(id);
                }
              }
            }
            return new Listed(logs);
          });
      return Behaviors.receive(Command.class)
          .onMessage(Listed.class, this::listed)
          .onMessage(Find.class, this::find)
          .onMessage(RoundRead.class, this::roundRead)
          .build();
    }

    private Behavior<Command> listed(Listed l) {
      listed = l.logs();
      if (!next.isEmpty()) {
        startRound();
      }
      return Behaviors.same();
    }

    private Behavior<Command> find(Find f) {
      next.add(f);
      if (!reading && listed != null) {
        startRound();
      }
      return Behaviors.same();
    }

    private void startRound() {
      current = next;
      next = new ArrayList<>();
      reading = true;
      roundStarted = System.nanoTime();
      Set<Integer> wanted = new HashSet<>();
      current.forEach(f -> wanted.add(f.slot()));
      Map<String, ClusterView.Node> running = new HashMap<>();
      Set<String> members = new HashSet<>();
      Set<String> logs = new TreeSet<>(listed);
      Set<String> addresses = memberAddresses();
      for (ClusterView.Node n : view.table().nodes()) {
        String log = TxLog.persistenceId(n.id()).id();
        logs.add(log);
        if (addresses.contains(n.host() + ":" + n.busPort())) {
          members.add(log);
          if (OwnerShares.reachable(system, n)) {
            running.put(log, n);
          }
        }
      }
      // A member may write its log again: read afresh if it goes.
      settled.removeAll(members);
      List<CompletableFuture<LogRead>> reads = new ArrayList<>();
      for (String log : logs) {
        ClusterView.Node node = running.get(log);
        if (node != null) {
          reads.add(askRunning(node, log, wanted).toCompletableFuture());
        } else if (!settled.contains(log)) {
          // Only a log whose node is no member at all (downed, removed, forgotten) stays as it
          // is: an unreachable member may still be committing.
          reads.add(readJournal(log, !members.contains(log)).toCompletableFuture());
        }
      }
      ctx.pipeToSelf(
          CompletableFuture.allOf(reads.toArray(new CompletableFuture[0])),
          (v, t) -> {
            if (t != null) {
              return new RoundRead(null, t);
            }
            List<LogRead> out = new ArrayList<>(reads.size());
            reads.forEach(r -> out.add(r.join()));
            return new RoundRead(out, null);
          });
    }

    /** Addresses (host:port) of the cluster's members that are not downed or removed. */
    private Set<String> memberAddresses() {
      Set<String> out = new HashSet<>();
      for (Member m : Cluster.get(system).state().getMembers()) {
        if (m.status() != MemberStatus.down() && m.status() != MemberStatus.removed()) {
          out.add(m.address().host().get() + ":" + m.address().port().get());
        }
      }
      return out;
    }

    /**
     * A running node's log, from its memory; read from the journal only if a pending
     * transaction touches a slot of this round (or the node does not answer).
     */
    private CompletionStage<LogRead> askRunning(ClusterView.Node node, String log, Set<Integer> wanted) {
      return Futures.plain(
              AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
                  system.receptionist(),
                  r -> Receptionist.find(TxLog.serviceKey(node.id()), r),
                  ASK_RUNNING,
                  system.scheduler()))
          .thenCompose(
              listing -> {
                var found = listing.getServiceInstances(TxLog.serviceKey(node.id()));
                if (found.isEmpty()) {
                  throw new IllegalStateException("no transaction log actor on node " + node.id() + " yet");
                }
                return Futures.plain(
                    AskPattern.<TxLog.Command, TxLog.PendingSlots>ask(
                        found.iterator().next(), TxLog.GetPendingSlots::new, ASK_RUNNING, system.scheduler()));
              })
          .thenCompose(
              pending -> {
                for (TxLog.PendingTx p : pending.pending()) {
                  for (int slot : p.slots()) {
                    if (wanted.contains(slot)) {
                      return readJournal(log, false);
                    }
                  }
                }
                return CompletableFuture.completedFuture(new LogRead(log, Map.of(), false));
              })
          .exceptionallyCompose(
              t -> {
                LOG.info("Node {} did not say what its transaction log holds ({}): read from the journal", node.id(), t.toString());
                return readJournal(log, false);
              });
    }

    /** A log's pending shares from the journal; {@code settles}: settled if it has none. */
    private CompletionStage<LogRead> readJournal(String log, boolean settles) {
      ActorRef<TxLog.Command> r =
          system.systemActorOf(TxLog.reader(log), "pending-shares-reader-" + readers.incrementAndGet(), Props.empty());
      return Futures.plain(
              AskPattern.<TxLog.Command, TxLog.Pending>ask(r, TxLog.GetPending::new, timeout, system.scheduler()))
          .whenComplete((p, t) -> r.tell(TxLog.Stop.INSTANCE))
          .thenApply(p -> new LogRead(log, shares(log, p.pending()), settles && p.pending().isEmpty()));
    }

    private static Map<Integer, List<Share>> shares(String log, List<TxEvent.TxPrepared> pending) {
      if (pending.isEmpty()) {
        return Map.of();
      }
      // Every id of the log below its oldest pending transaction is completed.
      long completedBelow = pending.stream().mapToLong(TxEvent.TxPrepared::txId).min().getAsLong();
      Map<Integer, List<Share>> bySlot = new HashMap<>();
      for (TxEvent.TxPrepared p : pending) {
        for (TxEvent.SlotShare s : p.shares()) {
          bySlot
              .computeIfAbsent(s.slot(), k -> new ArrayList<>())
              .add(new Share(log, p.log() != null, p.txId(), completedBelow, s.events()));
        }
      }
      return bySlot;
    }

    private Behavior<Command> roundRead(RoundRead r) {
      long ms = (System.nanoTime() - roundStarted) / 1_000_000;
      if (ms >= SLOW_ROUND_MS) {
        // Slots that start now wait for this read before they serve: worth knowing.
        LOG.info("Reading the transaction logs for {} starting slot(s) took {} ms", current.size(), ms);
      }
      Map<Integer, List<Share>> bySlot = new HashMap<>();
      if (r.failure() == null) {
        for (LogRead read : r.reads()) {
          if (read.settled()) {
            settled.add(read.log());
          }
          read.bySlot().forEach((slot, shares) -> bySlot.computeIfAbsent(slot, k -> new ArrayList<>()).addAll(shares));
        }
      }
      for (Find f : current) {
        if (r.failure() != null) {
          f.answer().completeExceptionally(r.failure());
        } else {
          f.answer().complete(bySlot.getOrDefault(f.slot(), List.of()));
        }
      }
      current = List.of();
      reading = false;
      if (!next.isEmpty()) {
        startRound();
      }
      return Behaviors.same();
    }
  }
}
