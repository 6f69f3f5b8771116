package io.keyshard.node.server;

import io.keyshard.node.slot.MemoryAccountant;
import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.slot.SlotEntity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Brings the node's used memory under maxmemory by its maxmemory-policy, before a command that
 * Redis flags denyoom runs (docs/decisions/2026-11-22-maxmemory.md).
 *
 * <p>One eviction runs at a time; commands that need room meanwhile wait for the same one. Each
 * round samples keys as Redis does, across slots: it draws maxmemory-samples slots (weighted by
 * their used bytes) and asks each for up to maxmemory-samples candidates with their score, keeps
 * the best sixteen in a pool that lives across rounds (Redis's eviction pool), and asks the slot
 * of the best one to evict it. The slot evicts only if the key still has the sampled score (a
 * key read since is spared) and persists a {@code KeysEvicted} event before answering, so an
 * eviction is a write like any other.
 */
public final class Evictor {
  private static final int POOL_SIZE = 16;
  /** Rounds in a row that freed nothing before the command gets OOM. */
  private static final int MAX_IDLE_ROUNDS = 16;

  private record Candidate(int slot, int db, byte[] key, long score) {}

  private static final Comparator<Candidate> BEST_FIRST =
      Comparator.comparingLong(Candidate::score)
          .thenComparingInt(Candidate::slot)
          .thenComparingInt(Candidate::db)
          .thenComparing(Candidate::key, Arrays::compareUnsigned);

  private final SlotClient slotClient;
  private final MemoryAccountant memory;
  private final NodeSettings settings;

  /** Guarded by this: the eviction in progress, and the pool with the policy it was filled by. */
  private CompletableFuture<Boolean> running;
  private final TreeSet<Candidate> pool = new TreeSet<>(BEST_FIRST);
  private String poolPolicy = "";

  public Evictor(SlotClient slotClient, MemoryAccountant memory, NodeSettings settings) {
    this.slotClient = slotClient;
    this.memory = memory;
    this.settings = settings;
  }

  /** Whether used memory is over a set maxmemory (compared unsigned, as Redis). */
  public boolean over() {
    long max = settings.maxMemory();
    return max != 0 && Long.compareUnsigned(memory.used(), max) > 0;
  }

  /** Whether the policy evicts at all. */
  public boolean evicts() {
    return !settings.maxMemoryPolicy().equals("noeviction");
  }

  /** True once used memory is under maxmemory; false if the policy finds nothing to evict. */
  public synchronized CompletionStage<Boolean> makeRoom() {
    if (!over()) {
      return CompletableFuture.completedFuture(true);
    }
    if (!evicts()) {
      return CompletableFuture.completedFuture(false);
    }
    CompletableFuture<Boolean> current = running;
    if (current == null) {
      current = new CompletableFuture<>();
      running = current;
      round(current, 0); // may finish at once, clearing running
    }
    return current;
  }

  private void finish(CompletableFuture<Boolean> done, boolean roomMade) {
    synchronized (this) {
      if (running == done) {
        running = null;
      }
    }
    done.complete(roomMade);
  }

  private void round(CompletableFuture<Boolean> done, int idleRounds) {
    if (!over()) {
      finish(done, true);
      return;
    }
    String policy = settings.maxMemoryPolicy();
    if (policy.equals("noeviction") || idleRounds >= MAX_IDLE_ROUNDS) {
      finish(done, false);
      return;
    }
    int samples = settings.maxMemorySamples();
    int[] slots = memory.pickSlots(samples, policy.startsWith("volatile-"));
    List<CompletableFuture<List<Candidate>>> asks = new ArrayList<>();
    for (int slot : Arrays.stream(slots).distinct().toArray()) {
      asks.add(
          slotClient
              .<SlotEntity.EvictionCandidates>ask(
                  slot, r -> new SlotEntity.SampleForEviction(policy, samples, r))
              .thenApply(
                  found ->
                      found.candidates().stream()
                          .map(c -> new Candidate(slot, c.db(), c.key(), c.score()))
                          .toList())
              .toCompletableFuture());
    }
    CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenCompose(
            v -> {
              Candidate best = fillPoolAndTakeBest(policy, asks);
              if (best == null) {
                return CompletableFuture.completedFuture(0L);
              }
              return slotClient.<Long>ask(
                  best.slot(),
                  r -> new SlotEntity.EvictKey(policy, best.db(), best.key(), best.score(), r));
            })
        .whenComplete(
            (freed, failure) -> {
              if (failure != null) {
                finish(done, false);
              } else {
                round(done, freed > 0 ? 0 : idleRounds + 1);
              }
            });
  }

  private synchronized Candidate fillPoolAndTakeBest(
      String policy, List<CompletableFuture<List<Candidate>>> asks) {
    if (!policy.equals(poolPolicy)) {
      pool.clear();
      poolPolicy = policy;
    }
    for (CompletableFuture<List<Candidate>> a : asks) {
      for (Candidate c : a.join()) {
        // The same key sampled again replaces its older entry (its score may have changed).
        pool.removeIf(p -> p.slot() == c.slot() && p.db() == c.db() && Arrays.equals(p.key(), c.key()));
        pool.add(c);
        if (pool.size() > POOL_SIZE) {
          pool.pollLast();
        }
      }
    }
    return pool.pollFirst();
  }
}
