package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client that keeps writing while a backup is taken, so that the test can tell what the cut
 * must hold: SET {w}:n (n = 0, 1, 2 ...) one after another in one slot, and, where cross-slot
 * writes exist (standalone), MSET {x}:n n {y}:n n across two slots. Whatever the backup holds of
 * them must be a prefix of each sequence (a write is never in it without the earlier ones), and
 * each MSET wholly or not at all.
 */
final class CutWriter implements AutoCloseable {
  private final Keyspace ks;
  private final boolean crossSlot;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong written = new AtomicLong();
  private final Thread thread;
  private volatile Throwable failure;

  CutWriter(int[] ports, boolean crossSlot) {
    this.ks = new Keyspace(ports);
    this.crossSlot = crossSlot;
    this.thread = new Thread(this::run, "cut-writer");
    thread.start();
  }

  private void run() {
    try {
      for (long n = 0; !stop.get(); n++) {
        ks.at(0, "{w}:" + n).set("{w}:" + n, Long.toString(n));
        if (crossSlot) {
          ks.at(0, "{x}:" + n).mset("{x}:" + n, Long.toString(n), "{y}:" + n, Long.toString(n));
        }
        written.set(n + 1);
      }
    } catch (Throwable t) {
      failure = t;
    }
  }

  long written() {
    return written.get();
  }

  @Override
  public void close() throws Exception {
    stop.set(true);
    thread.join(30_000);
    ks.close();
    if (failure != null) {
      throw new AssertionError("the writer failed", failure);
    }
  }

  /**
   * Checks that what {@code restored} holds of the writer's keys is a prefix of each sequence and
   * that every MSET is whole, removes them from it, and answers how many SETs it held.
   */
  static long checkAndRemove(Map<String, Keyspace.Read> restored) {
    TreeSet<Long> w = new TreeSet<>();
    TreeSet<Long> x = new TreeSet<>();
    TreeSet<Long> y = new TreeSet<>();
    for (Iterator<Map.Entry<String, Keyspace.Read>> it = restored.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Keyspace.Read> e = it.next();
      String key = e.getKey();
      TreeSet<Long> into = key.startsWith("{w}:") ? w : key.startsWith("{x}:") ? x : key.startsWith("{y}:") ? y : null;
      if (into == null) {
        continue;
      }
      long n = Long.parseLong(key.substring(4));
      assertEquals(Long.toString(n), e.getValue().value(), key);
      into.add(n);
      it.remove();
    }
    assertPrefix("{w}", w);
    assertPrefix("{x}", x);
    assertEquals(x, y, "every MSET {x}:n {y}:n wholly in the backup or wholly out");
    return w.size();
  }

  private static void assertPrefix(String what, TreeSet<Long> ns) {
    assertTrue(ns.isEmpty() || (ns.first() == 0 && ns.last() == ns.size() - 1),
        what + ": the backup holds " + ns.size() + " of its writes, not a prefix (first " + (ns.isEmpty() ? "-" : ns.first())
            + ", last " + (ns.isEmpty() ? "-" : ns.last()) + ")");
  }
}
