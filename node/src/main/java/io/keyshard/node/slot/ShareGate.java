package io.keyshard.node.slot;

import static io.keyshard.node.slot.SlotEffects.asReply;

import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A new incarnation of a slot serves nothing (commands, transactions, shares sent by others,
 * watches wait in the stash) until it has applied the shares of committed transactions that a
 * transaction log still holds pending for its slot. Otherwise a node that died between a
 * transaction's commit record and its applies left a share that its heir applies seconds after
 * the slot's new owner began serving, over a write a client made in between
 * (docs/decisions/2026-12-07-shares-before-serving.md).
 *
 * <p>Applying here what the log says is pending is exactly-once: the log is read after this
 * incarnation recovered, while it handles nothing else, and a share pending in its log was
 * never forgotten by a slot (a slot forgets a log's ids only below a watermark that a completed
 * transaction raised), so {@link SlotState#hasAppliedTx} tells whether it is here already. The
 * heir or the node that sends the same share later finds it applied.
 */
final class ShareGate {
  /** Asked again after a failed read of the logs, or while the node is paused. */
  static final Duration RETRY = Duration.ofSeconds(1);

  private final int slot;
  private final PendingShares source;
  private final EffectFactories<SlotEvent, SlotState> effects;
  private final ActorContext<SlotEntity.Command> ctx;
  private final TimerScheduler<SlotEntity.Command> timers;
  private final SlotEntity.Command retry;
  private final GroupCommit groupCommit;
  private final IndexRegistration registration;
  private final Ownership ownership;
  private final Consumer<SlotState> afterWrite;

  private boolean open;
  /** Numbers the asks: only the answer to the latest one is used (a restart asks again). */
  private long asked;
  /** Found pending and not applied here, waiting for the index registration. */
  private List<PendingShares.Share> found = List.of();

  ShareGate(
      int slot,
      PendingShares source,
      EffectFactories<SlotEvent, SlotState> effects,
      ActorContext<SlotEntity.Command> ctx,
      TimerScheduler<SlotEntity.Command> timers,
      SlotEntity.Command retry,
      GroupCommit groupCommit,
      IndexRegistration registration,
      Ownership ownership,
      Consumer<SlotState> afterWrite) {
    this.slot = slot;
    this.source = source;
    this.effects = effects;
    this.ctx = ctx;
    this.timers = timers;
    this.retry = retry;
    this.groupCommit = groupCommit;
    this.registration = registration;
    this.ownership = ownership;
    this.afterWrite = afterWrite;
    this.open = source == PendingShares.NONE;
  }

  /** Whether the slot may serve: false until its pending shares are applied. */
  boolean open() {
    return open;
  }

  /** At the end of a recovery (a restart after a journal failure recovers again). */
  void recovered() {
    if (source == PendingShares.NONE) {
      return;
    }
    open = false;
    found = List.of();
    ask();
  }

  /** Asks for the slot's pending shares; the answer comes back as {@link SlotEntity.SharesFound}. */
  void ask() {
    long ask = ++asked;
    ctx.pipeToSelf(source.of(slot), (shares, failure) -> new SlotEntity.SharesFound(ask, shares, failure));
  }

  ReplyEffect<SlotEvent, SlotState> found(SlotState state, long ask, List<PendingShares.Share> shares, Throwable failure) {
    if (open || ask != asked) {
      return effects.noReply();
    }
    if (failure != null) {
      ctx.getLog().warn("Slot {} could not read the transaction logs, serving nothing yet: {}", slot, failure.toString());
      timers.startSingleTimer(retry, RETRY);
      return effects.noReply();
    }
    List<PendingShares.Share> todo = new ArrayList<>();
    for (PendingShares.Share s : shares) {
      if (!s.events().isEmpty() && !state.hasAppliedTx(s.named() ? s.log() : null, s.txId())) {
        todo.add(s);
      }
    }
    if (todo.isEmpty()) {
      open = true;
      return asReply(effects.unstashAll());
    }
    found = todo;
    return apply(state);
  }

  /** The index answered a registration: shares that waited for it may be applied. */
  boolean waiting() {
    return !open && !found.isEmpty();
  }

  ReplyEffect<SlotEvent, SlotState> apply(SlotState state) {
    if (!registration.registered()) {
      // Keys may appear in a slot the index does not list: registered first, as any write is.
      if (!registration.registering()) {
        registration.register(0);
      }
      return effects.noReply();
    }
    Ownership.Refusal refused = ownership.check("pending transaction shares");
    if (refused != null) {
      if (refused.lost()) {
        return groupCommit.retireRefused(refused);
      }
      timers.startSingleTimer(retry, RETRY); // paused: read again once back
      found = List.of();
      return effects.noReply();
    }
    long now = System.currentTimeMillis();
    List<SlotEvent> events = new ArrayList<>(found.size());
    for (PendingShares.Share s : found) {
      SlotEvent.TxApplied share =
          new SlotEvent.TxApplied(s.txId(), s.completedBelow(), s.events(), s.named() ? s.log() : null);
      state.apply(share, now);
      events.add(share);
    }
    ctx.getLog().info("Slot {} applied {} pending transaction share(s) before serving", slot, events.size());
    found = List.of();
    groupCommit.alreadyApplied(events.size());
    groupCommit.writeStarted();
    return asReply(
        effects
            .persist(events)
            .thenRun(
                s -> {
                  groupCommit.writeEnded();
                  open = true;
                  afterWrite.accept(s);
                })
            .thenUnstashAll());
  }
}
