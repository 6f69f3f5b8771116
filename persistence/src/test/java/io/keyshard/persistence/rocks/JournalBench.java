package io.keyshard.persistence.rocks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Events/s of the RocksDB store with appendfsync always (and the other modes for comparison):
 * W writers, each a persistence id that writes one 100-byte event and waits for its
 * acknowledgement before the next, as a slot does. Prints the WAL syncs RocksDB counted
 * (WAL_FILE_SYNCED). A main, not a test: numbers depend on the machine.
 *
 * <pre>
 * mvn -o -q -pl persistence -am test-compile
 * java -cp "persistence/target/test-classes:persistence/target/classes:$(cat cp.txt)" \
 *   io.keyshard.persistence.rocks.JournalBench [seconds-per-run] [dir]
 * </pre>
 * (cp.txt from {@code mvn -o -q -pl persistence dependency:build-classpath -Dmdep.outputFile=cp.txt}.)
 */
public final class JournalBench {
  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    Path base = args.length > 1 ? Path.of(args[1]) : TempDirs.create("rocks-bench");
    System.out.printf("%-9s %8s %12s %10s %12s %14s%n",
        "mode", "writers", "events", "events/s", "WAL syncs", "events/sync");
    for (AppendFsync mode : AppendFsync.values()) {
      for (int writers : new int[] {1, 16, 256}) {
        Path dir = base.resolve(mode.redisName() + "-" + writers);
        run(dir, mode, writers, seconds);
        TempDirs.delete(dir);
      }
    }
  }

  private static void run(Path dir, AppendFsync mode, int writers, double seconds)
      throws Exception {
    RocksSettings settings = new RocksSettings(dir, mode, 64L << 20, 32L << 20, 4096,
        Duration.ofSeconds(1), Duration.ofMillis(200));
    RocksStore store = RocksStore.acquire(settings);
    try {
      byte[] event = new byte[100];
      AtomicLong events = new AtomicLong();
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      CountDownLatch done = new CountDownLatch(writers);
      long syncsBefore = store.walSyncs();
      long start = System.nanoTime();
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String pid = "slot-" + w;
        Thread t = new Thread(() -> {
          try {
            for (long seqNr = 1; System.nanoTime() < deadline; seqNr++) {
              store.write(new WriteOp.Append(List.of(
                  new WriteOp.Events(pid, seqNr, seqNr, List.of(event))))).get();
              events.incrementAndGet();
            }
          } catch (Exception e) {
            e.printStackTrace();
          } finally {
            done.countDown();
          }
        });
        threads.add(t);
        t.start();
      }
      done.await();
      double elapsed = (System.nanoTime() - start) / 1e9;
      long syncs = store.walSyncs() - syncsBefore;
      System.out.printf("%-9s %8d %12d %10.0f %12d %14.1f%n", mode.redisName(), writers,
          events.get(), events.get() / elapsed, syncs,
          syncs == 0 ? 0.0 : (double) events.get() / syncs);
    } finally {
      store.release();
    }
  }
}
