package io.keyshard.node.slot;

import io.keyshard.node.slot.SlotEntity.EvictKey;
import io.keyshard.node.slot.SlotEntity.EvictionCandidate;
import io.keyshard.node.slot.SlotEntity.EvictionCandidates;
import io.keyshard.node.slot.SlotEntity.SampleForEviction;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The slot's part in maxmemory (docs/decisions/2026-11-22-maxmemory.md): it publishes its used
 * bytes to the node's {@link MemoryAccountant} after every change, offers eviction candidates,
 * and evicts the one the node's evictor picked, only while the incarnation may journal
 * ({@link Ownership}).
 */
final class Eviction {
  private final int slot;
  private final MemoryAccountant memory;
  private final GroupCommit groupCommit;
  private final Ownership ownership;
  private final Notifications notifications;

  Eviction(
      int slot, MemoryAccountant memory, GroupCommit groupCommit, Ownership ownership, Notifications notifications) {
    this.slot = slot;
    this.memory = memory;
    this.groupCommit = groupCommit;
    this.ownership = ownership;
    this.notifications = notifications;
  }

  void publishMemory(SlotState state) {
    memory.publish(slot, state.usedBytes(), state.volatileCount());
  }

  ReplyEffect<SlotEvent, SlotState> sample(SlotState state, SampleForEviction c) {
    List<EvictionCandidate> out = new ArrayList<>();
    Ownership.Refusal refused = ownership.check("an eviction sample");
    if (refused != null) {
      // Offers nothing: none of its keys may be evicted here.
      c.replyTo().tell(new EvictionCandidates(out));
      return refused.lost() ? groupCommit.retireRefused(refused) : groupCommit.answer(List.of(), List.of());
    }
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    if (c.policy().equals("volatile-ttl")) {
      // Exact within the slot: the keys nearest to their expiry, from the expiry index.
      for (int db = 0; db < SlotState.DATABASES; db++) {
        Keyspace ks = state.db(db);
        if (ks != null) {
          for (Bytes k : ks.soonestExpiring(c.samples())) {
            out.add(new EvictionCandidate(db, k.array(), ks.get(k).expireAt));
          }
        }
      }
    } else {
      // A uniform sample (reservoir) of the slot's eligible keys: O(keys in the slot).
      boolean volatileOnly = c.policy().startsWith("volatile-");
      boolean lru = c.policy().endsWith("-lru");
      long seen = 0;
      for (int db = 0; db < SlotState.DATABASES; db++) {
        Keyspace ks = state.db(db);
        if (ks == null || (volatileOnly && ks.volatileCount() == 0)) {
          continue;
        }
        for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
          Keyspace.Entry entry = e.getValue();
          if (volatileOnly && entry.expireAt == 0) {
            continue;
          }
          seen++;
          int at = out.size() < c.samples() ? out.size() : (int) Math.min(rnd.nextLong(seen), Integer.MAX_VALUE);
          if (at < c.samples()) {
            long score = lru ? entry.lastAccess : rnd.nextLong(Long.MAX_VALUE);
            EvictionCandidate cand = new EvictionCandidate(db, e.getKey().array(), score);
            if (at == out.size()) {
              out.add(cand);
            } else {
              out.set(at, cand);
            }
          }
        }
      }
    }
    return groupCommit.answer(List.of(), c.replyTo(), new EvictionCandidates(out));
  }

  /** Evicts the key if it still has its sampled score; answers the bytes freed once journaled. */
  ReplyEffect<SlotEvent, SlotState> evict(SlotState state, EvictKey c) {
    Ownership.Refusal refused = ownership.check("an eviction");
    if (refused != null) {
      c.replyTo().tell(0L); // nothing freed; the evictor tries another key
      return refused.lost() ? groupCommit.retireRefused(refused) : groupCommit.answer(List.of(), List.of());
    }
    Keyspace ks = state.db(c.db());
    Keyspace.Entry e = ks == null ? null : ks.get(Bytes.wrap(c.key()));
    boolean unchanged =
        e != null
            && switch (c.policy()) {
              case "allkeys-lru", "volatile-lru" -> e.lastAccess == c.score();
              case "volatile-ttl" -> e.expireAt == c.score();
              case "volatile-random" -> e.expireAt != 0;
              default -> true;
            };
    if (!unchanged) {
      return groupCommit.answer(List.of(), c.replyTo(), 0L);
    }
    long before = state.usedBytes();
    SlotEvent evicted = new SlotEvent.KeysEvicted(c.db(), List.of(c.key()));
    state.apply(evicted, System.currentTimeMillis());
    memory.countEvicted(1);
    publishMemory(state);
    Runnable publish = null;
    if (notifications.wants(Notifications.EVICTED)) {
      publish =
          notifications.publishing(
              List.of(new Notifications.Notice(Notifications.EVICTED, "evicted", c.db(), c.key())));
    }
    return groupCommit.answer(
        List.of(evicted), List.of(GroupCommit.Pending.to(c.replyTo(), before - state.usedBytes()).after(publish)));
  }
}
