package io.keyshard.node.cluster;

import io.keyshard.node.Futures;
import io.keyshard.node.journal.PersistenceIds;
import io.keyshard.node.slot.PendingShares;
import io.keyshard.node.tx.TxLog;
import io.keyshard.persistence.TxEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's {@link PendingShares}: the transaction logs of every node the slot table names
 * (and of every node whose log the journal held when this node started: a node forgotten
 * before), read from the shared journal. Asks are gathered into rounds, one read of each log per
 * round, and a round starts only after every ask it answers arrived (a slot's answer is read
 * after its recovery): after a takeover, thousands of slots start together and cost a few
 * rounds (docs/decisions/2026-12-07-shares-before-serving.md).
 */
public final class LogShares implements PendingShares {
  private static final Logger LOG = LoggerFactory.getLogger(LogShares.class);

  interface Command {}

  private record Find(int slot, CompletableFuture<List<Share>> answer) implements Command {}

  private record Listed(Set<String> logs) implements Command {}

  private record RoundRead(Map<Integer, List<Share>> bySlot, Throwable failure) implements Command {}

  private final ActorRef<Command> reader;

  /** A round that took this long is logged. */
  static final long SLOW_ROUND_MS = 500;

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
    private final ClusterView view;
    private final Duration timeout;
    /** Logs the journal held at this node's start; null until listed. */
    private Set<String> listed;
    /** Asks the round in flight answers, and those that wait for the next one. */
    private List<Find> current = new ArrayList<>();
    private List<Find> next = new ArrayList<>();
    private boolean reading;
    private long roundStarted;

    Rounds(ActorContext<Command> ctx, ClusterView view, Duration timeout) {
      this.ctx = ctx;
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
      Set<String> logs = new TreeSet<>(listed);
      for (ClusterView.Node n : view.table().nodes()) {
        logs.add(TxLog.persistenceId(n.id()).id());
      }
      List<CompletableFuture<Map.Entry<String, TxLog.Pending>>> reads = new ArrayList<>();
      for (String log : logs) {
        ActorRef<TxLog.Command> r = ctx.spawnAnonymous(TxLog.reader(log));
        reads.add(
            Futures.plain(
                    AskPattern.<TxLog.Command, TxLog.Pending>ask(
                        r, TxLog.GetPending::new, timeout, ctx.getSystem().scheduler()))
                .whenComplete((p, t) -> r.tell(TxLog.Stop.INSTANCE))
                .thenApply(p -> Map.entry(log, p))
                .toCompletableFuture());
      }
      ctx.pipeToSelf(
          CompletableFuture.allOf(reads.toArray(new CompletableFuture[0])),
          (v, t) -> t != null ? new RoundRead(null, t) : new RoundRead(bySlot(reads), null));
    }

    private static Map<Integer, List<Share>> bySlot(List<CompletableFuture<Map.Entry<String, TxLog.Pending>>> reads) {
      Map<Integer, List<Share>> bySlot = new HashMap<>();
      for (CompletableFuture<Map.Entry<String, TxLog.Pending>> read : reads) {
        String log = read.join().getKey();
        List<TxEvent.TxPrepared> pending = read.join().getValue().pending();
        if (pending.isEmpty()) {
          continue;
        }
        // Every id of the log below its oldest pending transaction is completed.
        long completedBelow = pending.stream().mapToLong(TxEvent.TxPrepared::txId).min().getAsLong();
        for (TxEvent.TxPrepared p : pending) {
          for (TxEvent.SlotShare s : p.shares()) {
            bySlot
                .computeIfAbsent(s.slot(), k -> new ArrayList<>())
                .add(new Share(log, p.log() != null, p.txId(), completedBelow, s.events()));
          }
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
      for (Find f : current) {
        if (r.failure() != null) {
          f.answer().completeExceptionally(r.failure());
        } else {
          f.answer().complete(r.bySlot().getOrDefault(f.slot(), List.of()));
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
