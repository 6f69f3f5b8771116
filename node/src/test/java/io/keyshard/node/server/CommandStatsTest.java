package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.protocol.CommandTable;
import io.keyshard.protocol.Reply;
import org.junit.jupiter.api.Test;

/** The rules measured on redis-server 7.0.15 (docs/decisions/2026-12-08-command-stats.md). */
class CommandStatsTest {
  @Test
  void errorCodeIsTheFirstWordWithinThirtyTwoCharacters() {
    assertEquals("WRONGTYPE", CommandStats.code("WRONGTYPE Operation against a key"));
    assertEquals("MY_ERR_CODE", CommandStats.code("MY_ERR_CODE custom msg"));
    assertEquals("ERR", CommandStats.code("NOSPACEHERE"));
    assertEquals("ERR", CommandStats.code("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ x"));
    assertEquals("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDE", CommandStats.code("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDE x"));
  }

  @Test
  void countsAndResets() {
    CommandStats stats = new CommandStats();
    CommandTable table = CommandTable.standard();
    stats.ran(table.lookupFullName("get"), System.nanoTime(), Reply.NULL);
    stats.ran(table.lookupFullName("get"), System.nanoTime(), Reply.error("WRONGTYPE x"));
    stats.rejected(table.lookupFullName("config|set"));
    stats.error(Reply.error("WRONGTYPE x"));
    stats.error(Reply.error("NOSPACE"));
    String get = stats.commandLines().get("cmdstat_get");
    assertTrue(get.startsWith("calls=2,usec="), get);
    assertTrue(get.endsWith(",rejected_calls=0,failed_calls=1"), get);
    assertEquals("calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0", stats.commandLines().get("cmdstat_config|set"));
    assertEquals("count=1", stats.errorLines().get("errorstat_WRONGTYPE"));
    assertEquals("count=1", stats.errorLines().get("errorstat_ERR"));
    assertEquals(2, stats.totalErrors());
    assertTrue(stats.latencyLines().get("latency_percentiles_usec_get").matches("p50=[\\d.]+,p99=[\\d.]+,p99\\.9=[\\d.]+"));
    stats.reset();
    assertTrue(stats.commandLines().isEmpty() && stats.errorLines().isEmpty() && stats.latencyLines().isEmpty());
    assertEquals(0, stats.totalErrors());
  }

  @Test
  void percentilesAsRedisPrintsAndRefusesThem() {
    CommandStats stats = new CommandStats();
    assertEquals("50 99 99.9", stats.percentiles());
    assertNull(CommandStats.refusePercentiles("0 50.5 100"));
    stats.setPercentiles("0 50.5 100");
    assertEquals("0 50.5 100", stats.percentiles());
    assertEquals("Invalid latency-tracking-info-percentiles parameters", CommandStats.refusePercentiles("10.0 50.0 a"));
    assertEquals(
        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
        CommandStats.refusePercentiles("10 101"));
  }
}
