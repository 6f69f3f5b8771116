package io.keyshard.node.slot;

import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

final class SlotEffects {
  private SlotEffects() {}

  /** The javadsl offers no unstash that is also a ReplyEffect; Pekko's effects implement both. */
  @SuppressWarnings("unchecked")
  static ReplyEffect<SlotEvent, SlotState> asReply(Effect<SlotEvent, SlotState> effect) {
    return (ReplyEffect<SlotEvent, SlotState>) effect;
  }
}
