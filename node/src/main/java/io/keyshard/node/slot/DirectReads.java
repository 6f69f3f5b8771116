package io.keyshard.node.slot;

import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.Reply;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A read that runs on the connection's thread against a running slot's state, instead of a
 * round trip through the slot's mailbox (docs/decisions/2026-12-06-direct-reads.md): no ask, no
 * thread hop, no wake-up, and a reply that is ready when the request is.
 *
 * <p>The slot entity holds {@link #lock} while it handles any message or signal (see {@link
 * #guard}), so a direct read sees the state between two messages, never in the middle of one.
 * After each message the entity says whether a read may run directly now: only when nothing it
 * holds is undurable or tentative (no open or in-flight journal write, no transaction's lock,
 * no registration under way, recovery over), so a direct read sees exactly what a read through
 * the mailbox would see, the acknowledged writes. Whether the connection's own earlier
 * requests are all answered (so this one cannot overtake them) is the caller's part.
 *
 * <p>A reader never waits for the entity: if the lock is taken or the slot is not readable, it
 * answers null and the request goes through the mailbox as before.
 */
public final class DirectReads {
  private final ReentrantLock lock = new ReentrantLock();
  private final CommandRunner runner;
  /** Guarded by {@link #lock}: the live state, null while it may not be read directly. */
  private SlotState state;

  private boolean readable;

  DirectReads(CommandRunner runner) {
    this.runner = runner;
  }

  /**
   * The reply of read-only command {@code name} run now against the slot's acknowledged state,
   * or null if it cannot run directly at this moment.
   */
  public Reply tryRead(String name, int db, byte[][] argv) {
    return tryRead(name, db, argv, 0, null);
  }

  /**
   * As {@link #tryRead(String, int, byte[][])}, remembering {@code tracked} for tracking client
   * {@code client} while the lock holds: no write can come between the read and the record.
   */
  public Reply tryRead(String name, int db, byte[][] argv, long client, byte[][] tracked) {
    if (!lock.tryLock()) {
      return null;
    }
    try {
      if (!readable || state == null) {
        return null;
      }
      CommandRunner.Outcome ran = runner.run(state, name, db, argv, false, System.currentTimeMillis());
      // A read body emits nothing (SlotContext.lookup emits expiries for writes only); if one
      // ever did, its events would be in the state without being journaled.
      assert ran.events().isEmpty() : name + " emitted events on a direct read";
      // A key found expired is removed by the slot (a journaled expiry): the read goes there.
      if (!ran.expiredSeen().isEmpty()) {
        return null;
      }
      if (tracked != null) {
        runner.notifications().remember(client, tracked);
      }
      return ran.reply();
    } finally {
      lock.unlock();
    }
  }

  /** Called by the entity while it holds the lock: the state it serves, null for none. */
  void serve(SlotState live) {
    state = live;
  }

  /**
   * Wraps the slot's behavior so that the lock is held while it handles a message or signal,
   * and {@code readable} is asked again after each.
   */
  @SuppressWarnings("unchecked")
  <T> Behavior<T> guard(Behavior<T> entity, BooleanSupplier quiet) {
    BehaviorInterceptor<Object, Object> interceptor =
        new BehaviorInterceptor<>(Object.class) {
          @Override
          public Behavior<Object> aroundReceive(
              TypedActorContext<Object> ctx, Object msg, ReceiveTarget<Object> target) {
            lock.lock();
            try {
              return target.apply(ctx, msg);
            } finally {
              readable = quiet.getAsBoolean();
              lock.unlock();
            }
          }

          @Override
          public Behavior<Object> aroundSignal(
              TypedActorContext<Object> ctx, Signal signal, SignalTarget<Object> target) {
            lock.lock();
            try {
              return target.apply(ctx, signal);
            } finally {
              readable = quiet.getAsBoolean();
              lock.unlock();
            }
          }
        };
    Behavior<Object> wrapped = Behaviors.intercept(() -> interceptor, (Behavior<Object>) entity);
    return (Behavior<T>) (Behavior<?>) wrapped;
  }
}
