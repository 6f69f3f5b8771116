package io.keyshard.node.slot;

import static io.keyshard.node.slot.SlotEffects.asReply;

import io.keyshard.node.slot.GroupCommit.Pending;
import io.keyshard.node.slot.SlotEntity.TxAbort;
import io.keyshard.node.slot.SlotEntity.TxApply;
import io.keyshard.node.slot.SlotEntity.TxExec;
import io.keyshard.node.slot.SlotEntity.TxLock;
import io.keyshard.node.slot.SlotEntity.TxLockAbandoned;
import io.keyshard.node.slot.SlotEntity.TxPrepare;
import io.keyshard.node.slot.SlotEntity.TxShare;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.TxEvent;
import io.keyshard.protocol.Err;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The slot's side of an atomic multi-slot transaction (docs/decisions/2026-11-22-atomic-multi-
 * slot-writes.md): the lock, tentative execution with an undo log, the share handed over for the
 * commit record, and its apply or abort. While locked, the entity stashes everything else. The
 * lock, the share and the apply are given only while the incarnation may journal ({@link
 * Ownership}); a transaction is named by its log and id (docs/decisions/2026-12-06-fencing-every-
 * write.md).
 */
final class TxParticipant {
  private static final KeyshardSerializer FORMAT = new KeyshardSerializer();

  private final int slot;
  private final EffectFactories<SlotEvent, SlotState> effects;
  private final CommandRunner runner;
  private final GroupCommit groupCommit;
  private final IndexRegistration registration;
  private final BlockedClients blockedClients;
  private final Eviction eviction;
  /** The entity's bookkeeping after a persisted write (index, expiry timer, memory). */
  private final Consumer<SlotState> afterWrite;
  private final Ownership ownership;

  /**
   * The transaction holding this slot's lock, or 0, and the log it commits to: ids are numbered
   * per log, so only an apply of that log and id is the lock holder's.
   */
  private long lockedBy;

  private String lockedLog;

  /** Events the locking transaction applied tentatively. */
  private final List<SlotEvent> txEvents = new ArrayList<>();

  /** Transactions that gave up on this slot's lock while their TxLock was still waiting. */
  private final Set<Long> abandonedLocks = new HashSet<>();

  TxParticipant(
      int slot,
      EffectFactories<SlotEvent, SlotState> effects,
      CommandRunner runner,
      GroupCommit groupCommit,
      IndexRegistration registration,
      BlockedClients blockedClients,
      Eviction eviction,
      Consumer<SlotState> afterWrite,
      Ownership ownership) {
    this.slot = slot;
    this.effects = effects;
    this.runner = runner;
    this.groupCommit = groupCommit;
    this.registration = registration;
    this.blockedClients = blockedClients;
    this.eviction = eviction;
    this.afterWrite = afterWrite;
    this.ownership = ownership;
  }

  boolean locked() {
    return lockedBy != 0;
  }

  ReplyEffect<SlotEvent, SlotState> lock(SlotState state, TxLock c) {
    if (abandonedLocks.remove(c.txId())) {
      // Its transaction has given up and will never unlock: nobody waits for this reply.
      return effects.reply(c.replyTo(), Done.getInstance());
    }
    if (lockedBy == c.txId()) {
      return effects.reply(c.replyTo(), Done.getInstance());
    }
    if (lockedBy != 0) {
      return effects.stash();
    }
    return grant(state, c.txId(), c.log(), c.replyTo(), Done.getInstance());
  }

  /** TxLock that never waits for another transaction: false at once if one holds the slot. */
  ReplyEffect<SlotEvent, SlotState> tryLock(SlotState state, SlotEntity.TxTryLock c) {
    if (abandonedLocks.remove(c.txId())) {
      return effects.reply(c.replyTo(), false);
    }
    if (lockedBy == c.txId()) {
      return effects.reply(c.replyTo(), true);
    }
    if (lockedBy != 0) {
      return effects.reply(c.replyTo(), false);
    }
    return grant(state, c.txId(), c.log(), c.replyTo(), true);
  }

