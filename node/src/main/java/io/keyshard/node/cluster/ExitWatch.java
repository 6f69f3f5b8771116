package io.keyshard.node.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downs a member whose process has exited, without waiting for the failure detector and the split
 * brain resolver (docs/decisions/2026-11-22-exit-watch.md).
 *
 * <p>This node holds one idle TCP connection to the cluster bus port of every other Up member and
 * never sends on it. When the member's process ends (kill -9, a crash, the OOM killer), its kernel
 * closes the connection in order (FIN: the member never had unread bytes from us) and from then on
 * refuses connections to the port. Only that pair, an orderly close followed by a refused
 * connection to the same port, counts as proof: a frozen process (SIGSTOP, a long GC pause) keeps
 * its connections and its kernel still accepts; a partition, a dead host or a dropping firewall
 * closes nothing; a rejecting firewall resets rather than closes. A proven exit of a member that
 * is still Up with the same incarnation is downed at once; everything else is left to the
 * resolver. A member that leaves cleanly is Leaving or Exiting before its port closes, and is
 * not downed.
 */
public final class ExitWatch {
  private static final Logger log = LoggerFactory.getLogger(ExitWatch.class);
  private static final int CONNECT_TIMEOUT_MS = 1000;
  private static final int PROBES = 10;
  private static final long PROBE_INTERVAL_MS = 100;

  private final ActorSystem<?> system;
  private final Cluster cluster;
  private final Map<UniqueAddress, Watch> watches = new HashMap<>();

  private ExitWatch(ActorSystem<?> system) {
    this.system = system;
    this.cluster = Cluster.get(system);
  }

  /** Starts watching the members as they come Up, until the actor system terminates. */
  public static void start(ActorSystem<?> system) {
    ExitWatch w = new ExitWatch(system);
    Thread t = new Thread(w::run, "keyshard-exit-watch");
    t.setDaemon(true);
    t.start();
  }

  private void run() {
    while (!system.whenTerminated().isCompleted()) {
      try {
        reconcile();
        Thread.sleep(250);
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        log.warn("Exit watch: {}", e.toString());
      }
    }
    watches.values().forEach(Watch::stop);
  }

  /** One watch per other Up member; watches of members no longer Up end. */
  private void reconcile() {
    Set<UniqueAddress> up = new HashSet<>();
    UniqueAddress self = cluster.selfMember().uniqueAddress();
    for (Member m : cluster.state().getMembers()) {
      if (isUp(m) && !m.uniqueAddress().equals(self)) {
        up.add(m.uniqueAddress());
      }
    }
    watches.entrySet().removeIf(
        e -> {
          if (up.contains(e.getKey()) && e.getValue().isAlive()) {
            return false;
          }
          e.getValue().stop();
          return true;
        });
    for (UniqueAddress u : up) {
      if (!watches.containsKey(u)) {
        Watch w = new Watch(u);
        watches.put(u, w);
        w.start();
      }
    }
  }

  private static boolean isUp(Member m) {
    return m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp();
  }

  /** Whether {@code u} is still a member, Up, with that incarnation. */
  private boolean stillUp(UniqueAddress u) {
    for (Member m : cluster.state().getMembers()) {
      if (m.uniqueAddress().equals(u)) {
        return isUp(m);
      }
    }
    return false;
  }

  /** The watch of one member, on a thread of its own that blocks reading its link. */
  private final class Watch implements Runnable {
    private final Thread thread;
    private final UniqueAddress member;
    private final Link link;

    Watch(UniqueAddress member) {
      this.thread = new Thread(this, "keyshard-exit-watch-" + member.address().hostPort());
      thread.setDaemon(true);
      this.member = member;
      Address a = member.address();
      this.link = new Link(new InetSocketAddress(a.host().get(), (Integer) a.port().get()));
    }

    void start() {
      thread.start();
    }

    boolean isAlive() {
      return thread.isAlive();
    }

    void stop() {
      link.close();
    }

    @Override
    public void run() {
      while (!link.closed()) {
        if (link.awaitExit()) {
          if (stillUp(member)) {
            log.warn(
                "Member {} exited (its cluster bus connection closed and its port refuses connections): downing it",
                member.address());
            cluster.manager().tell(new Down(member.address()));
          }
          return;
        }
        if (!link.pause(1000)) {
          return;
        }
      }
    }
  }

  /**
   * An idle connection to one port, and the rule that says the process behind it exited: the
   * connection closed in order, then the port refused a connection.
   */
  static final class Link {
    private final InetSocketAddress address;
    private volatile boolean closed;
    private volatile Socket socket;

    Link(InetSocketAddress address) {
      this.address = address;
    }

    /**
     * Connects, blocks until the connection ends, and says whether that proves the process
     * exited. False: not connected, reset, closed while the port still accepts, or {@link #close}.
     */
    boolean awaitExit() {
      try (Socket s = new Socket()) {
        socket = s;
        if (closed) {
          return false;
        }
        s.connect(address, CONNECT_TIMEOUT_MS);
        InputStream in = s.getInputStream();
        // The member never writes to us; a byte would not be ours to read, so skip it.
        while (in.read() != -1) {
          // until the close
        }
      } catch (IOException notConnectedResetOrClosed) {
        return false;
      }
      return !closed && refused();
    }

    /**
     * Whether the port refuses connections within about a second. An exiting process closes its
     * connections before its listening socket, so the first tries may still be accepted.
     */
    private boolean refused() {
      for (int i = 0; i < PROBES && !closed; i++) {
        try (Socket probe = new Socket()) {
          probe.connect(address, CONNECT_TIMEOUT_MS);
        } catch (ConnectException e) {
          return true;
        } catch (IOException e) {
          return false; // a timeout or no route: no proof
        }
        if (!pause(PROBE_INTERVAL_MS)) {
          return false;
        }
      }
      return false;
    }

    boolean closed() {
      return closed;
    }

    /** Ends {@link #awaitExit} at once (false), now and from now on. */
    void close() {
      closed = true;
      Socket s = socket;
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }

    /** Sleeps; false if closed meanwhile. */
    boolean pause(long ms) {
      try {
        Thread.sleep(ms);
        return !closed;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }
}
