package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The exit watch's rule on real sockets: only an orderly close followed by a refused connection
 * to the same port proves that the process behind it exited.
 */
@Timeout(30)
class ExitWatchLinkTest {

  private static InetSocketAddress local(ServerSocket server) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  private static ServerSocket listen() throws Exception {
    return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  @Test
  void anOrderlyCloseAndThenARefusedPortIsAnExit() throws Exception {
    ServerSocket server = listen();
    ExitWatch.Link link = new ExitWatch.Link(local(server));
    CompletableFuture<Boolean> verdict = CompletableFuture.supplyAsync(link::awaitExit);
    Socket accepted = server.accept();
    // What the kernel does for a process that exits: its connections close, then its listener.
    accepted.close();
    server.close();
    assertTrue(verdict.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aListenerThatClosesAMomentAfterTheConnectionIsStillAnExit() throws Exception {
    ServerSocket server = listen();
    ExitWatch.Link link = new ExitWatch.Link(local(server));
    CompletableFuture<Boolean> verdict = CompletableFuture.supplyAsync(link::awaitExit);
    Socket accepted = server.accept();
    accepted.close();
    Thread.sleep(300); // the first probes are accepted (into the backlog) before the port closes
    server.close();
    assertTrue(verdict.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aClosedConnectionToAPortThatStillAcceptsIsNoExit() throws Exception {
    try (ServerSocket server = listen()) {
      ExitWatch.Link link = new ExitWatch.Link(local(server));
      CompletableFuture<Boolean> verdict = CompletableFuture.supplyAsync(link::awaitExit);
      server.accept().close();
      // The probes find the port open for their whole second.
      assertFalse(verdict.get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void aResetIsNoExitEvenIfThePortThenRefuses() throws Exception {
    ServerSocket server = listen();
    ExitWatch.Link link = new ExitWatch.Link(local(server));
    CompletableFuture<Boolean> verdict = CompletableFuture.supplyAsync(link::awaitExit);
    Socket accepted = server.accept();
    accepted.setSoLinger(true, 0); // close with RST, as a rejecting firewall answers
    accepted.close();
    server.close();
    assertFalse(verdict.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aPortThatNeverAcceptedIsNoExit() throws Exception {
    ServerSocket server = listen();
    InetSocketAddress address = local(server);
    server.close();
    assertFalse(new ExitWatch.Link(address).awaitExit(), "no connection was ever closed");
  }

  @Test
  void closingTheLinkEndsTheWaitWithoutAVerdict() throws Exception {
    try (ServerSocket server = listen()) {
      ExitWatch.Link link = new ExitWatch.Link(local(server));
      CompletableFuture<Boolean> verdict = CompletableFuture.supplyAsync(link::awaitExit);
      try (Socket accepted = server.accept()) {
        link.close();
        assertFalse(verdict.get(10, TimeUnit.SECONDS));
        assertTrue(link.closed());
        assertEquals(-1, accepted.getInputStream().read(), "the watched side saw the link close");
      }
    }
  }
}
