package io.keyshard.node.server;

import java.util.concurrent.atomic.AtomicLong;

/** Counters INFO stats reports; CONFIG RESETSTAT zeroes them. */
public final class ServerStats {
  public final long startedAt = System.currentTimeMillis();
  public final AtomicLong commandsProcessed = new AtomicLong();
  public final AtomicLong connectionsReceived = new AtomicLong();
  public final AtomicLong rejectedConnections = new AtomicLong();
  public final AtomicLong netInputBytes = new AtomicLong();
  public final AtomicLong netOutputBytes = new AtomicLong();
  public final AtomicLong protocolErrors = new AtomicLong();
  /** Per-command counters, error codes, total_error_replies, latency (INFO commandstats ...). */
  public final CommandStats commands = new CommandStats();
  public volatile long lastSave = System.currentTimeMillis() / 1000;

  public void reset() {
    commandsProcessed.set(0);
    connectionsReceived.set(0);
    rejectedConnections.set(0);
    netInputBytes.set(0);
    netOutputBytes.set(0);
    protocolErrors.set(0);
    commands.reset();
  }
}
