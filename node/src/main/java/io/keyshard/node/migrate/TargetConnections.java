package io.keyshard.node.migrate;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * MIGRATE's connections kept for reuse, as Redis caches its migrate sockets: by host:port, idle
 * ones closed after 10 s, at most 64 kept. Unlike Redis's one socket per target, a connection
 * is taken out while a MIGRATE uses it, so two MIGRATEs to the same target at once (of
 * different slots) each get their own. A connection that failed is closed, never given back.
 */
final class TargetConnections {
  static final long IDLE_MILLIS = 10_000;
  static final int MAX_IDLE = 64;

  private final Map<String, Deque<TargetConnection>> idle = new HashMap<>();
  private int idleCount;
  private boolean closed;

  /** A connection kept from earlier, or a new one (connected within {@code timeoutMs}). */
  TargetConnection take(String host, int port, long timeoutMs) throws IOException {
    synchronized (this) {
      closeIdle(System.currentTimeMillis());
      Deque<TargetConnection> kept = idle.get(host + ":" + port);
      if (kept != null && !kept.isEmpty()) {
        idleCount--;
        return kept.pollFirst();
      }
    }
    return TargetConnection.open(host, port, timeoutMs);
  }

  /** Keeps a connection that is fine for another MIGRATE. */
  void giveBack(String host, int port, TargetConnection c) {
    c.lastUsedAt = System.currentTimeMillis();
    synchronized (this) {
      if (!closed && idleCount < MAX_IDLE) {
        idle.computeIfAbsent(host + ":" + port, k -> new ArrayDeque<>()).addFirst(c);
        idleCount++;
        return;
      }
    }
    c.close();
  }

  /** Closes connections idle for more than 10 s (called every second, and on each take). */
  synchronized void closeIdle(long now) {
    for (Iterator<Deque<TargetConnection>> it = idle.values().iterator(); it.hasNext(); ) {
      Deque<TargetConnection> kept = it.next();
      kept.removeIf(
          c -> {
            if (now - c.lastUsedAt > IDLE_MILLIS) {
              c.close();
              idleCount--;
              return true;
            }
            return false;
          });
      if (kept.isEmpty()) {
        it.remove();
      }
    }
  }

  synchronized void closeAll() {
    closed = true;
    idle.values().forEach(d -> d.forEach(TargetConnection::close));
    idle.clear();
    idleCount = 0;
  }
}
