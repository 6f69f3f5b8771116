package io.keyshard.node.slot;

import static io.keyshard.node.slot.SlotEffects.asReply;

import io.keyshard.node.route.Verdict;

import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.slf4j.Logger;

/**
 * A slot's group commit (docs/decisions/2026-11-22-group-commit-and-durable-replies.md): events
 * emitted since the last persist, and the replies that must wait for them. Replies to reads wait
 * too while a batch is open, so nobody sees a write before it is durable. A flush request the
 * entity sends itself persists the batch after the mailbox's current contents have joined it; a
 * full batch ({@code maxBatch} events) is persisted at once.
 *
 * <p>Also what a failed journal write means for those replies
 * (docs/decisions/2026-11-22-journal-faults.md).
 */
final class GroupCommit {

  /** A reply that waits for the journal: sent once the events are in, or replaced by an error. */
  record Pending(Runnable ok, Consumer<Reply> failed) {
    static Pending of(ActorRef<Reply> replyTo, Reply reply) {
      return new Pending(() -> replyTo.tell(reply), replyTo::tell);
    }

    /** A reply that is not a client's (Done, Boolean...): its asker times out instead. */
    static Pending internal(Runnable ok) {
      return new Pending(ok, error -> {});
    }

    /** This reply, with {@code first} (publishing notifications) run just before it; null: none. */
    Pending after(Runnable first) {
      if (first == null) {
        return this;
      }
      Runnable reply = ok;
      return new Pending(
          () -> {
            first.run();
            reply.run();
          },
          failed);
    }

    @SuppressWarnings("unchecked")
    static <T> Pending to(ActorRef<T> replyTo, T reply) {
      return reply instanceof Reply r
          ? of((ActorRef<Reply>) (ActorRef<?>) replyTo, r)
          : internal(() -> replyTo.tell(reply));
    }
  }

  private final int slot;
  private final int maxBatch;
  private final EffectFactories<SlotEvent, SlotState> effects;
  /** Sends the entity its flush message. */
  private final Runnable requestFlush;
  private final JournalHealth journal;
  private final MemoryAccountant memory;
  /** The entity's bookkeeping after a persisted write (index, expiry timer, memory). */
  private final Consumer<SlotState> afterWrite;
  private final Ownership ownership;
  /** Retires the incarnation, answering what still reaches it with the verdict. */
  private final Consumer<Verdict> retire;
  private final Logger log;

  private final List<SlotEvent> batchEvents = new ArrayList<>();
  private final List<Pending> batchReplies = new ArrayList<>();

  /** The replies waiting for the journal write in flight (answered with an error if it fails). */
  private List<Pending> persisting = List.of();

  private boolean flushScheduled;

  /** Journal writes of this slot sent and not yet answered (theirs and transactions'). */
  private int writesInFlight;

  /** Events applied by a command body and not yet passed through the event handler. */
  private int preApplied;

  GroupCommit(
      int slot,
      int maxBatch,
      EffectFactories<SlotEvent, SlotState> effects,
      Runnable requestFlush,
      JournalHealth journal,
      MemoryAccountant memory,
      Consumer<SlotState> afterWrite,
      Ownership ownership,
      Consumer<Verdict> retire,
      Logger log) {
    this.slot = slot;
    this.maxBatch = maxBatch;
    this.effects = effects;
    this.requestFlush = requestFlush;
    this.journal = journal;
    this.memory = memory;
    this.afterWrite = afterWrite;
    this.ownership = ownership;
    this.retire = retire;
    this.log = log;
  }

  /** Whether no batch is open (events emitted, not yet sent to the journal). */
  boolean isEmpty() {
    return batchEvents.isEmpty();
  }

  /** Whether everything applied to the state is in the journal: no batch open or in flight. */
  boolean isDurable() {
    return batchEvents.isEmpty() && writesInFlight == 0;
  }

  /** A journal write of this slot (a batch, a transaction's share) was sent. */
  void writeStarted() {
    writesInFlight++;
  }

  /** A journal write of this slot succeeded. */
  void writeEnded() {
    writesInFlight--;
  }

  <T> ReplyEffect<SlotEvent, SlotState> answer(
      List<SlotEvent> events, ActorRef<T> replyTo, T reply) {
    return answer(events, List.of(Pending.to(replyTo, reply)));
  }

  /**
   * Replies at once when nothing is waiting to be persisted; otherwise the events (already
   * applied) join the open batch and the replies are sent once the batch is in the journal.
   */
  ReplyEffect<SlotEvent, SlotState> answer(List<SlotEvent> events, List<Pending> replies) {
    if (events.isEmpty() && batchEvents.isEmpty()) {
      replies.forEach(p -> p.ok().run());
      return effects.noReply();
    }
    batchEvents.addAll(events);
    batchReplies.addAll(replies);
    if (batchEvents.size() >= maxBatch) {
      return flush();
    }
    scheduleFlush();
    return effects.noReply();
  }