  private <R> ReplyEffect<SlotEvent, SlotState> grant(
      SlotState state, long txId, String log, org.apache.pekko.actor.typed.ActorRef<R> replyTo, R granted) {
    // A transaction computes on this state and later journals its share here: an incarnation
    // that may not journal grants no lock (the transaction's ask times out and it undoes).
    Ownership.Refusal refused = ownership.check("a transaction's lock");
    if (refused != null) {
      return refused.lost() ? groupCommit.retireRefused(refused) : effects.noReply();
    }
    // A slot waiting for a plain write's registration may be locked: that write stays stashed
    // and runs after the transaction, and the registration may be waiting on the transaction.
    if (!groupCommit.isEmpty()) {
      // Let the open batch reach the journal first; the lock is unstashed after it.
      groupCommit.scheduleFlush();
      return effects.stash();
    }
    lockedBy = txId;
    lockedLog = log;
    txEvents.clear();
    state.beginUndo();
    return effects.reply(replyTo, granted);
  }

  ReplyEffect<SlotEvent, SlotState> exec(SlotState state, TxExec c) {
    if (lockedBy != c.txId()) {
      return effects.reply(c.replyTo(), Err.err("transaction " + c.txId() + " does not hold slot " + slot));
    }
    CommandRunner.Outcome ran =
        runner.run(state, c.name(), c.db(), c.argv(), c.write(), System.currentTimeMillis());
    txEvents.addAll(ran.events());
    // Published by the transaction once it is applied everywhere, or dropped if it is undone.
    runner.notifications().hold(lockedLog, c.txId(), c.seq(), ran.notices());
    if (!ran.events().isEmpty()) {
      eviction.publishMemory(state);
    }
    return effects.reply(c.replyTo(), ran.reply());
  }

  ReplyEffect<SlotEvent, SlotState> prepare(SlotState state, TxPrepare c) {
    if (lockedBy == c.txId() && !txEvents.isEmpty()) {
      // The last check before the commit point: a share handed over is journaled here later,
      // so an incarnation that may not journal now hands over none (the transaction's ask times
      // out and it undoes, never committed), rather than leave a committed share it cannot apply.
      Ownership.Refusal refused = ownership.check("a transaction's share");
      if (refused != null) {
        return refused.lost() ? groupCommit.retireRefused(refused) : effects.noReply();
      }
    }
    if (lockedBy == c.txId() && !txEvents.isEmpty() && !registration.registered()) {
      // Register before the commit point, so a refusal can still undo the transaction.
      if (registration.denied(c.txId())) {
        return effects.reply(c.replyTo(), new TxShare(slot, List.of(), true));
      }
      registration.registerFor(c.txId());
      return effects.stash();
    }
    List<TxEvent.Nested> nested = new ArrayList<>(txEvents.size());
    if (lockedBy == c.txId()) {
      for (SlotEvent e : txEvents) {
        nested.add(FORMAT.nest(e));
      }
    }
    return effects.reply(c.replyTo(), new TxShare(slot, nested, false));
  }

