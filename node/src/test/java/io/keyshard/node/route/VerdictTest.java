package io.keyshard.node.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.route.Verdict.Retry;
import io.keyshard.protocol.Reply;
import org.junit.jupiter.api.Test;

/** The refusal texts on the wire: clients match on them, so they are pinned here. */
class VerdictTest {
  @Test
  void redirectsAndRefusalsRenderRedisClustersTexts() {
    assertEquals(Reply.error("MOVED 5 10.0.0.2:7001"), new Verdict.Moved(5, "10.0.0.2:7001").reply());
    assertEquals("ASK 5 10.0.0.2:7001", new Verdict.Ask(5, "10.0.0.2:7001").text());
    assertEquals("CROSSSLOT Keys in request don't hash to the same slot", Verdict.CROSS_SLOT.text());
    assertEquals("CLUSTERDOWN The cluster is down", Verdict.CLUSTER_DOWN.text());
    assertEquals("CLUSTERDOWN Hash slot not served", Verdict.SLOT_NOT_SERVED.text());
    assertEquals(
        "TRYAGAIN journal unavailable, the write was not applied", Verdict.JOURNAL_NOT_APPLIED.text());
    assertEquals(
        "TRYAGAIN slot is recovering from the journal, the command was not run",
        Verdict.JOURNAL_RECOVERING.text());
    assertEquals(
        "TRYAGAIN slot 12 changed epoch, please retry",
        Verdict.tryAgain(Retry.EPOCH_CHANGED, "12").text());
    assertEquals(
        "TRYAGAIN slot did not answer in time; nothing was written",
        Verdict.tryAgain(Retry.SLOT_TIMEOUT).text());
    assertEquals("TRYAGAIN TimeoutException", Verdict.tryAgain(Retry.TX_SLOT_FAILED, "TimeoutException").text());
    assertEquals(
        "TRYAGAIN the owner of this slot (h:1) did not answer: refused",
        new Verdict.OwnerUnreachable("h:1", "refused").text());
    assertTrue(new Verdict.NoScript().text().startsWith("NOSCRIPT "));
    assertTrue(new Verdict.Loading().text().startsWith("LOADING "));
    assertEquals(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        new Verdict.Busy(false).text());
    assertEquals(
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
        new Verdict.Busy(true).text());
    assertEquals(
        "TRYAGAIN Multiple keys request during rehashing of slot", Verdict.tryAgain(Retry.MIGRATING).text());
  }

  @Test
  void routingOutcomesAreNotRefusals() {
    assertFalse(Verdict.SERVED_HERE.refuses());
    assertFalse(new Verdict.Parked(3).refuses());
    assertFalse(new Verdict.Proxied("h", 1).refuses());
    assertFalse(new Verdict.Forwarded(3, "h", 1, 7).refuses());
    assertFalse(new Verdict.ReplicaRead("p", 3, Verdict.SLOT_NOT_SERVED).refuses());
    assertTrue(new Verdict.Moved(3, "h:1").refuses());
  }
}
