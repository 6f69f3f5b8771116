package io.keyshard.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * The failover bench's probe: writes one key to each slot a killed node owned until each slot has
 * acknowledged a write, and notes when each did. A slot counts as served from the moment its first
 * write was acknowledged, so the result is the moment the last slot took one, not when a batch of
 * writes that also held refused ones came back: every slot is written and retried on its own
 * (small pipelines over several connections, a refused slot again 20 ms later), as a cluster
 * client would. A MOVED to a live node is followed.
 */
final class SlotProbe {
  private SlotProbe() {}

  /** When the last slot took a write, who serves each slot, and how the probe went. */
  record Result(long lastServedAt, Map<Integer, Integer> servedBy, String summary) {}

  private static final int WORKERS = 16;
  private static final int CHUNK = 16;

  static Result await(int askPort, int gonePort, List<Integer> slots, long started) throws Exception {
    String[] keys = ClusterProbe.keyPerSlot();
    Map<Integer, Integer> target = new ConcurrentHashMap<>();
    Map<Integer, Integer> servedBy = new ConcurrentHashMap<>();
    Map<Integer, Long> servedAt = new ConcurrentHashMap<>();
    LinkedBlockingQueue<Integer> ready = new LinkedBlockingQueue<>();
    CountDownLatch allServed = new CountDownLatch(slots.size());
    AtomicInteger movedToGone = new AtomicInteger();
    AtomicInteger movedElsewhere = new AtomicInteger();
    AtomicInteger otherErrors = new AtomicInteger();
    AtomicLong firstTargeted = new AtomicLong();
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      Thread t =
          new Thread(
              () -> {
                Map<Integer, Jedis> connections = new HashMap<>();
                try {
                  while (allServed.getCount() > 0) {
                    List<Integer> chunk = new ArrayList<>();
                    Integer first = ready.poll(20, TimeUnit.MILLISECONDS);
                    if (first == null) {
                      continue;
                    }
                    chunk.add(first);
                    ready.drainTo(chunk, CHUNK - 1);
                    Map<Integer, List<Integer>> byPort = new HashMap<>();
                    for (int slot : chunk) {
                      byPort.computeIfAbsent(target.get(slot), p -> new ArrayList<>()).add(slot);
                    }
                    for (Map.Entry<Integer, List<Integer>> e : byPort.entrySet()) {
                      int port = e.getKey();
                      List<Integer> group = e.getValue();
                      try {
                        Jedis j = connections.computeIfAbsent(port, p -> new Jedis("127.0.0.1", p, 30_000));
                        Pipeline p = j.pipelined();
                        List<Response<String>> rs = new ArrayList<>();
                        for (int slot : group) {
                          rs.add(p.set(keys[slot], "ok"));
                        }
                        p.sync();
                        long now = System.currentTimeMillis();
                        for (int i = 0; i < group.size(); i++) {
                          int slot = group.get(i);
                          try {
                            rs.get(i).get();
                            servedAt.put(slot, now);
                            servedBy.put(slot, port);
                            allServed.countDown();
                          } catch (RuntimeException refused) {
                            String m = String.valueOf(refused.getMessage());
                            int movedTo = m.startsWith("MOVED ") ? Integer.parseInt(m.substring(m.lastIndexOf(':') + 1).trim()) : -1;
                            if (movedTo > 0 && movedTo != gonePort) {
                              movedElsewhere.incrementAndGet();
                              target.put(slot, movedTo);
                            } else if (movedTo > 0) {
                              movedToGone.incrementAndGet();
                            } else {
                              otherErrors.incrementAndGet();
                            }
                            later.schedule(() -> ready.offer(slot), 20, TimeUnit.MILLISECONDS);
                          }
                        }
                      } catch (RuntimeException unreachable) {
                        otherErrors.addAndGet(group.size());
                        Jedis broken = connections.remove(port);
                        if (broken != null) {
                          try {
                            broken.close();
                          } catch (RuntimeException ignored) {
                            // already broken
                          }
                        }
                        group.forEach(slot -> later.schedule(() -> ready.offer(slot), 50, TimeUnit.MILLISECONDS));
                      }
                    }
                  }
                } catch (InterruptedException stop) {
                  Thread.currentThread().interrupt();
                } finally {
                  connections.values().forEach(Jedis::close);
                }
              },
              "slot-probe-" + w);
      t.setDaemon(true);
      t.start();
      workers.add(t);
    }
    try {
      // Each slot is written from the moment a survivor's CLUSTER SLOTS names a live owner.
      long until = System.currentTimeMillis() + 180_000;
      while (target.size() < slots.size() && System.currentTimeMillis() < until) {
        try {
          Map<Integer, Integer> owner = ClusterProbe.ownerBySlot(askPort);
          for (int slot : slots) {
            Integer port = owner.get(slot);
            if (port != null && port != gonePort && target.putIfAbsent(slot, port) == null) {
              firstTargeted.compareAndSet(0, System.currentTimeMillis());
              ready.offer(slot);
            }
          }
        } catch (RuntimeException notYet) {
          // again
        }
        if (target.size() < slots.size()) {
          Thread.sleep(100);
        }
      }
      if (!allServed.await(Math.max(1, until - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            "slots not all served within 180 s: " + (slots.size() - servedAt.size()) + " of " + slots.size() + " never took a write");
      }
    } finally {
      workers.forEach(Thread::interrupt);
      later.shutdownNow();
    }
    long[] times = servedAt.values().stream().mapToLong(Long::longValue).sorted().toArray();
    String summary =
        String.format(
            "CLUSTER SLOTS moved them %.1f s after the kill; first slot took a write at %.1f s, half at %.1f s, the last at %.1f s; refused: %d MOVED to the dead node, %d MOVED elsewhere (followed), %d other errors",
            (firstTargeted.get() - started) / 1000.0,
            (times[0] - started) / 1000.0,
            (times[times.length / 2] - started) / 1000.0,
            (times[times.length - 1] - started) / 1000.0,
            movedToGone.get(),
            movedElsewhere.get(),
            otherErrors.get());
    return new Result(times[times.length - 1], servedBy, summary);
  }
}
