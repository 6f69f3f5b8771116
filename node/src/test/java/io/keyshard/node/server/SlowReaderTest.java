package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that pipelines 1,000,000 GETs of a 1 MB value and never reads a reply (issue 7). Served
 * naively that is 1 TB of replies; Redis itself would buffer them without bound by default. The
 * node stops reading a connection whose replies are not consumed, so its heap stays bounded and
 * other clients keep being served.
 *
 * <p>Heap is measured in this JVM, where the node runs, as the live heap: a sampler asks for a
 * full GC before each reading, so garbage the collector has not yet reclaimed does not count.
 * Asserted: the peak exceeds the baseline measured before the slow client connected by less than
 * 128 MB. By design one connection holds at most {@code pipeline-depth} (32) replies of 1 MB in
 * mapAsync, one more being coalesced for the socket, one being written, and the decoded requests
 * of the reads in flight (22 bytes each): about 35 MB, so the bound leaves room for the
 * collector's timing while failing both a naive server (1 TB) and the write batch bounded in
 * replies rather than bytes that this test caught (256 replies of 1 MB: 290 MB over baseline).
 * Printed: the baseline and the peak measured.
 */
@Timeout(300)
class SlowReaderTest {
  private static final int VALUE_SIZE = 1024 * 1024;
  private static final int REQUESTS = 1_000_000;
  private static final long GROWTH_BOUND = 128L * 1024 * 1024;

  @Test
  void aClientThatNeverReadsCannotGrowTheHeap() throws Exception {
    try (TestNode node = TestNode.start()) {
      byte[] value = new byte[VALUE_SIZE];
      Arrays.fill(value, (byte) 'v');
      try (RawClient setup = new RawClient(node.port())) {
        assertEquals("+OK", setup.call("SET".getBytes(StandardCharsets.US_ASCII),
            "big".getBytes(StandardCharsets.US_ASCII), value));
      }

      HeapSampler heap = new HeapSampler();
      long baseline = heap.liveNow();
      heap.start();
      byte[] get = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".getBytes(StandardCharsets.US_ASCII);
      AtomicLong written = new AtomicLong();
      AtomicBoolean writerDone = new AtomicBoolean();
      try (Socket slow = new Socket("127.0.0.1", node.port())) {
        slow.setReceiveBufferSize(64 * 1024);
        Thread writer =
            new Thread(
                () -> {
                  // 1,000 GETs per write; the write blocks once the node stops reading.
                  byte[] batch = new byte[get.length * 1000];
                  for (int i = 0; i < 1000; i++) {
                    System.arraycopy(get, 0, batch, i * get.length, get.length);
                  }
                  try {
                    OutputStream out = slow.getOutputStream();
                    for (int sent = 0; sent < REQUESTS; sent += 1000) {
                      out.write(batch);
                      written.addAndGet(1000);
                    }
                  } catch (IOException closedByTheTest) {
                    // the test closes the socket while the write is blocked
                  } finally {
                    writerDone.set(true);
                  }
                },
                "slow-reader-writer");
        writer.setDaemon(true);
        writer.start();

        // Wait until the writer is blocked: nothing more written for 3 s.
        long last = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() - stableSince < 3_000_000_000L && !writerDone.get()) {
          Thread.sleep(200);
          long now = written.get();
          if (now != last) {
            last = now;
            stableSince = System.nanoTime();
          }
        }
        long requestsWritten = written.get();
        System.out.printf(
            "slow reader: %,d of %,d GETs written before the socket blocked (%s)%n",
            requestsWritten, REQUESTS, writerDone.get() ? "writer finished" : "writer blocked");
        assertTrue(!writerDone.get(), "the node kept reading requests whose replies nobody reads");

        // Other clients are served meanwhile, including GETs of the same big value.
        try (RawClient other = new RawClient(node.port())) {
          for (int i = 0; i < 5; i++) {
            assertEquals("+PONG", other.call("PING"));
            assertEquals("\"v\"", other.call("ECHO", "v"));
            assertEquals(":" + VALUE_SIZE, other.call("STRLEN", "big"));
            Thread.sleep(500);
          }
        }
        // Still blocked: the node has not resumed reading the slow client behind our back.
        assertEquals(requestsWritten, written.get(), "requests written while nobody reads");
      }
      // The slow client is gone; its memory is given back and the node serves as before.
      try (RawClient after = new RawClient(node.port())) {
        assertEquals("+PONG", after.call("PING"));
      }
      heap.stop();
      System.out.printf(
          "slow reader: live heap %,d MB before, peak %,d MB (growth bound %,d MB)%n",
          baseline >> 20, heap.peak() >> 20, GROWTH_BOUND >> 20);
      assertTrue(heap.samples() >= 3, "heap sampled " + heap.samples() + " times");
      assertTrue(heap.peak() - baseline < GROWTH_BOUND,
          "live heap grew from " + (baseline >> 20) + " MB to " + (heap.peak() >> 20) + " MB");
    }
  }

  /** Samples the live heap (after a full GC) every 500 ms on its own thread. */
  private static final class HeapSampler {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final Thread thread = new Thread(this::run, "heap-sampler");
    private volatile boolean running = true;

    void start() {
      thread.setDaemon(true);
      thread.start();
    }

    long liveNow() {
      memory.gc();
      return memory.getHeapMemoryUsage().getUsed();
    }

    private void run() {
      while (running) {
        peak.accumulateAndGet(liveNow(), Math::max);
        samples.incrementAndGet();
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void stop() throws InterruptedException {
      running = false;
      thread.interrupt();
      thread.join();
    }

    long peak() {
      return peak.get();
    }

    long samples() {
      return samples.get();
    }
  }
}
