package io.keyshard.node.slot;

import io.keyshard.node.slot.SlotEntity.CheckWatch;
import io.keyshard.node.slot.SlotEntity.Unwatch;
import io.keyshard.node.slot.SlotEntity.Watch;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * WATCH in one slot: which connections watch which keys, and which of them saw a change. A
 * transaction checks its watcher here under its lock (docs/decisions/2026-11-22-atomic-multi-
 * slot-writes.md). Changes are seen through the state's touch listener, so every write counts:
 * commands, transactions, expiry, eviction, replay after a restart.
 */
final class Watches {
  private final EffectFactories<SlotEvent, SlotState> effects;

  /** Watchers by key, keys by watcher, and watchers whose keys changed. */
  private final Map<DbKey, Set<Long>> watchers = new HashMap<>();
  private final Map<Long, List<DbKey>> watchedBy = new HashMap<>();
  private final Set<Long> dirtyWatchers = new HashSet<>();

  /**
   * WATCHes of keys that were already expired, though still stored, when watched. As in Redis,
   * such a key going away is no change and its passed time does not fail EXEC; writing it is a
   * change. Its first touch may be the removal or an overwrite, which the state afterwards tells:
   * the watch then moves to {@code staleTouched}, a second touch makes it dirty, and CheckWatch
   * calls it dirty if the key is there again.
   */
  private record StaleWatch(long watcherId, DbKey key) {}

  private final Set<StaleWatch> staleWatches = new HashSet<>();
  private final Set<StaleWatch> staleTouched = new HashSet<>();

  Watches(EffectFactories<SlotEvent, SlotState> effects) {
    this.effects = effects;
  }

  boolean isEmpty() {
    return watchers.isEmpty();
  }

  ReplyEffect<SlotEvent, SlotState> watch(SlotState state, Watch c) {
    List<DbKey> keys = watchedBy.computeIfAbsent(c.watcherId(), w -> new ArrayList<>());
    long now = System.currentTimeMillis();
    Keyspace ks = state.db(c.db());
    for (byte[] k : c.keys()) {
      DbKey wk = new DbKey(c.db(), Bytes.wrap(k));
      if (!watchers.computeIfAbsent(wk, x -> new HashSet<>()).add(c.watcherId())) {
        continue; // already watched by this connection: Redis keeps the first WATCH
      }
      keys.add(wk);
      Keyspace.Entry e = ks == null ? null : ks.get(wk.key());
      if (e != null && e.isExpired(now)) {
        staleWatches.add(new StaleWatch(c.watcherId(), wk));
      }
    }
    state.setTouchListener(this::touched);
    return effects.reply(c.replyTo(), Done.getInstance());
  }

  ReplyEffect<SlotEvent, SlotState> unwatch(SlotState state, Unwatch c) {
    List<DbKey> keys = watchedBy.remove(c.watcherId());
    if (keys != null) {
      for (DbKey wk : keys) {
        Set<Long> set = watchers.get(wk);
        if (set != null) {
          set.remove(c.watcherId());
          if (set.isEmpty()) {
            watchers.remove(wk);
          }
        }
      }
    }
    dirtyWatchers.remove(c.watcherId());
    staleWatches.removeIf(w -> w.watcherId() == c.watcherId());
    staleTouched.removeIf(w -> w.watcherId() == c.watcherId());
    if (watchers.isEmpty()) {
      state.setTouchListener(null);
    }
    return effects.noReply();
  }

  ReplyEffect<SlotEvent, SlotState> check(SlotState state, CheckWatch c) {
    boolean clean = !dirtyWatchers.contains(c.watcherId());
    if (clean) {
      // A watched key whose time passed since WATCH counts as changed, as in Redis 7.
      long now = System.currentTimeMillis();
      for (DbKey wk : watchedBy.getOrDefault(c.watcherId(), List.of())) {
        StaleWatch stale = new StaleWatch(c.watcherId(), wk);
        Keyspace ks = state.db(wk.db());
        Keyspace.Entry e = ks == null ? null : ks.get(wk.key());
        if (staleWatches.contains(stale)) {
          continue; // expired before WATCH and untouched since
        }
        if (staleTouched.contains(stale) ? e != null : e != null && e.isExpired(now)) {
          // For a stale key: touched once and there again, so it was overwritten, not removed.
          clean = false;
        }
      }
    }
    return effects.reply(c.replyTo(), clean);
  }

  /** Recovery made a new state (after a restart): it must report touches here too. */
  void recovered(SlotState state) {
    if (!watchers.isEmpty()) {
      state.setTouchListener(this::touched);
    }
  }

  /** The watched keys may have changed in ways the recovered state will not show. */
  void journalFailed() {
    dirtyWatchers.addAll(watchedBy.keySet());
    staleWatches.clear();
    staleTouched.clear();
  }

  private void touched(int db, Bytes key) {
    DbKey wk = new DbKey(db, key);
    Set<Long> set = watchers.get(wk);
    if (set == null) {
      return;
    }
    for (long watcher : set) {
      StaleWatch stale = new StaleWatch(watcher, wk);
      if (staleWatches.remove(stale)) {
        // Removal or overwrite of a key stale at WATCH: CheckWatch or a second touch decides.
        staleTouched.add(stale);
      } else {
        staleTouched.remove(stale);
        dirtyWatchers.add(watcher);
      }
    }
  }
}
