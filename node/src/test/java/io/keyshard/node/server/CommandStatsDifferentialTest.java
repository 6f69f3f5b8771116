package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keyshard.node.testing.DifferentialTestBase;
import io.keyshard.node.testing.RawClient;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * INFO commandstats and errorstats against a real redis-server: the same commands on both, then
 * every cmdstat line's calls, rejected_calls and failed_calls, every errorstat count and
 * total_error_replies compared exactly (usec is timing, not compared). Covers rejections (arity,
 * inside MULTI, inside scripts), failures, commands inside EXEC and scripts, the error-counting
 * rules of Redis's "Consistent eval error reporting" test, and blocked commands counted when
 * they complete.
 */
class CommandStatsDifferentialTest extends DifferentialTestBase {
  private static final Pattern CMDSTAT =
      Pattern.compile("(cmdstat_[^:]+):calls=(\\d+),usec=\\d+,usec_per_call=[\\d.]+,rejected_calls=(\\d+),failed_calls=(\\d+)");
  private static final Pattern OTHER = Pattern.compile("(errorstat_[^:]+|total_error_replies):(\\S+)");

  /** The counters INFO shows, without timings. */
  private static Map<String, String> counters(RawClient c) throws Exception {
    String info = c.call("INFO", "commandstats", "errorstats", "stats");
    Map<String, String> out = new TreeMap<>();
    Matcher m = CMDSTAT.matcher(info);
    while (m.find()) {
      out.put(m.group(1), "calls=" + m.group(2) + ",rejected=" + m.group(3) + ",failed=" + m.group(4));
    }
    m = OTHER.matcher(info);
    while (m.find()) {
      out.put(m.group(1), m.group(2));
    }
    return out;
  }

  private void assertSameCounters() throws Exception {
    Map<String, String> redis = counters(d.redis());
    assertTrue(redis.containsKey("total_error_replies"), redis.toString());
    assertEquals(redis, counters(d.keyshard()));
  }

  @Test
  void callsRejectionsAndFailures() throws Exception {
    d.check("CONFIG", "RESETSTAT");
    d.check("SET", "a", "1");
    d.check("GET", "a", "b"); // arity: rejected
    d.check("NOSUCH"); // unknown: only errorstats
    d.check("CLIENT", "NOSUCH"); // unknown subcommand: only errorstats
    d.check("LPUSH", "a", "x"); // WRONGTYPE: failed
    d.check("XADD", "s", "1-1", "f", "v");
    d.check("XGROUP", "CREATE", "s", "g", "0");
    d.check("XGROUP", "CREATE", "s", "g", "0"); // BUSYGROUP
    d.check("CONFIG", "GET", "maxmemory");
    d.check("INCR", "a");
    d.check("SELECT", "99");
    d.check("OBJECT", "ENCODING", "nokey");
    assertSameCounters();
  }

  @Test
  void insideMultiExec() throws Exception {
    d.check("CONFIG", "RESETSTAT");
    d.check("SET", "a", "1");
    d.check("MULTI");
    d.check("SET", "x", "1");
    d.check("GET"); // rejected while queueing: EXECABORT later
    d.check("EXEC");
    d.check("MULTI");
    d.check("LPUSH", "a", "x");
    d.check("INCR", "x");
    d.check("GET", "x");
    d.check("EXEC"); // LPUSH fails inside: counted as lpush, not as exec
    d.check("MULTI");
    d.check("SAVE"); // no-multi: rejected
    d.check("EXEC");
    d.check("DISCARD");
    assertSameCounters();
  }

