package io.keyshard.node.slot;

import io.keyshard.node.route.Verdict;
import org.slf4j.Logger;

/**
 * Whether this incarnation of a slot may journal now. Every path that persists to the slot's
 * persistence id asks here first, not only client commands: a batch's flush, the expiry cycle,
 * an eviction, a transaction's lock, share and apply, a hand-off's last flush
 * (docs/decisions/2026-12-06-fencing-every-write.md). Standalone the fence always answers null.
 */
final class Ownership {
  /**
   * Why it may not: {@code lost} when the node's table gives the slot to another node or
   * another epoch (the incarnation must stop: a new owner may be writing), otherwise the node is
   * paused (cut off from the majority, or just back from a long pause) and the incarnation stays.
   */
  record Refusal(Verdict verdict, boolean lost) {}

  private final int slot;
  private final long epoch;
  private final SlotEntity.Fence fence;
  private final Logger log;
  /** Set once the incarnation retires: every later write is refused with it. */
  private Refusal retired;

  Ownership(int slot, long epoch, SlotEntity.Fence fence, Logger log) {
    this.slot = slot;
    this.epoch = epoch;
    this.fence = fence;
    this.log = log;
  }

  /** Null if the incarnation may journal now (the common answer allocates nothing). */
  Refusal check(String what) {
    if (retired != null) {
      return retired;
    }
    Verdict paused = fence.paused();
    if (paused != null) {
      return new Refusal(paused, false);
    }
    Verdict elsewhere = fence.refusal(slot, epoch);
    if (elsewhere == null) {
      return null;
    }
    log.info(
        "Slot {} (epoch {}) is not served here any more ({}): {} is not journaled, the incarnation stops",
        slot, epoch, elsewhere.text(), what);
    return new Refusal(elsewhere, true);
  }

  /** The incarnation retires (SlotEntity#retireWith): it journals nothing more. */
  void retire(Verdict refusal) {
    if (retired == null) {
      retired = new Refusal(refusal, true);
    }
  }
}