  ReplyEffect<SlotEvent, SlotState> apply(SlotState state, TxApply c) {
    boolean holder = lockedBy == c.txId() && Objects.equals(lockedLog, c.log());
    if (!c.events().isEmpty() && (holder || !state.hasAppliedTx(c.log(), c.txId()))) {
      // Committed, but journaled here only by an incarnation that may journal: a refused apply
      // is not answered, and the transaction's coordinator asks again through the slot's
      // current owner (tx/ShareRouter); a lost incarnation stops with its tentative state.
      Ownership.Refusal refused = ownership.check("transaction " + c.txId() + "'s share");
      if (refused != null) {
        return refused.lost() ? groupCommit.retireRefused(refused) : effects.noReply();
      }
    }
    if (holder) {
      // Registered at prepare (only if it writes here: a read-only visit, an MGET of a missing
      // key, must not leave an empty slot in the index).
      state.commitUndo();
      txEvents.clear();
      lockedBy = 0;
      lockedLog = null;
      if (c.events().isEmpty()) {
        return asReply(effects.reply(c.replyTo(), Done.getInstance()).thenUnstashAll());
      }
      // The events are already in the state; only the bookkeeping is left to apply.
      state.markTxApplied(c.log(), c.txId(), c.completedBelow());
      List<SlotEvent> events = new ArrayList<>();
      events.add(new SlotEvent.TxApplied(c.txId(), c.completedBelow(), c.events(), c.log()));
      List<Pending> served = new ArrayList<>();
      if (!blockedClients.isEmpty()) {
        // A push inside MULTI/EXEC, or the destination half of an LMOVE, wakes blocked clients.
        blockedClients.serve(state, unnested(c.events()), events, served);
      }
      groupCommit.alreadyApplied(events.size());
      groupCommit.writeStarted();
      return asReply(
          effects
              .persist(events)
              .thenRun(
                  s -> {
                    groupCommit.writeEnded();
                    afterWrite.accept(s);
                    c.replyTo().tell(Done.getInstance());
                    served.forEach(p -> p.ok().run());
                  })
              .thenUnstashAll());
    }
    if (state.hasAppliedTx(c.log(), c.txId()) || c.events().isEmpty()) {
      return effects.reply(c.replyTo(), Done.getInstance());
    }
    if (registration.registering() || lockedBy != 0) {
      return effects.stash();
    }
    if (!registration.registered()) {
      return registration.await();
    }
    if (!groupCommit.isEmpty()) {
      // The open batch's events were applied before this share: they reach the journal first.
      groupCommit.scheduleFlush();
      return effects.stash();
    }
    // Roll-forward: the share was never applied here (a crash after the commit point, or a
    // transaction of a node that is gone, completed by another). The slot may be serving: the
    // share is applied as a write is, waking clients blocked on its keys.
    SlotEvent.TxApplied share = new SlotEvent.TxApplied(c.txId(), c.completedBelow(), c.events(), c.log());
    state.apply(share, System.currentTimeMillis());
    List<SlotEvent> events = new ArrayList<>();
    events.add(share);
    List<Pending> served = new ArrayList<>();
    if (!blockedClients.isEmpty()) {
      blockedClients.serve(state, unnested(c.events()), events, served);
    }
    eviction.publishMemory(state);
    groupCommit.alreadyApplied(events.size());
    groupCommit.writeStarted();
    return effects
        .persist(events)
        .thenRun(
            s -> {
              groupCommit.writeEnded();
              afterWrite.accept(s);
              served.forEach(p -> p.ok().run());
            })
        .thenReply(c.replyTo(), s -> Done.getInstance());
  }

  ReplyEffect<SlotEvent, SlotState> abort(SlotState state, TxAbort c) {
    if (lockedBy != c.txId()) {
      return effects.reply(c.replyTo(), Done.getInstance());
    }
    undo(state);
    return asReply(effects.reply(c.replyTo(), Done.getInstance()).thenUnstashAll());
  }

  ReplyEffect<SlotEvent, SlotState> lockAbandoned(SlotState state, TxLockAbandoned c) {
    if (lockedBy == c.txId()) {
      // Granted after the transaction stopped waiting: it never ran anything here.
      undo(state);
      return asReply(effects.unstashAll());
    }
    abandonedLocks.add(c.txId());
    return effects.noReply();
  }

  /** A journal write failed: the tentative events were in the lost state, the lock goes too. */
  void journalFailed() {
    lockedBy = 0;
    lockedLog = null;
    txEvents.clear();
  }

  private void undo(SlotState state) {
    runner.notifications().discard(lockedLog, lockedBy);
    state.rollback(System.currentTimeMillis());
    txEvents.clear();
    lockedBy = 0;
    lockedLog = null;
    eviction.publishMemory(state);
  }

  private static List<SlotEvent> unnested(List<TxEvent.Nested> events) {
    List<SlotEvent> out = new ArrayList<>(events.size());
    for (TxEvent.Nested n : events) {
      out.add(FORMAT.unnest(n));
    }
    return out;
  }
}