  @Test
  void consistentEvalErrorReporting() throws Exception {
    d.check("CONFIG", "RESETSTAT");
    d.check("SET", "a", "1");
    d.check("EVAL", "redis.call('lpush',KEYS[1],'x')", "1", "a");
    d.check("EVAL", "return redis.pcall('lpush',KEYS[1],'x')", "1", "a");
    d.check("EVAL", "redis.pcall('lpush',KEYS[1],'x'); return 1", "1", "a");
    d.check("EVAL", "return redis.error_reply('MY_ERR_CODE custom msg')", "0");
    d.check("EVAL", "return redis.call('select',99)", "0");
    d.check("EVAL", "local t = redis.pcall('select',99) return t['err']", "0");
    d.check("EVAL", "return redis.pcall('set','a')", "0"); // wrong arity inside: rejected
    d.check("EVAL", "return redis.call('nosuch')", "0");
    d.check("EVAL_RO", "return redis.call('set',KEYS[1],'y')", "1", "a"); // refused: rejected set
    d.check("EVAL", "error('boom')", "0");
    d.check("EVAL", "return {err='x'}", "0");
    d.check("EVAL", "return redis.call('get',KEYS[1])", "1", "a");
    d.check("MULTI");
    d.check("EVAL", "return redis.call('lpush',KEYS[1],'x')", "1", "a");
    d.check("EXEC");
    assertSameCounters();
  }

  @Test
  void blockedCommandsCountWhenTheyComplete() throws Exception {
    d.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    try (RawClient ks = new RawClient(node.port());
        RawClient rs = new RawClient(redis.port());
        RawClient ks2 = new RawClient(node.port());
        RawClient rs2 = new RawClient(redis.port())) {
      for (RawClient c : new RawClient[] {ks, rs}) {
        c.send(bytes("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"));
      }
      for (RawClient c : new RawClient[] {ks2, rs2}) {
        c.send(bytes("BLPOP", "l", "0"));
      }
      awaitBlocked(d.keyshard(), 2);
      awaitBlocked(d.redis(), 2);
      d.check("CONFIG", "RESETSTAT");
      d.check("XGROUP", "DESTROY", "s", "g");
      assertEquals(rs.readReply(), ks.readReply());
      d.check("RPUSH", "l", "v");
      assertEquals(rs2.readReply(), ks2.readReply());
    }
    assertSameCounters();
  }

  private static byte[][] bytes(String... args) {
    byte[][] out = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      out[i] = args[i].getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    return out;
  }

  private static void awaitBlocked(RawClient c, int n) throws Exception {
    for (int i = 0; i < 200; i++) {
      if (c.call("INFO", "clients").contains("blocked_clients:" + n)) {
        return;
      }
      Thread.sleep(25);
    }
    fail("never saw " + n + " blocked clients");
  }

  @Test
  void resetstatClearsEverythingAndLatencyFollowsItsConfig() throws Exception {
    d.check("LPUSH", "l", "a");
    d.check("GET", "l");
    d.check("CONFIG", "RESETSTAT");
    String info = d.keyshard().call("INFO", "commandstats", "errorstats", "latencystats");
    assertTrue(!info.contains("cmdstat_get") && !info.contains("errorstat_") && !info.contains("usec_get"), info);
    d.check("GET", "x");
    assertTrue(d.keyshard().call("INFO", "latencystats").matches("(?s).*latency_percentiles_usec_get:p50=[\\d.]+,p99=[\\d.]+,p99\\.9=[\\d.]+\r\n.*"));
    d.check("CONFIG", "SET", "latency-tracking-info-percentiles", "0 50.5 100");
    d.check("CONFIG", "GET", "latency-tracking-info-percentiles");
    d.check("CONFIG", "SET", "latency-tracking-info-percentiles", "10 a");
    d.check("CONFIG", "SET", "latency-tracking-info-percentiles", "10 101");
    assertTrue(d.keyshard().call("INFO", "latencystats").contains("latency_percentiles_usec_get:p0="), "p0");
    d.check("CONFIG", "SET", "latency-tracking", "no");
    assertTrue(!d.keyshard().call("INFO", "latencystats").contains("usec_get"));
    d.both("CONFIG", "SET", "latency-tracking", "yes");
    d.both("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9");
  }
}
