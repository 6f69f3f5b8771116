package io.keyshard.node.slot;

import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The slot's entry in the node's {@link SlotIndex} of non-empty slots: registered (durably)
 * before the slot's first write, unregistered after a write that left it empty. While a request
 * is out, the entity stashes what must wait for it.
 */
final class IndexRegistration {
  private final int slot;
  private final ActorRef<SlotIndex.Command> index;
  private final ActorRef<SlotIndex.Answer> answers;
  private final EffectFactories<SlotEvent, SlotState> effects;

  /** Whether this incarnation has seen its slot's registration in the index acknowledged. */
  private boolean registered;

  private boolean registering;

  /** Numbers registration requests, so a late answer to an old one is recognised. */
  private long regSeq;

  /** The transaction whose registration request is out, and the one that was denied. */
  private long txRegistering;
  private long deniedTx;

  IndexRegistration(
      int slot,
      ActorRef<SlotIndex.Command> index,
      ActorRef<SlotIndex.Answer> answers,
      EffectFactories<SlotEvent, SlotState> effects) {
    this.slot = slot;
    this.index = index;
    this.answers = answers;
    this.effects = effects;
  }

  boolean registered() {
    return registered;
  }

  /** Whether a request is out: everything that reads or writes the slot waits for it. */
  boolean registering() {
    return registering;
  }

  /** Registers if no request is out yet, and stashes the message being handled. */
  ReplyEffect<SlotEvent, SlotState> await() {
    if (!registering) {
      register(0);
    }
    return effects.stash();
  }

  /** Registers for {@code txId} (0 for a plain write or recovery). */
  void register(long txId) {
    registering = true;
    regSeq++;
    index.tell(new SlotIndex.Register(slot, txId, regSeq, answers));
  }

  /**
   * A transaction writing here registers at prepare, before its commit point, so that a refusal
   * can still undo it; one request per transaction.
   */
  void registerFor(long txId) {
    if (txRegistering != txId) {
      txRegistering = txId;
      register(txId);
    }
  }

  /** Whether the index refused {@code txId} (a keyspace-wide transaction holds its barrier). */
  boolean denied(long txId) {
    return deniedTx == txId;
  }

  /** The index answered; true if it was the current request (what waited may go on). */
  boolean answered(SlotIndex.Answer answer) {
    if (answer.seq() != regSeq) {
      return false; // answer to a request that a newer one replaced
    }
    registering = false;
    if (answer.registered()) {
      registered = true;
    } else {
      deniedTx = txRegistering;
    }
    txRegistering = 0;
    return true;
  }

  /** After a persisted write: an emptied slot leaves the index. */
  void unregisterIfEmpty(SlotState state) {
    if (registered && state.isEmpty()) {
      registered = false;
      regSeq++; // an answer still on its way no longer says anything
      index.tell(new SlotIndex.Unregister(slot));
    }
  }
}
