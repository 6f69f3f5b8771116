package io.keyshard.node.slot;

import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Active expiry of one slot (docs/decisions/2026-11-22-expiry.md): a timer aimed at the earliest
 * expiry, at most once per interval, and a cycle that removes up to a batch of due keys per
 * database with a persisted {@code KeysExpired}, only while the incarnation may journal
 * ({@link Ownership}).
 */
final class Expiry {
  private static final long MAX_EXPIRE_TIMER_MS = 3_600_000;

  private final TimerScheduler<SlotEntity.Command> timers;
  /** The entity's tick message (private to its protocol). */
  private final SlotEntity.Command tick;
  private final int batch;
  private final Duration interval;
  private final EffectFactories<SlotEvent, SlotState> effects;
  private final GroupCommit groupCommit;
  private final Eviction eviction;
  private final Ownership ownership;
  private final Notifications notifications;
  /** DEBUG SET-ACTIVE-EXPIRE's switch: off, the cycle removes nothing (commands still do). */
  private final BooleanSupplier enabled;

  private long expireTimerAt;
  private long lastExpireRun;

  Expiry(
      TimerScheduler<SlotEntity.Command> timers,
      SlotEntity.Command tick,
      int batch,
      Duration interval,
      EffectFactories<SlotEvent, SlotState> effects,
      GroupCommit groupCommit,
      Eviction eviction,
      Ownership ownership,
      Notifications notifications,
      BooleanSupplier enabled) {
    this.timers = timers;
    this.tick = tick;
    this.batch = batch;
    this.interval = interval;
    this.effects = effects;
    this.groupCommit = groupCommit;
    this.eviction = eviction;
    this.ownership = ownership;
    this.notifications = notifications;
    this.enabled = enabled;
  }

  void schedule(SlotState state) {
    long next = state.nextExpiry();
    if (next == 0) {
      if (expireTimerAt != 0) {
        timers.cancel(tick);
        expireTimerAt = 0;
      }
      return;
    }
    // Aim at the earliest expiry, but run the cycle at most once per interval.
    long at = Math.max(next, lastExpireRun + interval.toMillis());
    if (expireTimerAt != 0 && expireTimerAt <= at) {
      return;
    }
    expireTimerAt = at;
    // Expiry times may lie centuries ahead (EXPIREAT of a huge time): wake at least once an
    // hour and aim again, so the delay always fits the scheduler.
    long delay = Math.min(MAX_EXPIRE_TIMER_MS, Math.max(1, at - System.currentTimeMillis()));
    timers.startSingleTimer(tick, tick, Duration.ofMillis(delay));
  }

  void cancel() {
    timers.cancel(tick);
    expireTimerAt = 0;
  }

  /** The timer fired; {@code busy}: the slot is locked or registering and must not change. */
  ReplyEffect<SlotEvent, SlotState> run(SlotState state, boolean busy) {
    expireTimerAt = 0;
    if (busy || !enabled.getAsBoolean()) {
      // Never change a locked slot; the next run after the interval will do it.
      lastExpireRun = System.currentTimeMillis();
      schedule(state);
      return effects.noReply();
    }
    long now = System.currentTimeMillis();
    lastExpireRun = now;
    // Checked before any key is removed from the state: an incarnation that lost the slot (or
    // whose node is paused) must not journal an expiry, and must not serve the state without it.
    Ownership.Refusal refused = ownership.check("the expiry cycle");
    if (refused != null) {
      if (refused.lost()) {
        return groupCommit.retireRefused(refused);
      }
      schedule(state); // paused: the next cycle after the interval tries again
      return effects.noReply();
    }
    List<SlotEvent> events = new ArrayList<>();
    List<Notifications.Notice> notices = new ArrayList<>();
    boolean notify = notifications.wants(Notifications.EXPIRED);
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = state.db(db);
      if (ks == null || ks.volatileCount() == 0) {
        continue;
      }
      List<byte[]> due = ks.dueKeys(now, batch);
      if (!due.isEmpty()) {
        SlotEvent e = new SlotEvent.KeysExpired(db, due);
        state.apply(e, now);
        events.add(e);
        if (notify) {
          for (byte[] key : due) {
            notices.add(new Notifications.Notice(Notifications.EXPIRED, "expired", db, key));
          }
        }
      }
    }
    if (events.isEmpty()) {
      schedule(state);
      return effects.noReply();
    }
    eviction.publishMemory(state);
    return groupCommit.persistNow(events, notifications.publishing(notices));
  }
}
