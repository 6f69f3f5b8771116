package io.keyshard.tools.importer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What the replication link has seen and the applier has still to do, in the order of the
 * stream. The link thread only appends (it must keep reading the source, or the source buffers
 * the stream and eventually drops the link); the applier takes one item at a time. Keys written
 * close together are gathered in one item, each key once however often it was written: a key is
 * copied again as it is on the source when its item is applied, which covers every write before.
 * An item's offset is where the stream stood after its last command: once it is applied, the
 * import has everything the source held up to there.
 */
final class LiveFeed {
  /** Keys gathered in one item at most (one pipelined copy). */
  static final int BATCH = 1000;

  /** A key in a database of the source. */
  record DbKey(int db, ByteBuffer key) {
    static DbKey of(int db, byte[] key) {
      return new DbKey(db, ByteBuffer.wrap(key));
    }

    byte[] bytes() {
      return key.array();
    }
  }

  /** Where the stream stood after an item: its replication id, offset and selected database. */
  record Position(String replId, long offset, int db) {}

  sealed interface Item permits Keys, Flush, Load, Rescan, Stop {}

  /** Keys to copy again from the source (an empty set: the stream only moved on). */
  static final class Keys implements Item {
    final Set<DbKey> keys = new LinkedHashSet<>();
    Position at;
  }

  /** FLUSHDB (db) or FLUSHALL (db null) on the source. */
  record Flush(Integer db, Position at) implements Item {}

  /** A full resynchronization: the RDB spooled to {@code spool}, the stream going on after {@code at}. */
  record Load(Path spool, long entries, long bytes, Position at) implements Item {}

  /** Notifications were lost (the subscription broke): walk the whole source again. */
  record Rescan(String why) implements Item {}

  /** The link cannot go on: the run stops (resumable) with {@code why}. */
  record Stop(String why, boolean resumable) implements Item {}

  private final ArrayDeque<Item> items = new ArrayDeque<>();
  private Keys open;
  private volatile Position received;

  /** Where the link has read up to. */
  Position received() {
    return received;
  }

  synchronized int pendingKeys() {
    int n = 0;
    for (Item i : items) {
      if (i instanceof Keys k) {
        n += k.keys.size();
      }
    }
    return n;
  }

  /** {@code key} was written by the command that ends at {@code at}. */
  synchronized void touch(int db, byte[] key, Position at) {
    if (open == null || open.keys.size() >= BATCH) {
      open = new Keys();
      items.add(open);
    }
    open.keys.add(DbKey.of(db, key));
    moved(at);
  }

  /** The stream moved on to {@code at} without a write to copy (PING, PUBLISH, SELECT). */
  synchronized void moved(Position at) {
    if (open == null) {
      open = new Keys();
      items.add(open);
    }
    open.at = at;
    received = at;
    notifyAll();
  }

  /** An item the keys before it must be applied before, and the keys after it after. */
  synchronized void barrier(Item item) {
    open = null;
    items.add(item);
    if (item instanceof Flush f) {
      received = f.at();
    } else if (item instanceof Load l) {
      received = l.at();
    }
    notifyAll();
  }

  /** The next item, waiting up to {@code millis} for one; null if none came. */
  synchronized Item take(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (items.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    Item next = items.poll();
    if (next == open) {
      open = null;
    }
    return next;
  }
}
