package io.keyshard.node.server;

import org.apache.pekko.stream.KillSwitch;

/**
 * The state of one client connection: selected database, protocol version, authentication,
 * name. Touched only by the connection's stream, one request at a time and in order, except for
 * the read-only fields CLIENT LIST shows to other connections.
 */
public final class Session {
  public final long id;
  public final String addr;
  public final String laddr;
  public final long createdAt = System.currentTimeMillis();

  public volatile int db;
  public volatile int proto = 2;
  public volatile boolean authenticated;
  public volatile String user = "default";
  public volatile String name = "";
  public volatile String libName = "";
  public volatile String libVer = "";
  public volatile long lastCommandAt = createdAt;
  public volatile String lastCommand = "NULL";
  public volatile boolean noEvict;
  /** Set when the reply being produced is the last one (QUIT, CLIENT KILL of self, errors). */
  public volatile boolean closeAfterReply;

  volatile KillSwitch killSwitch;

  /** Set while a request of this connection waits for a node-wide permit (see RespServer). */
  volatile java.util.concurrent.CompletableFuture<Void> pendingDispatch;

  public Session(long id, String addr, String laddr, boolean authenticated) {
    this.id = id;
    this.addr = addr;
    this.laddr = laddr;
    this.authenticated = authenticated;
  }

  /** Closes the connection from outside its stream (CLIENT KILL, shutdown). */
  public void kill() {
    KillSwitch k = killSwitch;
    if (k != null) {
      k.shutdown();
    }
  }
}
