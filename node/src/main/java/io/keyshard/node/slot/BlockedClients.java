package io.keyshard.node.slot;

import io.keyshard.node.slot.GroupCommit.Pending;
import io.keyshard.node.slot.SlotEntity.Block;
import io.keyshard.node.slot.SlotEntity.Unblock;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.Reply;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Clients blocked on this slot's keys (docs/decisions/2026-11-22-blocking-commands.md), by key,
 * first come first served. A write that makes a key ready serves its waiters in the same actor
 * turn; their pops join the write's group-commit batch, after it, and they get their replies once
 * the batch is in the journal.
 */
final class BlockedClients {
  private final EffectFactories<SlotEvent, SlotState> effects;
  private final CommandRunner runner;
  private final GroupCommit groupCommit;
  private final Eviction eviction;

  private final Map<DbKey, ArrayDeque<Waiter>> waiting = new HashMap<>();

  BlockedClients(
      EffectFactories<SlotEvent, SlotState> effects,
      CommandRunner runner,
      GroupCommit groupCommit,
      Eviction eviction) {
    this.effects = effects;
    this.runner = runner;
    this.groupCommit = groupCommit;
    this.eviction = eviction;
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  /**
   * Answers a write (its events already applied), and first serves the clients blocked on keys it
   * made ready: nothing else runs here in between, and their pops join the same batch, after it.
   */
  ReplyEffect<SlotEvent, SlotState> answerServing(
      SlotState state, List<SlotEvent> written, List<Pending> replies) {
    if (waiting.isEmpty() || written.isEmpty()) {
      return groupCommit.answer(written, replies);
    }
    List<SlotEvent> events = new ArrayList<>(written);
    List<Pending> all = new ArrayList<>(replies);
    serve(state, written, events, all);
    return groupCommit.answer(events, all);
  }

  ReplyEffect<SlotEvent, SlotState> block(SlotState state, Block c) {
    Waiter w = c.waiter();
    if (w.isDone()) {
      return effects.reply(c.replyTo(), true);
    }
    long now = System.currentTimeMillis();
    w.queued(state, c.keys());
    boolean anyReady = false;
    for (byte[] key : c.keys()) {
      // A stream read's own body decides (a group reader whose key went is answered at once).
      anyReady |= w.othersMayFind() || ready(state, w, w.db(), Bytes.wrap(key), now);
    }
    if (anyReady && w.claim()) {
      if (w.retry()) {
        w.complete(Waiter.RETRY);
        return effects.reply(c.replyTo(), true);
      }
      // Data came between the router's first try and this: serve it as that try would have.
      CommandRunner.Outcome served = runner.run(state, w.name(), w.db(), w.argvFor(c.keys()), true, now);
      Reply reply = served.reply();
      if (!Waiter.isNothing(reply)) {
        eviction.publishMemory(state);
        return answerServing(
            state,
            served.events(),
            List.of(
                new Pending(() -> w.complete(reply), w::complete)
                    .after(runner.notifications().publishing(served.notices(), w.client())),
                Pending.internal(() -> c.replyTo().tell(true))));
      }
      w.release();
      if (w.isDone()) {
        return effects.reply(c.replyTo(), true);
      }
    }
    for (byte[] key : c.keys()) {
      waiting.computeIfAbsent(new DbKey(w.db(), Bytes.wrap(key)), k -> new ArrayDeque<>()).add(w);
    }
    return effects.reply(c.replyTo(), false);
  }

  ReplyEffect<SlotEvent, SlotState> unblock(Unblock c) {
    waiting.values().removeIf(q -> q.removeIf(w -> w == c.waiter()) && q.isEmpty());
    return effects.noReply();
  }

  /** Hand-off: every waiter still here is answered {@code redirect} and forgotten. */
  /**
   * The incarnation stops (slot/Retirement): every client still blocked here runs its command
   * again through the router, which blocks it in the slot's next incarnation or redirects it.
   */
  void retryAll() {
    redirectAll(Waiter.RETRY);
  }

  void redirectAll(Reply redirect) {
    for (ArrayDeque<Waiter> queue : waiting.values()) {
      for (Waiter w : queue) {
        if (w.claim()) {
          w.complete(redirect);
        }
      }
    }
    waiting.clear();
  }

  /** Whether the key holds data of the type the waiter pops. */
  private static boolean ready(SlotState state, Waiter w, int db, Bytes key, long now) {
    Keyspace ks = state.db(db);
    Keyspace.Entry e = ks == null ? null : ks.get(key);
    return e != null && !e.isExpired(now) && e.value.typeName().equals(w.wants());
  }

  /**
   * Serves the clients blocked on keys that {@code trigger} (already applied) touched, in the
   * order the keys became ready and, per key, in the order the clients blocked, as Redis does
   * after each command. A pop that pushes elsewhere (BLMOVE) makes its destination ready too.
   * Appends the pops' events (already applied) to {@code events} and their completions to
   * {@code replies}; both must wait for the journal.
   */
  void serve(SlotState state, List<SlotEvent> trigger, List<SlotEvent> events, List<Pending> replies) {
    LinkedHashSet<DbKey> ready = new LinkedHashSet<>();
    Consumer<List<SlotEvent>> collect =
        evs -> {
          for (SlotEvent e : evs) {
            if (e instanceof SlotEvent.DbFlushed f) {
              // Applied already, so it names no keys any more: every waiting key of its
              // databases was touched (stream group readers are told their key went).
              for (DbKey wk : waiting.keySet()) {
                if (f.db() == -1 || f.db() == wk.db()) {
                  ready.add(wk);
                }
              }
              continue;
            }
            state.forEachTouchedKey(
                e,
                (db, k) -> {
                  DbKey wk = new DbKey(db, k);
                  if (waiting.containsKey(wk)) {
                    ready.add(wk);
                  }
                });
          }
        };
    collect.accept(trigger);
    long now = System.currentTimeMillis();
    while (!ready.isEmpty()) {
      DbKey wk = ready.iterator().next();
      ready.remove(wk);
      ArrayDeque<Waiter> queue = waiting.get(wk);
      if (queue == null) {
        continue;
      }
      Iterator<Waiter> it = queue.iterator();
      while (it.hasNext()) {
        Waiter w = it.next();
        if (w.isDone()) {
          it.remove();
          continue;
        }
        if (!w.othersMayFind() && !ready(state, w, wk.db(), wk.key(), now)) {
          break;
        }
        if (!w.claim()) {
          continue; // being served by another slot, or ending
        }
        if (w.retry()) {
          // It cannot be served here (BLMOVE to another slot): the router runs it again.
          it.remove();
          replies.add(Pending.internal(() -> w.complete(Waiter.RETRY)));
          continue;
        }
        CommandRunner.Outcome served =
            runner.run(state, w.name(), wk.db(), w.argvFor(List.of(wk.key().array())), true, now);
        Reply reply = served.reply();
        if (Waiter.isNothing(reply)) {
          w.release();
          if (w.othersMayFind()) {
            continue;
          }
          break;
        }
        it.remove();
        events.addAll(served.events());
        replies.add(
            new Pending(() -> w.complete(reply), w::complete)
                .after(runner.notifications().publishing(served.notices(), w.client())));
        collect.accept(served.events());
        ready.remove(wk); // still being served by this loop
      }
      if (queue.isEmpty()) {
        waiting.remove(wk);
      }
    }
  }
}
