package io.keyshard.node.server;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/** The node's open connections, by client id (CLIENT LIST, CLIENT KILL, INFO clients). */
public final class ClientRegistry {
  private final AtomicLong nextId = new AtomicLong(1);
  private final Map<Long, Session> sessions = new ConcurrentSkipListMap<>();
  private final AtomicLong totalConnections = new AtomicLong();

  public long nextId() {
    return nextId.getAndIncrement();
  }

  public void add(Session s) {
    sessions.put(s.id, s);
    totalConnections.incrementAndGet();
  }

  public void remove(Session s) {
    sessions.remove(s.id);
  }

  public Collection<Session> all() {
    return sessions.values();
  }

  public Session get(long id) {
    return sessions.get(id);
  }

  public int size() {
    return sessions.size();
  }

  public long totalConnections() {
    return totalConnections.get();
  }
}