  /** Makes sure the open batch is persisted soon (a transaction's lock waits for it). */
  void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      requestFlush.run();
    }
  }

  /**
   * Events nobody waits for (expired keys): persisted at once, with the open batch; {@code then}
   * (publishing their notifications; null: nothing) runs once they are journaled.
   */
  ReplyEffect<SlotEvent, SlotState> persistNow(List<SlotEvent> events, Runnable then) {
    batchEvents.addAll(events);
    if (then != null) {
      batchReplies.add(Pending.internal(then));
    }
    return flush();
  }

  ReplyEffect<SlotEvent, SlotState> flush() {
    flushScheduled = false;
    if (batchEvents.isEmpty()) {
      return effects.noReply();
    }
    Ownership.Refusal refused = ownership.check("a batch of " + batchEvents.size() + " events");
    if (refused != null) {
      // The events are applied to this state but may not be journaled: the state is no longer
      // the journal's, so the incarnation goes (paused or not); the next request recovers it.
      return retireRefused(refused);
    }
    Batch batch = takeBatch();
    // Unstash afterwards: a transaction's lock may be waiting for this batch.
    return asReply(
        effects
            .persist(batch.events())
            .thenRun(
                s -> {
                  writeEnded();
                  persisting = List.of();
                  journal.writeSucceeded();
                  batch.replies().forEach(p -> p.ok().run());
                  afterWrite.accept(s);
                })
            .thenUnstashAll());
  }

  /**
   * Hand-off: persists the open batch and answers its replies, and answers {@code replyTo} once
   * it is journaled. {@code last} runs first: the batch is the last thing this incarnation
   * journals (the new owner replays up to it), so whatever arrives meanwhile must see that.
   */
  ReplyEffect<SlotEvent, SlotState> flushLast(ActorRef<Done> replyTo, Runnable last) {
    EffectBuilder<SlotEvent, SlotState> flushed = persistLastBatch("the open batch at hand-off");
    last.run();
    return (flushed == null ? effects.none() : flushed).thenReply(replyTo, s -> Done.getInstance());
  }

  /** The shard stops the incarnation: persists the open batch, answers its replies, stops. */
  ReplyEffect<SlotEvent, SlotState> flushAndStop() {
    EffectBuilder<SlotEvent, SlotState> flushed = persistLastBatch("the open batch at stop");
    return (flushed == null ? effects.stop() : flushed.thenStop()).thenNoReply();
  }

  /**
   * The open batch's write, its replies answered once it is journaled; null if there is none
   * to write (no batch, or this incarnation may not journal: its replies got the refusal).
   */
  private EffectBuilder<SlotEvent, SlotState> persistLastBatch(String what) {
    if (batchEvents.isEmpty()) {
      return null;
    }
    Ownership.Refusal refused = ownership.check(what);
    if (refused != null) {
      failOpenBatch(refused.verdict().reply());
      return null;
    }
    Batch batch = takeBatch();
    return effects
        .persist(batch.events())
        .thenRun(
            s -> {
              writeEnded();
              batch.replies().forEach(p -> p.ok().run());
            });
  }

  /**
   * This incarnation may not journal ({@link Ownership}): the open batch's replies get the
   * refusal (nothing of it was written), and the incarnation retires: its state holds what it
   * applied, so it answers nothing more and journals nothing more ({@link Retirement}).
   */
  ReplyEffect<SlotEvent, SlotState> retireRefused(Ownership.Refusal refused) {
    failOpenBatch(refused.verdict().reply());
    retire.accept(refused.verdict());
    return effects.noReply();
  }

  private void failOpenBatch(Reply refusal) {
    batchReplies.forEach(p -> p.failed().accept(refusal));
    batchReplies.clear();
    batchEvents.clear();
    flushScheduled = false;
  }

  private record Batch(List<SlotEvent> events, List<Pending> replies) {}

  /** Moves the open batch into flight: its replies now wait for this journal write. */
  private Batch takeBatch() {
    Batch batch = new Batch(List.copyOf(batchEvents), List.copyOf(batchReplies));
    batchEvents.clear();
    batchReplies.clear();
    alreadyApplied(batch.events().size());
    writeStarted();
    persisting = batch.replies();
    countExpired(batch.events());
    return batch;
  }

  /** {@code events} about to be persisted were applied when emitted: the event handler skips them. */
  void alreadyApplied(int events) {
    preApplied += events;
    memory.countChanges(events); // every path that journals a slot's events passes here
  }

  /** For the event handler: whether this event was applied when it was emitted. */
  boolean skipApply() {
    if (preApplied > 0) {
      preApplied--;
      return true;
    }
    return false;
  }

  private void countExpired(List<SlotEvent> events) {
    long keys = 0;
    for (SlotEvent e : events) {
      if (e instanceof SlotEvent.KeysExpired x) {
        keys += x.keys().size();
      }
    }
    if (keys > 0) {
      memory.countExpired(keys);
    }
  }

  /**
   * A journal write of this slot failed; Pekko restarts the slot after this, and its recovery
   * reads what the journal really holds. Until then nothing applied in memory may be seen: every
   * waiting reply gets an error now, MAYBE_APPLIED for the write that was tried, NOT_APPLIED for
   * what had not been sent yet.
   */
  void journalFailed(Throwable failure, boolean rejected) {
    boolean nothingWritten = rejected || JournalHealth.certainlyNotWritten(failure);
    log.warn("Journal write of slot {} failed ({}): {}", slot,
        nothingWritten ? "not written" : "outcome unknown", String.valueOf(failure));
    journal.writeFailed(slot);
    Reply tried = nothingWritten ? JournalHealth.NOT_APPLIED : JournalHealth.MAYBE_APPLIED;
    persisting.forEach(p -> p.failed().accept(tried));
    persisting = List.of();
    batchReplies.forEach(p -> p.failed().accept(JournalHealth.NOT_APPLIED));
    batchReplies.clear();
    batchEvents.clear();
    flushScheduled = false;
    preApplied = 0;
    writesInFlight = 0;
  }
}
