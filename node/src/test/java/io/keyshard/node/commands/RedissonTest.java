package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RMap;
import org.redisson.api.RRateLimiter;
import org.redisson.api.RSemaphore;
import org.redisson.api.RTopic;
import org.redisson.api.RateType;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Redisson (its Lua scripts and its Pub/Sub) against a standalone node: RLock (lock, tryLock with
 * a lease, unlock, waiting for another holder, the fair lock's order), RSemaphore, RRateLimiter,
 * RMap and RTopic. {@link #exercise} is the same body the cluster test runs.
 */
@Timeout(180)
public class RedissonTest {
  private static TestNode node;
  private static RedissonClient redisson;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(Files.createTempDirectory("keyshard-redisson"), Map.of());
    Config config = new Config();
    config.useSingleServer().setAddress("redis://127.0.0.1:" + node.port());
    redisson = Redisson.create(config);
  }

  @AfterAll
  static void stop() throws Exception {
    if (redisson != null) {
      redisson.shutdown();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void locksSemaphoresRateLimitersMapsAndTopicsWork() throws Exception {
    exercise(redisson, "standalone");
  }

  /** Every structure the issue names, each checked by what another client sees. */
  public static void exercise(RedissonClient r, String tag) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      locks(r, tag, pool);
      fairLock(r, tag, pool);
      semaphore(r, tag);
      rateLimiter(r, tag);
      map(r, tag);
      topic(r, tag);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void locks(RedissonClient r, String tag, ExecutorService pool) throws Exception {
    RLock lock = r.getLock(tag + ":lock");
    lock.lock();
    assertTrue(lock.isLocked());
    assertTrue(lock.isHeldByCurrentThread());
    // Another thread waits for it (Redisson waits on a Pub/Sub message of the unlock).
    Future<Boolean> waiter =
        pool.submit(
            () -> {
              RLock same = r.getLock(tag + ":lock");
              boolean got = same.tryLock(20, 10, TimeUnit.SECONDS);
              if (got) {
                same.unlock();
              }
              return got;
            });
    Thread.sleep(300);
    assertFalse(waiter.isDone(), "the other thread took a held lock");
    lock.unlock();
    assertTrue(waiter.get(20, TimeUnit.SECONDS), "the waiter never got the lock after the unlock");
    assertFalse(lock.isLocked());

    // A lease ends the lock by itself: another thread gets it once it expires.
    assertTrue(lock.tryLock(0, 1, TimeUnit.SECONDS));
    long start = System.nanoTime();
    Future<Boolean> afterLease =
        pool.submit(
            () -> {
              RLock same = r.getLock(tag + ":lock");
              boolean got = same.tryLock(10, 5, TimeUnit.SECONDS);
              if (got) {
                same.unlock();
              }
              return got;
            });
    assertTrue(afterLease.get(20, TimeUnit.SECONDS), "the lease did not end the lock");
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(800), "got the lock before the lease ended");

    // Reentrant: two holds need two unlocks.
    lock.lock();
    lock.lock();
    assertEquals(2, lock.getHoldCount());
    lock.unlock();
    assertTrue(lock.isLocked());
    lock.unlock();
    assertFalse(lock.isLocked());
  }

  private static void fairLock(RedissonClient r, String tag, ExecutorService pool) throws Exception {
    RLock fair = r.getFairLock(tag + ":fair");
    fair.lock();
    List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Future<?>> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int n = i;
      waiting.add(
          pool.submit(
              () -> {
                RLock mine = r.getFairLock(tag + ":fair");
                mine.lock();
                order.add(n);
                mine.unlock();
                return null;
              }));
      Thread.sleep(300); // queued in this order
    }
    fair.unlock();
    for (Future<?> f : waiting) {
      f.get(30, TimeUnit.SECONDS);
    }
    assertEquals(List.of(0, 1, 2), order, "the fair lock served its waiters out of order");
  }

  private static void semaphore(RedissonClient r, String tag) throws Exception {
    RSemaphore sem = r.getSemaphore(tag + ":sem");
    assertTrue(sem.trySetPermits(2));
    sem.acquire();
    sem.acquire();
    assertFalse(sem.tryAcquire(), "a third permit out of two");
    assertEquals(0, sem.availablePermits());
    sem.release();
    assertTrue(sem.tryAcquire(1, TimeUnit.SECONDS));
    sem.release(2);
    assertEquals(2, sem.availablePermits());
  }

  private static void rateLimiter(RedissonClient r, String tag) {
    RRateLimiter limiter = r.getRateLimiter(tag + ":rate");
    assertTrue(limiter.trySetRate(RateType.OVERALL, 5, java.time.Duration.ofSeconds(10)));
    int granted = 0;
    for (int i = 0; i < 8; i++) {
      if (limiter.tryAcquire()) {
        granted++;
      }
    }
    assertEquals(5, granted, "5 permits per 10 s");
    assertEquals(0, limiter.availablePermits());
  }

  private static void map(RedissonClient r, String tag) {
    // Numbers as text, so that HINCRBYFLOAT (addAndGet) reads them, as with Redis.
    RMap<String, String> map = r.getMap(tag + ":map", org.redisson.client.codec.StringCodec.INSTANCE);
    assertEquals(null, map.put("a", "1"));
    assertEquals("1", map.put("a", "2"));
    assertEquals(null, map.putIfAbsent("b", "3"));
    assertEquals("3", map.putIfAbsent("b", "4"));
    assertTrue(map.fastPut("c", "5"));
    assertEquals(3, map.size());
    assertEquals(Map.of("a", "2", "b", "3", "c", "5"), map.readAllMap());
    Object added = map.addAndGet("c", 7); // Redisson answers in the delta's type
    assertEquals("12", String.valueOf(added));
    assertEquals("2", map.remove("a"));
    assertTrue(map.replace("b", "3", "30"));
    assertEquals(Map.of("b", "30", "c", "12"), Map.copyOf(map));
    assertEquals(2, map.fastRemove("b", "c", "none"));
    assertTrue(map.isEmpty());
  }

  private static void topic(RedissonClient r, String tag) throws Exception {
    RTopic topic = r.getTopic(tag + ":topic");
    CountDownLatch received = new CountDownLatch(100);
    AtomicInteger outOfOrder = new AtomicInteger();
    AtomicInteger last = new AtomicInteger(-1);
    int id =
        topic.addListener(
            Integer.class,
            (channel, msg) -> {
              if (msg != last.get() + 1) {
                outOfOrder.incrementAndGet();
              }
              last.set(msg);
              received.countDown();
            });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (topic.countSubscribers() < 1) {
      assertTrue(System.nanoTime() < deadline, "the listener never subscribed");
      Thread.sleep(20);
    }
    for (int i = 0; i < 100; i++) {
      topic.publish(i);
    }
    assertTrue(received.await(20, TimeUnit.SECONDS), "messages received: " + (100 - received.getCount()));
    assertEquals(0, outOfOrder.get());
    topic.removeListener(id);
  }
}
