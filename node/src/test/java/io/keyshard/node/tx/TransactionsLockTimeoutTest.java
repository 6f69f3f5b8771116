package io.keyshard.node.tx;

import static io.keyshard.node.tx.TxTesting.slot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A transaction that gives up waiting for a slot's lock (its request timed out) must not take
 * that lock later: once the slot is free again it serves everyone, and the abandoned command
 * changed nothing, as its TRYAGAIN promised.
 *
 * <p>The node's request timeout is 300 ms; one client holds slot "a" with an EXEC of many
 * queued commands while another's cross-slot MSET waits for it. The EXEC grows until the MSET
 * does time out, so the test adapts to the machine instead of assuming its speed.
 */
class TransactionsLockTimeoutTest {
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node =
        TestNode.start(
            Files.createTempDirectory("keyshard-locktimeout"),
            Map.of("keyshard.request-timeout", "300ms"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aTimedOutLockRequestDoesNotKeepTheSlotLocked() throws Exception {
    assertTrue(slot("b") < slot("a"), "the MSET must lock b first, then wait for a");
    try (RawClient holder = new RawClient(node.port());
        RawClient waiter = new RawClient(node.port());
        RawClient probe = new RawClient(node.port())) {
      String msetReply = null;
      int queued = 0;
      for (int n = 5_000; n <= 640_000 && msetReply == null; n *= 2) {
        assertEquals("+OK", holder.call("MSET", "a", "0", "b", "0"));
        CompletableFuture<String> exec = execInBackground(holder, n);
        Thread.sleep(200);
        String r = waiter.call("MSET", "a", "w", "b", "w");
        String execReply = exec.get(5, TimeUnit.MINUTES);
        if (r.startsWith("-TRYAGAIN")) {
          // The MSET waited for the EXEC's lock and gave up: the case under test.
          assertTrue(execReply.startsWith("[:1, :2"), "holder's EXEC: " + abbreviate(execReply));
          msetReply = r;
          queued = n;
        } else {
          // The MSET ran before the EXEC took its locks (a loaded machine) or after it: either
          // way it succeeded, and a longer EXEC is tried.
          assertEquals("+OK", r);
        }
      }
      if (msetReply == null) {
        fail("the waiting MSET never timed out, so the abandoned-lock path was not exercised");
      }
      // The holder's EXEC is over: slot a must serve requests again (a few tries, for a slow box).
      String a = null;
      for (int i = 0; i < 5 && (a == null || a.startsWith("-TRYAGAIN")); i++) {
        a = probe.call("GET", "a");
      }
      assertEquals("\"" + queued + "\"", a, "slot a after the abandoned MSET (" + msetReply + ")");
      assertEquals("\"0\"", probe.call("GET", "b"), "the timed-out MSET changed nothing");
      assertEquals("+OK", probe.call("MSET", "a", "x", "b", "y"));
      assertEquals("[\"x\", \"y\"]", probe.call("MGET", "a", "b"));
    }
  }

  /** Queues {@code n} INCR a, then sends EXEC; the future completes with EXEC's reply. */
  private static CompletableFuture<String> execInBackground(RawClient c, int n) throws Exception {
    assertEquals("+OK", c.call("MULTI"));
    byte[][] incr = {bytes("INCR"), bytes("a")};
    // In chunks, so neither side's socket buffer fills while the other waits.
    for (int done = 0; done < n; done += 1_000) {
      int chunk = Math.min(1_000, n - done);
      for (int i = 0; i < chunk; i++) {
        c.send(incr);
      }
      List<String> replies = new ArrayList<>();
      for (int i = 0; i < chunk; i++) {
        replies.add(c.readReply());
      }
      assertTrue(replies.stream().allMatch("+QUEUED"::equals), "every INCR queued");
    }
    c.send(bytes("EXEC"));
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return c.readReply();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }
}
